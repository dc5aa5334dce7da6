//go:build amd64 && !purego

package fixedpoint

import "golang.org/x/sys/cpu"

var (
	hasAVX2 = cpu.X86.HasAVX2
	hasVNNI = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
	// hasDQ gates the AVX-512 weight update (vpmullq); BMI2 (shlx) comes with AVX-512.
	hasDQ = cpu.X86.HasAVX512DQ && cpu.X86.HasBMI2
	// useKernel selects the implementation; tests switch it to cover every path the
	// CPU supports.
	useKernel = pickKernel()
)

func pickKernel() int {
	switch {
	case hasVNNI:
		return kernelVNNI
	case hasAVX2:
		return kernelAVX2
	}
	return kernelGo
}

// supportedKernels lists the implementations this CPU can run, for tests.
func supportedKernels() []int {
	k := []int{kernelGo}
	if hasAVX2 {
		k = append(k, kernelAVX2)
	}
	if hasVNNI {
		k = append(k, kernelVNNI)
	}
	return k
}

var kernelNames = [...]string{"go", "avx2", "avx512vnni"}

// Kernels names the implementation the exported kernels run on this CPU:
// "avx512vnni", "avx2" or "go" (unrolled Go; also the only one with -tags purego).
func Kernels() string { return kernelNames[useKernel] }

//go:noescape
func dotVNNI(a, b *int16, n int) int32

//go:noescape
func dotAVX2(a, b *int16, n int) int32

//go:noescape
func matVecVNNI(dst *int32, w *int16, stride int, x *int16, rows, n int)

//go:noescape
func matVecAVX2(dst *int32, w *int16, stride int, x *int16, rows, n int)

//go:noescape
func matTVecVNNI(dst *int32, w *int16, stride int, e *int16, rows int, mask uint64)

//go:noescape
func matTVecAVX2(dst *int32, w *int16, stride int, e *int16, rows, cols int)

func dot(a, b []int16) int32 {
	n := len(a)
	switch {
	case n == 0:
		return 0
	case useKernel == kernelVNNI:
		return dotVNNI(&a[0], &b[0], n)
	case useKernel == kernelAVX2 && n >= 16:
		m := n &^ 15
		return dotAVX2(&a[0], &b[0], m) + dotUnrolled(a[m:], b[m:n])
	}
	return dotUnrolled(a, b)
}

func matVec(dst []int32, w []int16, stride int, x []int16) {
	rows, n := len(dst), len(x)
	switch {
	case rows == 0:
		return
	case n == 0:
		clear(dst)
		return
	case useKernel == kernelVNNI:
		matVecVNNI(&dst[0], &w[0], stride, &x[0], rows, n)
		return
	case useKernel == kernelAVX2 && n >= 16:
		m := n &^ 15
		matVecAVX2(&dst[0], &w[0], stride, &x[0], rows, m)
		if m < n {
			for i := range dst {
				dst[i] += dotUnrolled(w[i*stride+m:i*stride+n], x[m:])
			}
		}
		return
	}
	for i := range dst {
		dst[i] = dotUnrolled(w[i*stride:i*stride+n], x)
	}
}

func matTVec(dst []int32, w []int16, stride int, e []int16) {
	rows, cols := len(e), len(dst)
	var m int // columns done in assembly
	switch {
	case rows == 0 || cols == 0:
		clear(dst)
		return
	case useKernel == kernelVNNI:
		for j := 0; j < cols; j += 64 {
			mask := ^uint64(0)
			if r := cols - j; r < 64 {
				mask = 1<<r - 1
			}
			matTVecVNNI(&dst[j], &w[j], stride, &e[0], rows, mask)
		}
		return
	case useKernel == kernelAVX2:
		m = cols &^ 7
		if m > 0 {
			matTVecAVX2(&dst[0], &w[0], stride, &e[0], rows, m)
		}
	default:
		matTVecGo(dst, w, stride, e)
		return
	}
	if m < cols {
		// The column tail, fewer than 16: a strided walk down each column.
		tail := dst[m:]
		clear(tail)
		for i, ei := range e {
			row := w[i*stride+m : i*stride+cols]
			for j, v := range row {
				tail[j] += int32(v) * int32(ei)
			}
		}
	}
}

func outerSum(dst []int64, stride int, a, b []int16, rows, cols, contexts int) {
	if useKernel != kernelVNNI || rows == 0 || cols == 0 {
		outerSumGo(dst, stride, a, b, rows, cols, contexts)
		return
	}
	if contexts == 1 {
		// One context: the outer product itself, no sums to form.
		_ = dst[(rows-1)*stride+cols-1]
		outerProdVNNI(&dst[0], stride, &a[0], rows, &b[0], cols)
		return
	}
	outerSumVNNI(dst, stride, a, b, rows, cols, contexts)
}

//go:noescape
func outerSumAVX512(t *int64, b *int16, bstride int, a *int16, astride int, contexts, n int)

//go:noescape
func outerRowAVX512(w *int16, t *int64, b *int16, n int, am int64, ctr uint64, shift uint64, lo, hi int64) uint64

// outerChunk is how many columns of a multi-context row are summed (exactly, in int64)
// before they are rounded and added.
const outerChunk = 256

func outerUpdate(w []int16, stride int, a, b []int16, rows, cols, contexts int, p OuterParams, c *Counters) {
	n8 := cols &^ 7
	if useKernel != kernelVNNI || !hasDQ || n8 == 0 {
		outerUpdateGo(w, stride, a, b, rows, cols, contexts, p, c)
		return
	}
	var t [outerChunk]int64
	var sat uint64
	lo, hi := int64(p.Min), int64(p.Max)
	for i := 0; i < rows; i++ {
		row := w[i*stride : i*stride+cols]
		first := uint64(p.Row0+i)*uint64(p.Cols) + uint64(p.Col0) // SR index of row[0]
		ctr := uint64(p.Stream) + first*golden
		if contexts == 1 {
			sat += outerRowAVX512(&row[0], nil, &b[0], n8, int64(a[i])*int64(p.Mult), ctr, uint64(p.Shift), lo, hi)
		} else {
			for j0 := 0; j0 < n8; j0 += outerChunk {
				m := min(outerChunk, n8-j0)
				outerSumAVX512(&t[0], &b[j0], cols, &a[i], rows, contexts, m)
				sat += outerRowAVX512(&row[j0], &t[0], nil, m, int64(p.Mult), ctr+uint64(j0)*golden, uint64(p.Shift), lo, hi)
			}
		}
		// The last cols mod 8 synapses, as outerUpdatePlain does them.
		for j := n8; j < cols; j++ {
			var s int64
			for k := 0; k < contexts; k++ {
				s += int64(a[k*rows+i]) * int64(b[k*cols+j])
			}
			tv := s * int64(p.Mult)
			r := mix(ctr + uint64(j)*golden)
			q := tv>>p.Shift + int64((uint64(tv)&(1<<p.Shift-1)+r>>(64-p.Shift))>>p.Shift)
			x := int64(row[j]) + q
			if x > hi {
				x = hi
				sat++
			} else if x < lo {
				x = lo
				sat++
			}
			row[j] = int16(x)
		}
	}
	if c != nil {
		c.Saturations += sat
	}
}
