package gle

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// The three matrix products of a step, each with a plain loop (the reference, fastest
// for small layers) and a gonum BLAS twin used when the product is large. Matrices are
// row-major: R, E are C × n (one row per context), W is tgt × src.

// blasMin is the number of multiply-adds from which the BLAS kernels are used.
const blasMin = 4096

// addRWt adds R·Wᵀ to S: S[c][i] += Σ_j W[i][j]·R[c][j]. R is C×src, S is C×tgt.
func addRWt(s, r, w []float64, c, src, tgt int) {
	if c*src*tgt >= blasMin {
		blas64.Gemm(blas.NoTrans, blas.Trans, 1,
			blas64.General{Rows: c, Cols: src, Stride: src, Data: r},
			blas64.General{Rows: tgt, Cols: src, Stride: src, Data: w},
			1, blas64.General{Rows: c, Cols: tgt, Stride: tgt, Data: s})
		return
	}
	addRWtLoop(s, r, w, c, src, tgt)
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
