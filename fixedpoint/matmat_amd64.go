//go:build amd64 && !purego

package fixedpoint

import (
	"sync"
	"unsafe"
)

//go:noescape
func matMatVNNI(dst *int32, ds int, w0, w1, w2, w3 *int16, x *int16, xs int, cols, contexts int, rowMask uint64)

//go:noescape
func matTMatVNNI(dst unsafe.Pointer, ds int, w *int16, stride, rows int, e *int16, es, ps, contexts int, mask uint64, wide, shift int)

//go:noescape
func maxAbsVNNI(p *int16, n int) uint32

//go:noescape
func outerProdVNNI(dst *int64, stride int, a *int16, rows int, b *int16, cols int)

//go:noescape
func transpose8(t *int16, rows int, w *int16, stride, r8, c8 int)

//go:noescape
func pairRowsVNNI(d *int32, a *int16, rows, n, pairs int)

//go:noescape
func outerPairedVNNI(dst *int64, ds int, w *int32, ws, pairs int, e *int32, ps, rows int, mask uint64)

//go:noescape
func pairSplitVNNI(dl, dh *int32, lo, hi *int16, n int)

// matMat: four rows of w at a time against every context (asm: four contexts at a
// time, sixteen dot products sharing eight loads per 32 columns).
func matMat(dst []int32, dstStride int, w, x Mat) {
	rows, cols, C := w.Rows, w.Cols, x.Rows
	if rows == 0 || C == 0 {
		return
	}
	if useKernel != kernelVNNI || cols == 0 {
		matMatGo(dst, dstStride, w, x)
		return
	}
	if C >= matMatTContexts && rows*cols <= matMatTMax {
		matMatT(dst, dstStride, w, x)
		return
	}
	for i := 0; i < rows; i += 4 {
		n := min(4, rows-i)
		p := [4]*int16{}
		for r := range 4 {
			p[r] = &w.Data[(i+min(r, n-1))*w.Stride] // rows past the end repeat the last; not stored
		}
		matMatVNNI(&dst[i], dstStride, p[0], p[1], p[2], p[3], &x.Data[0], x.Stride, cols, C, 1<<n-1)
	}
}

// MatMat of many contexts goes through the transposed read: W·x is Wᵀᵀ·x, the same
// int32 sums (wrapping alike), and MatTMat's kernel (no horizontal sums, no padding of
// short rows to 32 columns) is the faster one once the transpose, rows·cols moves, is
// spread over matMatTContexts contexts or more (about 0.5 ns per value moved against
// 0.013 ns saved per value and context at 53×53, 0.007 at 256×256); matMatTMax bounds
// the scratch.
const (
	matMatTContexts = 64
	matMatTMax      = 1 << 16
)

var transScratch = sync.Pool{New: func() any { return new([matMatTMax]int16) }}

// matMatT is matMat by the transposed read of Wᵀ (copied into pooled scratch).
func matMatT(dst []int32, dstStride int, w, x Mat) {
	rows, cols := w.Rows, w.Cols
	sc := transScratch.Get().(*[matMatTMax]int16)
	defer transScratch.Put(sc)
	t := sc[:rows*cols]
	transpose(t, w)
	matTMat(dst, dstStride, Mat{Data: t, Rows: cols, Cols: rows, Stride: rows}, x)
}

// transpose sets t[j·rows + i] = w(i, j): 8×8 blocks in assembly (transpose8), the
// rest in 4×4 blocks as four 64-bit words, what is left one value at a time.
func transpose(t []int16, w Mat) {
	rows, cols := w.Rows, w.Cols
	r8, c8 := rows&^7, cols&^7
	if r8 > 0 && c8 > 0 {
		_ = t[(cols-1)*rows+rows-1]
		_ = w.Data[(rows-1)*w.Stride+cols-1]
		transpose8(&t[0], rows, &w.Data[0], w.Stride, r8, c8)
	}
	transpose4(t, w, 0, r8, c8, cols) // right of the 8×8 blocks
	transpose4(t, w, r8, rows, 0, cols)
}

