package fixedpoint

import "fmt"

// The kernels below are the chip's hot loop on raw int16 values. Each exported kernel
// runs the fastest implementation this CPU supports (see Kernels); the ...Plain twin is
// the reference loop it is tested against bit for bit.
//
// Products of two int16 are exact in int32; sums wrap modulo 2^32 (two's complement),
// as VNNI vpdpwssd and the "mac"/"mac_t" accumulators of the Table do. Wrapping
// addition is associative and commutative, so lane order cannot change a result.
//
// Shapes are programmer facts, not user input: a kernel panics when slices are too
// short for the shape it is given.

// Dot returns Σ a[i]·b[i] with int32 wrapping accumulation; len(a) must equal len(b).
func Dot(a, b []int16) int32 {
	if len(a) != len(b) {
		panicLengths(len(a), len(b))
	}
	if useKernel == kernelVNNI && len(a) > 0 {
		return dotVNNI(&a[0], &b[0], len(a)) // the hot case, one call deep
	}
	return dot(a, b)
}

// Kernel implementations; useKernel (per architecture) selects one.
const (
	kernelGo = iota
	kernelAVX2
	kernelVNNI
)

func panicLengths(a, b int) {
	panic(fmt.Sprintf("fixedpoint: Dot of lengths %d and %d", a, b))
}

// DotPlain is the reference loop of Dot.
func DotPlain(a, b []int16) int32 {
	if len(a) != len(b) {
		panicLengths(len(a), len(b))
	}
	var s int32
	for i, x := range a {
		s += int32(x) * int32(b[i])
	}
	return s
}

// MatVec sets dst[i] = Σ_j w[i·stride+j]·x[j] for i < len(dst), j < len(x), wrapping
// in int32: the forward crossbar read s = W x. Rows may be padded: stride ≥ len(x).
func MatVec(dst []int32, w []int16, stride int, x []int16) {
	checkMat(len(dst), len(x), len(w), stride)
	matVec(dst, w, stride, x)
}

// MatVecPlain is the reference loop of MatVec.
func MatVecPlain(dst []int32, w []int16, stride int, x []int16) {
	checkMat(len(dst), len(x), len(w), stride)
	for i := range dst {
		row := w[i*stride : i*stride+len(x)]
		var s int32
		for j, v := range x {
			s += int32(row[j]) * int32(v)
		}
		dst[i] = s
	}
}

// MatTVec sets dst[j] = Σ_i w[i·stride+j]·e[i] for i < len(e), j < len(dst), wrapping
// in int32: the transposed (backward) read e_bottom = Wᵀ ĕ of the same weight memory
// MatVec reads, with len(e) rows of len(dst) columns.
func MatTVec(dst []int32, w []int16, stride int, e []int16) {
	checkMat(len(e), len(dst), len(w), stride)
	matTVec(dst, w, stride, e)
}

// MatTVecPlain is the reference loop of MatTVec.
func MatTVecPlain(dst []int32, w []int16, stride int, e []int16) {
	checkMat(len(e), len(dst), len(w), stride)
	clear(dst)
	for i, ei := range e {
		row := w[i*stride : i*stride+len(dst)]
		for j, v := range row {
			dst[j] += int32(v) * int32(ei)
		}
	}
}

func checkMat(rows, cols, n, stride int) {
	if rows == 0 || cols == 0 {
		return
	}
	if stride < cols {
		panic(fmt.Sprintf("fixedpoint: row stride %d shorter than %d columns", stride, cols))
	}
	if need := (rows-1)*stride + cols; n < need {
		panic(fmt.Sprintf("fixedpoint: %d×%d matrix with stride %d needs %d weights, have %d", rows, cols, stride, need, n))
	}
}

