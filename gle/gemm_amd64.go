//go:build amd64 && !purego

package gle

import "golang.org/x/sys/cpu"

// useAVX512 selects the AVX-512 product kernel; tests switch it off to cover the
// portable path.
var useAVX512 = cpu.X86.HasAVX512F

//go:noescape
func gemmAVX512(rows, k int, a0, a1, a2, a3 *float64, acs int, b *float64, bs int, c *float64, cs int, mask uint64, acc int)

// gemm sets C = A·B (acc: C += A·B) for A m×k with element (i, κ) at a[i·ars + κ·acs],
// B k×n row-major with row stride bs, C m×n with row stride cs, and reports true; or
// reports false, doing nothing, when this CPU has no kernel for it. Each element is
// its running sum over κ in order, one fused multiply-add per term: deterministic,
// and within rounding of the plain loops.
func gemm(m, n, k int, a []float64, ars, acs int, b []float64, bs int, c []float64, cs int, acc bool) bool {
	if !useAVX512 {
		return false
	}
	if m == 0 || n == 0 {
		return true
	}
	if k == 0 {
		if !acc {
			for i := range m {
				clear(c[i*cs : i*cs+n])
			}
		}
		return true
	}
	accFlag := 0
	if acc {
		accFlag = 1
	}
	// The last element each operand is read at, checked once (the kernel reads
	// exactly these rows and columns).
	_ = a[(m-1)*ars+(k-1)*acs]
	_ = b[(k-1)*bs+n-1]
	_ = c[(m-1)*cs+n-1]
	for i := 0; i < m; i += 4 {
		r := min(4, m-i)
		p0, p1, p2, p3 := &a[i*ars], &a[(i+min(1, r-1))*ars], &a[(i+min(2, r-1))*ars], &a[(i+min(3, r-1))*ars]
		for j := 0; j < n; j += 32 {
			mask := uint64(1)<<min(32, n-j) - 1
			gemmAVX512(r, k, p0, p1, p2, p3, acs, &b[j], bs, &c[i*cs+j], cs, mask, accFlag)
		}
	}
	return true
}