// transpose4 is transpose of rows i0…i1−1 and columns j0…j1−1 of w.
func transpose4(t []int16, w Mat, i0, i1, j0, j1 int) {
	rows := w.Rows
	r4, c4 := i0+(i1-i0)&^3, j0+(j1-j0)&^3
	const lo16, lo32 = 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF
	for i := i0; i < r4; i += 4 {
		p := w.Data[i*w.Stride:]
		for j := j0; j < c4; j += 4 {
			a := *(*uint64)(unsafe.Pointer(&p[j]))
			b := *(*uint64)(unsafe.Pointer(&p[w.Stride+j]))
			c := *(*uint64)(unsafe.Pointer(&p[2*w.Stride+j]))
			d := *(*uint64)(unsafe.Pointer(&p[3*w.Stride+j]))
			t0 := a&lo16 | b&lo16<<16  // a0 b0 a2 b2
			t1 := a>>16&lo16 | b&^lo16 // a1 b1 a3 b3
			t2 := c&lo16 | d&lo16<<16
			t3 := c>>16&lo16 | d&^lo16
			q := t[j*rows+i:]
			*(*uint64)(unsafe.Pointer(&q[0])) = t0&lo32 | t2<<32
			*(*uint64)(unsafe.Pointer(&q[rows])) = t1&lo32 | t3<<32
			*(*uint64)(unsafe.Pointer(&q[2*rows])) = t0>>32 | t2&^lo32
			*(*uint64)(unsafe.Pointer(&q[3*rows])) = t1>>32 | t3&^lo32
		}
	}
	for i := i0; i < i1; i++ {
		row := w.Data[i*w.Stride : i*w.Stride+j1]
		js := c4
		if i >= r4 {
			js = j0
		}
		for j := js; j < j1; j++ {
			t[j*rows+i] = row[j]
		}
	}
}

// matTMat: blocks of 64 columns (asm: five contexts at a time, row pairs interleaved
// once for all five).
func matTMat(dst []int32, dstStride int, w, e Mat) {
	rows, cols, C := w.Rows, w.Cols, e.Rows
	if cols == 0 || C == 0 {
		return
	}
	if useKernel != kernelVNNI || rows == 0 {
		matTMatGo(dst, dstStride, w, e)
		return
	}
	for j := 0; j < cols; j += 64 {
		matTMatVNNI(unsafe.Pointer(&dst[j]), dstStride, &w.Data[j], w.Stride, rows, &e.Data[0], e.Stride, 2, C, colMask(j, cols), 0, 0)
	}
}

//go:noescape
func peakVNNI(n int)

// colMask is the mask of the columns j…j+63 that exist in a row of cols.
func colMask(j, cols int) uint64 {
	if r := cols - j; r < 64 {
		return 1<<r - 1
	}
	return ^uint64(0)
}

// maxAbs returns max |s[i]| (32768 for −32768).
func maxAbs(s []int16) int64 {
	if len(s) == 0 {
		return 0
	}
	return int64(maxAbsVNNI(&s[0], len(s)))
}

// Chunks of OuterSum's VNNI path: output rows per block of error pairs, and contexts
// per chunk.
const (
	outerRowsVNNI = 20
	outerCtxVNNI  = 256
)

// outerScratch holds OuterSum's error pairs, one array per concurrent call: the pairs
// of a, or of its low and high bytes.
type outerPairs [2][outerRowsVNNI * outerCtxVNNI / 2]int32

var outerScratch = sync.Pool{New: func() any { return new(outerPairs) }}