// OuterParams shapes a weight update: the learning-rate registers, the weight range
// and the stochastic-rounding keys.
//
// For a rows×cols matrix and C contexts, OuterUpdate computes for every synapse
//
//	t = Mult · Σ_c a[c·rows+i]·b[c·cols+j]            (exact, int64)
//	q = ⌊(t + ⌊R/2^(64−Shift)⌋) / 2^Shift⌋            (stochastic rounding of t·2^−Shift)
//	w[i·stride+j] = clamp(w + q, Min, Max)            (saturations counted)
//
// with R = Stream.Draw((Row0+i)·Cols + Col0+j), the synapse's index in the whole
// declared matrix, so a tile holding a block of it draws what the whole would.
//
// Fixed-point bookkeeping: with a in a format with fa fraction bits, b with fb, the
// weights with fw and the rate lr = Mult·2^−fl·2^−k (Mult in the "lr" format, fl its
// fraction bits, k a shift register), Shift = fa + fb + fl + k − fw. To average over C
// contexts (a power of two) add log2 C to Shift. Negate Mult (or a) for descent: the
// GLE update is Δw = +η ĕ r_inᵀ.
type OuterParams struct {
	Mult     int32  // learning-rate multiplier, |Mult| ≤ 2^16
	Shift    uint   // bits dropped with stochastic rounding, ≤ 62
	Min, Max int16  // weight range: the weight Var's Format.Min and Max
	Stream   Stream // the weight Var's Stream for (seed, 0, step)
	Row0     int    // first row of this block in the declared matrix
	Col0     int    // first column of this block in the declared matrix
	Cols     int    // columns of the declared matrix; 0 means len(b)/contexts
}

// OuterUpdate adds the rank-C outer product of a (contexts×rows) and b (contexts×cols)
// to w (rows×cols with row stride) with stochastic rounding, as OuterParams describes.
// Contexts must be between 1 and 2^15; len(a) and len(b) must be multiples of it.
func OuterUpdate(w []int16, stride int, a, b []int16, contexts int, p OuterParams, c *Counters) {
	rows, cols := checkOuter(w, stride, a, b, contexts, &p)
	outerUpdate(w, stride, a, b, rows, cols, contexts, p, c)
}

// OuterUpdatePlain is the reference loop of OuterUpdate.
func OuterUpdatePlain(w []int16, stride int, a, b []int16, contexts int, p OuterParams, c *Counters) {
	rows, cols := checkOuter(w, stride, a, b, contexts, &p)
	outerUpdatePlain(w, stride, a, b, rows, cols, contexts, p, c)
}

func outerUpdatePlain(w []int16, stride int, a, b []int16, rows, cols, contexts int, p OuterParams, c *Counters) {
	mask := uint64(1)<<p.Shift - 1
	var sat uint64
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			var s int64
			for k := 0; k < contexts; k++ {
				s += int64(a[k*rows+i]) * int64(b[k*cols+j])
			}
			t := s * int64(p.Mult)
			r := p.Stream.Draw(uint64(p.Row0+i)*uint64(p.Cols) + uint64(p.Col0+j))
			q := t>>p.Shift + int64((uint64(t)&mask+r>>(64-p.Shift))>>p.Shift)
			x := int64(w[i*stride+j]) + q
			if x > int64(p.Max) {
				x = int64(p.Max)
				sat++
			} else if x < int64(p.Min) {
				x = int64(p.Min)
				sat++
			}
			w[i*stride+j] = int16(x)
		}
	}
	if c != nil {
		c.Saturations += sat
	}
}

func checkOuter(w []int16, stride int, a, b []int16, contexts int, p *OuterParams) (rows, cols int) {
	if contexts < 1 || contexts > 1<<15 {
		panic(fmt.Sprintf("fixedpoint: OuterUpdate with %d contexts; want 1 to 32768", contexts))
	}
	if len(a)%contexts != 0 || len(b)%contexts != 0 {
		panic(fmt.Sprintf("fixedpoint: OuterUpdate: lengths %d and %d are not multiples of %d contexts", len(a), len(b), contexts))
	}
	if p.Mult > 1<<16 || p.Mult < -1<<16 {
		panic(fmt.Sprintf("fixedpoint: OuterUpdate: multiplier %d outside ±2^16", p.Mult))
	}
	if p.Shift > 62 {
		panic(fmt.Sprintf("fixedpoint: OuterUpdate: shift %d above 62", p.Shift))
	}
	if p.Min > p.Max {
		panic(fmt.Sprintf("fixedpoint: OuterUpdate: weight range [%d, %d] is empty", p.Min, p.Max))
	}
	rows, cols = len(a)/contexts, len(b)/contexts
	if p.Cols == 0 {
		p.Cols = cols
	}
	checkMat(rows, cols, len(w), stride)
	return rows, cols
}

