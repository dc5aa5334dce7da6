package gle

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// The three matrix products of a step, each with a plain loop (the reference, fastest
// for small layers without AVX-512) and fast twins: the AVX-512 kernel gemm where the
// CPU has it, else gonum's BLAS when the product is large. Matrices are row-major: R,
// E are C × n (one row per context), W is tgt × src. The twins sum in another order
// than the loops, so they agree to rounding, not bit for bit (TestKernelsMatchLoops);
// each is deterministic.

// blasMin is the number of multiply-adds from which the BLAS kernels are used.
const blasMin = 4096

// gemmMinRows is the number of rows (contexts) from which addRWt transposes W for the
// AVX-512 kernel: below it, the transpose costs more than the dot products it saves.
const gemmMinRows = 4

// addRWt adds R·Wᵀ to S: S[c][i] += Σ_j W[i][j]·R[c][j]. R is C×src, S is C×tgt. wt is
// scratch of src·tgt values (Wᵀ for the AVX-512 kernel; nil never takes that path).
func addRWt(s, r, w, wt []float64, c, src, tgt int) {
	if c >= gemmMinRows && len(wt) >= src*tgt && useAVX512 {
		transpose(wt, w, tgt, src)
		if gemm(c, tgt, src, r, src, 1, wt, tgt, s, tgt, true) {
			return
		}
	}
	if c*src*tgt >= blasMin && !useAVX512 {
		blas64.Gemm(blas.NoTrans, blas.Trans, 1,
			blas64.General{Rows: c, Cols: src, Stride: src, Data: r},
			blas64.General{Rows: tgt, Cols: src, Stride: src, Data: w},
			1, blas64.General{Rows: c, Cols: tgt, Stride: tgt, Data: s})
		return
	}
	addRWtLoop(s, r, w, c, src, tgt)
}

// transpose sets dst (cols × rows) to the transpose of src (rows × cols).
func transpose(dst, src []float64, rows, cols int) {
	dst = dst[:rows*cols]
	for i := range rows {
		row := src[i*cols : (i+1)*cols]
		for j, v := range row {
			dst[j*rows+i] = v
		}
	}
}

func addRWtLoop(s, r, w []float64, c, src, tgt int) {
	for k := range c {
		rk := r[k*src : (k+1)*src]
		sk := s[k*tgt : (k+1)*tgt]
		for i := range sk {
			wi := w[i*src : (i+1)*src]
			acc := 0.0
			for j, x := range rk {
				acc += wi[j] * x
			}
			sk[i] += acc
		}
	}
}

// setEW sets B = E·W: B[c][j] = Σ_i E[c][i]·W[i][j]. E is C×tgt, B is C×src.
func setEW(b, e, w []float64, c, tgt, src int) {
	if gemm(c, src, tgt, e, tgt, 1, w, src, b, src, false) {
		return
	}
	if c*src*tgt >= blasMin {
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas64.General{Rows: c, Cols: tgt, Stride: tgt, Data: e},
			blas64.General{Rows: tgt, Cols: src, Stride: src, Data: w},
			0, blas64.General{Rows: c, Cols: src, Stride: src, Data: b})
		return
	}
	setEWLoop(b, e, w, c, tgt, src)
}

func setEWLoop(b, e, w []float64, c, tgt, src int) {
	clear(b[:c*src])
	for k := range c {
		ek := e[k*tgt : (k+1)*tgt]
		bk := b[k*src : (k+1)*src]
		for i, x := range ek {
			if x == 0 {
				continue
			}
			wi := w[i*src : (i+1)*src]
			for j := range bk {
				bk[j] += x * wi[j]
			}
		}
	}
}

// setEtR sets G = alpha·Eᵀ·R: G[i][j] = alpha·Σ_c E[c][i]·R[c][j]. G is tgt×src.
func setEtR(g []float64, alpha float64, e, r []float64, c, tgt, src int) {
	if gemm(tgt, src, c, e, 1, tgt, r, src, g, src, false) {
		if alpha != 1 {
			for i := range g[:tgt*src] {
				g[i] *= alpha
			}
		}
		return
	}
	if c*src*tgt >= blasMin {
		blas64.Gemm(blas.Trans, blas.NoTrans, alpha,
			blas64.General{Rows: c, Cols: tgt, Stride: tgt, Data: e},
			blas64.General{Rows: c, Cols: src, Stride: src, Data: r},
			0, blas64.General{Rows: tgt, Cols: src, Stride: src, Data: g})
		return
	}
	setEtRLoop(g, alpha, e, r, c, tgt, src)
}

func setEtRLoop(g []float64, alpha float64, e, r []float64, c, tgt, src int) {
	clear(g[:tgt*src])
	for k := range c {
		ek := e[k*tgt : (k+1)*tgt]
		rk := r[k*src : (k+1)*src]
		for i, x := range ek {
			if x == 0 {
				continue
			}
			gi := g[i*src : (i+1)*src]
			for j, y := range rk {
				gi[j] += x * y
			}
		}
	}
	if alpha != 1 {
		for i := range g[:tgt*src] {
			g[i] *= alpha
		}
	}
}
