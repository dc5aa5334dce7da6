package fixedpoint

import "fmt"

// Matrix–matrix kernels: the crossbar reads of many contexts at once. A context's
// vector is a row of a Mat (rates, errors), so C contexts are C rows, and each weight
// a kernel loads serves every context before it is dropped, instead of being loaded
// again per context as C calls of MatVec would.

// Mat is a rows×cols matrix of raw int16 values, row-major with a row stride: element
// (i, j) is Data[i·Stride+j]. A batch of C vectors (one per context, as the chip holds
// its buses) is a Mat of C rows. Data needs (Rows−1)·Stride + Cols elements.
type Mat struct {
	Data       []int16
	Rows, Cols int
	Stride     int
}

func (m Mat) check(what string) {
	if m.Rows < 0 || m.Cols < 0 {
		panic(fmt.Sprintf("fixedpoint: %s is %d×%d", what, m.Rows, m.Cols))
	}
	if m.Rows == 0 || m.Cols == 0 {
		return
	}
	if m.Stride < m.Cols {
		panic(fmt.Sprintf("fixedpoint: %s: row stride %d shorter than %d columns", what, m.Stride, m.Cols))
	}
	if need := (m.Rows-1)*m.Stride + m.Cols; len(m.Data) < need {
		panic(fmt.Sprintf("fixedpoint: %s: %d×%d with stride %d needs %d values, have %d", what, m.Rows, m.Cols, m.Stride, need, len(m.Data)))
	}
}

func checkDst32(dst []int32, stride, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	if stride < cols {
		panic(fmt.Sprintf("fixedpoint: destination stride %d shorter than %d columns", stride, cols))
	}
	if need := (rows-1)*stride + cols; len(dst) < need {
		panic(fmt.Sprintf("fixedpoint: %d×%d destination with stride %d needs %d values, have %d", rows, cols, stride, need, len(dst)))
	}
}

// MatMat sets dst[c·dstStride+i] = Σ_j w(i, j)·x(c, j) for every context c < x.Rows
// and row i < w.Rows, wrapping in int32: the forward crossbar read s = W·r of C
// contexts at once (MatVec per row of x). x.Cols must equal w.Cols.
func MatMat(dst []int32, dstStride int, w, x Mat) {
	checkMatMat(dst, dstStride, w, x)
	matMat(dst, dstStride, w, x)
}

func checkMatMat(dst []int32, dstStride int, w, x Mat) {
	w.check("MatMat weights")
	x.check("MatMat inputs")
	if x.Cols != w.Cols {
		panic(fmt.Sprintf("fixedpoint: MatMat of a %d×%d matrix with vectors of %d", w.Rows, w.Cols, x.Cols))
	}
	checkDst32(dst, dstStride, x.Rows, w.Rows)
}

// MatMatPlain is the reference loop of MatMat.
func MatMatPlain(dst []int32, dstStride int, w, x Mat) {
	checkMatMat(dst, dstStride, w, x)
	for c := range x.Rows {
		xc := x.Data[c*x.Stride : c*x.Stride+x.Cols]
		for i := range w.Rows {
			row := w.Data[i*w.Stride : i*w.Stride+w.Cols]
			var s int32
			for j, v := range xc {
				s += int32(row[j]) * int32(v)
			}
			dst[c*dstStride+i] = s
		}
	}
}

// MatTMat sets dst[c·dstStride+j] = Σ_i w(i, j)·e(c, i) for every context c < e.Rows
// and column j < w.Cols, wrapping in int32: the transposed (backward) read Wᵀ·ĕ of C
// contexts at once, from the same row-major weights MatMat reads (MatTVec per row of
// e). e.Cols must equal w.Rows.
func MatTMat(dst []int32, dstStride int, w, e Mat) {
	checkMatTMat(dst, dstStride, w, e)
	matTMat(dst, dstStride, w, e)
}

func checkMatTMat(dst []int32, dstStride int, w, e Mat) {
	w.check("MatTMat weights")
	e.check("MatTMat errors")
	if e.Cols != w.Rows {
		panic(fmt.Sprintf("fixedpoint: MatTMat of a %d×%d matrix with vectors of %d", w.Rows, w.Cols, e.Cols))
	}
	checkDst32(dst, dstStride, e.Rows, w.Cols)
}

// MatTMatPlain is the reference loop of MatTMat.
func MatTMatPlain(dst []int32, dstStride int, w, e Mat) {
	checkMatTMat(dst, dstStride, w, e)
	for c := range e.Rows {
		d := dst[c*dstStride : c*dstStride+w.Cols]
		clear(d)
		for i := range w.Rows {
			ei := int32(e.Data[c*e.Stride+i])
			row := w.Data[i*w.Stride : i*w.Stride+w.Cols]
			for j, v := range row {
				d[j] += int32(v) * ei
			}
		}
	}
}

// matMatGo and matTMatGo are the portable fast paths: the vector kernels per context.
func matMatGo(dst []int32, dstStride int, w, x Mat) {
	rows, cols := w.Rows, w.Cols
	for c := range x.Rows {
		d := dst[c*dstStride : c*dstStride+rows]
		if cols == 0 {
			clear(d)
			continue
		}
		matVec(d, w.Data, w.Stride, x.Data[c*x.Stride:c*x.Stride+cols])
	}
}

func matTMatGo(dst []int32, dstStride int, w, e Mat) {
	rows, cols := w.Rows, w.Cols
	for c := range e.Rows {
		d := dst[c*dstStride : c*dstStride+cols]
		if rows == 0 {
			clear(d)
			continue
		}
		matTVec(d, w.Data, w.Stride, e.Data[c*e.Stride:c*e.Stride+rows])
	}
}

// PeakMACLoop runs n iterations of the tightest multiply-accumulate loop of the fast
// path (with AVX-512 VNNI: 24 independent vpdpwssd on registers, no loads, 768 int16
// multiply-accumulates per iteration) and returns the number of multiply-accumulates
// done, 0 where the CPU has no such kernel. Timing it measures the processor's peak
// int16 MAC rate on this core, the yardstick of a kernel's efficiency.
func PeakMACLoop(n int) int64 {
	if n <= 0 {
		return 0
	}
	return peakLoop(n)
}