// CheckAccumulator reports whether acc is an accumulator the kernels implement for
// operands in formats a and b: the operands fit the int16 container (signed, at most
// 16 bits wide), acc is signed, 32 bits wide and wraps (as vpdpwssd does; a
// saturating accumulator would need vpdpwssds and another plain loop), and acc has
// a.Frac+b.Frac fraction bits, so products enter it exactly, without rounding.
func CheckAccumulator(acc Var, a, b Format) error {
	for _, f := range []Format{a, b} {
		if !f.Signed || f.Width() > 16 {
			return fmt.Errorf("fixedpoint: kernel operand format %s does not fit int16; use a signed format at most 16 bits wide", f)
		}
	}
	if !acc.Format.Signed || acc.Format.Width() != 32 || acc.Overflow != Wrap {
		return fmt.Errorf("fixedpoint: accumulator %s: the kernels accumulate in int32 with wrap; declare a signed 32-bit format that wraps", acc)
	}
	if acc.Format.Frac != a.Frac+b.Frac {
		return fmt.Errorf("fixedpoint: accumulator %s has %d fraction bits; products of %s and %s have %d, so they would need rounding the kernels do not do", acc, acc.Format.Frac, a, b, a.Frac+b.Frac)
	}
	return nil
}

// OuterSum sets dst[i·stride+j] = Σ_c a[c·rows+i]·b[c·cols+j], exactly in int64, for
// a (contexts×rows) and b (contexts×cols): the gradient ĕ r_inᵀ summed over contexts
// before any scaling or rounding, for optimizers that keep their own state (momentum,
// Adam) and round into the weight memory with Var arithmetic. Contexts must be between
// 1 and 2^15 (so the sums cannot overflow) and divide len(a) and len(b).
func OuterSum(dst []int64, stride int, a, b []int16, contexts int) {
	rows, cols := checkOuterSum(dst, stride, a, b, contexts)
	outerSum(dst, stride, a, b, rows, cols, contexts)
}

// OuterSumPlain is the reference loop of OuterSum.
func OuterSumPlain(dst []int64, stride int, a, b []int16, contexts int) {
	rows, cols := checkOuterSum(dst, stride, a, b, contexts)
	outerSumGo(dst, stride, a, b, rows, cols, contexts)
}

func outerSumGo(dst []int64, stride int, a, b []int16, rows, cols, contexts int) {
	for i := 0; i < rows; i++ {
		row := dst[i*stride : i*stride+cols]
		clear(row)
		for k := 0; k < contexts; k++ {
			ak := int64(a[k*rows+i])
			for j, v := range b[k*cols : k*cols+cols] {
				row[j] += ak * int64(v)
			}
		}
	}
}

func checkOuterSum(dst []int64, stride int, a, b []int16, contexts int) (rows, cols int) {
	if contexts < 1 || contexts > 1<<15 {
		panic(fmt.Sprintf("fixedpoint: OuterSum with %d contexts; want 1 to 32768", contexts))
	}
	if len(a)%contexts != 0 || len(b)%contexts != 0 {
		panic(fmt.Sprintf("fixedpoint: OuterSum: lengths %d and %d are not multiples of %d contexts", len(a), len(b), contexts))
	}
	rows, cols = len(a)/contexts, len(b)/contexts
	if rows > 0 && cols > 0 {
		if stride < cols {
			panic(fmt.Sprintf("fixedpoint: row stride %d shorter than %d columns", stride, cols))
		}
		if need := (rows-1)*stride + cols; len(dst) < need {
			panic(fmt.Sprintf("fixedpoint: %d×%d matrix with stride %d needs %d weights, have %d", rows, cols, stride, need, len(dst)))
		}
	}
	return rows, cols
}