// outerSumVNNI is OuterSum as MatTMat: dst[i][j] = Σ_c b[c][j]·a[c][i], with the
// contexts as the weight rows (paired for vpdpwssd) and each output row i a
// "context" whose error pairs are (a[c][i], a[c+1][i]), in chunks of up to 256
// contexts whose int32 sums are sign-extended and added into dst. The sums are exact,
// not just wrapped: when a chunk's sum could leave int32 (256·max|a|·max|b| ≥ 2^31),
// a is split into its high and low bytes, a = 2^8·(a >> 8) + (a & 255), whose
// products with b stay below 2^22 and 2^23, and the two passes are added, the high
// one shifted by 8.
func outerSumVNNI(dst []int64, stride int, a, b []int16, rows, cols, contexts int) {
	k := min(contexts, outerCtxVNNI)
	split := int64(k)*maxAbs(a)*maxAbs(b) > 1<<31-1
	sc := outerScratch.Get().(*outerPairs)
	defer outerScratch.Put(sc)
	if !split && contexts == k && cols*((k+1)/2) <= outerPairedMax {
		outerSumPaired(dst, stride, a, b, rows, cols, contexts, sc)
		return
	}
	lo, hi := &sc[0], &sc[1]
	for c0 := 0; c0 < contexts; c0 += k {
		kc := min(k, contexts-c0)
		mode := 1 // add this chunk's sums
		if c0 == 0 {
			mode = 2 // the first chunk sets dst
		}
		for i0 := 0; i0 < rows; i0 += outerRowsVNNI {
			ri := min(outerRowsVNNI, rows-i0)
			// The pairs the kernel broadcasts: pair p of row i0+i at p·ri + i.
			p0 := 0
			if !split && kc >= 2 {
				pairRowsVNNI(&lo[0], &a[c0*rows+i0], rows, ri, kc/2)
				p0 = kc &^ 1
			}
			for p := p0; p < kc; p += 2 {
				first := a[(c0+p)*rows+i0 : (c0+p)*rows+i0+ri]
				dl, dh := lo[p/2*ri:p/2*ri+ri], hi[p/2*ri:p/2*ri+ri]
				// Unsplit, pairRowsVNNI made every pair but an odd last context's.
				switch {
				case p+1 < kc:
					pairSplitVNNI(&dl[0], &dh[0], &first[0], &a[(c0+p+1)*rows+i0], ri)
				case split: // the odd last context pairs with zero
					for i, v := range first {
						dl[i], dh[i] = int32(v&255), int32(uint16(v>>8))
					}
				default:
					pairWithZero(dl, first)
				}
			}
			el, eh := (*int16)(unsafe.Pointer(&lo[0])), (*int16)(unsafe.Pointer(&hi[0]))
			for j := 0; j < cols; j += 64 {
				d := unsafe.Pointer(&dst[i0*stride+j])
				w := &b[c0*cols+j]
				matTMatVNNI(d, stride, w, cols, kc, el, 2, 2*ri, ri, colMask(j, cols), mode, 0)
				if split {
					matTMatVNNI(d, stride, w, cols, kc, eh, 2, 2*ri, ri, colMask(j, cols), 1, 8)
				}
			}
		}
	}
}

func peakLoop(n int) int64 {
	if useKernel != kernelVNNI {
		return 0
	}
	peakVNNI(n)
	return int64(n) * 768
}

// outerPairedMax bounds the pairs of b that outerSumPaired interleaves once per call.
const outerPairedMax = 1 << 15

var outerPairedScratch = sync.Pool{New: func() any { return new([outerPairedMax]int32) }}

// outerSumPaired is outerSumVNNI for one chunk whose sums stay in int32 (the chip's
// case: no split, at most 256 contexts, cols·⌈contexts/2⌉ ≤ outerPairedMax): b's
// context rows are interleaved in pairs once for the whole call, in column order, so
// the kernel multiplies them straight from memory and stores its sums without
// shuffles. The pairs of a are made per block of rows (all of them at once when the
// scratch holds them); an odd last context pairs with zero in both.
func outerSumPaired(dst []int64, stride int, a, b []int16, rows, cols, contexts int, sc *outerPairs) {
	pb := outerPairedScratch.Get().(*[outerPairedMax]int32)
	defer outerPairedScratch.Put(pb)
	pairs := (contexts + 1) / 2
	if contexts >= 2 {
		pairRowsVNNI(&pb[0], &b[0], cols, cols, contexts/2)
	}
	if contexts%2 == 1 {
		pairWithZero(pb[(pairs-1)*cols:pairs*cols], b[(contexts-1)*cols:contexts*cols])
	}
	lo := &sc[0]
	rb := len(lo) / pairs // rows per block: as many as the scratch holds, in sixes
	if rb >= 6 {
		rb -= rb % 6
	}
	for i0 := 0; i0 < rows; i0 += rb {
		ri := min(rb, rows-i0)
		if contexts >= 2 {
			pairRowsVNNI(&lo[0], &a[i0], rows, ri, contexts/2)
		}
		if contexts%2 == 1 {
			pairWithZero(lo[(pairs-1)*ri:pairs*ri], a[(contexts-1)*rows+i0:(contexts-1)*rows+i0+ri])
		}
		for j := 0; j < cols; j += 64 {
			outerPairedVNNI(&dst[i0*stride+j], stride, &pb[j], cols, pairs, &lo[0], ri, ri, colMask(j, cols))
		}
	}
}

// pairWithZero makes the pairs of an odd last context, whose partner is zero: the
// word in the low half, zero in the high half.
func pairWithZero(d []int32, row []int16) {
	for i, v := range row {
		d[i] = int32(uint16(v))
	}
}
