package fixedpoint

import "math"

// This file is the core of the package: every result is an exact intermediate (an
// integer x meaning x·2^−frac) rounded once into a destination Var with its Rounding,
// then checked once against its range with its Overflow policy.

// Rescale converts x, a value with frac fraction bits (x·2^−frac; frac may be any
// int, negative meaning x counts units of 2^−frac > 1), into v's format: one rounding
// with v.Rounding, then v.Overflow, counting any saturation or wrap in c (nil counts
// nothing). rnd is the 64-bit draw of the value's Key (Stream.Draw) and is read only
// when v.Rounding is Stochastic; pass 0 otherwise.
func (v Var) Rescale(x int64, frac int, rnd uint64, c *Counters) int64 {
	d := frac - v.Format.Frac
	switch {
	case d == 0:
		return v.finish64(x, c)
	case d > 0 && d < 63:
		q := x >> d
		rem := uint64(x) & (1<<d - 1)
		switch v.Rounding {
		case HalfEven:
			half := uint64(1) << (d - 1)
			if rem > half || rem == half && q&1 != 0 {
				q++
			}
		case HalfAway:
			half := uint64(1) << (d - 1)
			if rem > half || rem == half && x >= 0 {
				q++
			}
		case Stochastic:
			q += int64((rem + rnd>>(64-d)) >> d)
		}
		return v.finish64(q, c)
	case d < 0 && d > -63:
		s := -d
		f := v.Format
		var lo int64
		if f.Signed {
			lo = -((-f.Min()) >> s)
		}
		if x <= f.Max()>>s && x >= lo {
			return x << s
		}
		return v.overflow(x > 0, uint64(x)<<s, c)
	}
	return v.rescale128(i128From(x), frac, rnd, c)
}

// Convert converts raw x of format from into v's format (Rescale with from.Frac).
func (v Var) Convert(x int64, from Format, rnd uint64, c *Counters) int64 {
	return v.Rescale(x, from.Frac, rnd, c)
}

// Shift returns x·2^n (x of format from; n < 0 shifts right) in v's format, rounded
// and overflow-checked once. Scale registers chosen by the compiler are applied this way.
func (v Var) Shift(x int64, from Format, n int, rnd uint64, c *Counters) int64 {
	return v.Rescale(x, from.Frac-n, rnd, c)
}

// Add returns a+b (a of format fa, b of fb), computed exactly and then rounded once
// into v.
func (v Var) Add(a int64, fa Format, b int64, fb Format, rnd uint64, c *Counters) int64 {
	if fa.Frac == fb.Frac && fa.Width() < 63 && fb.Width() < 63 {
		return v.Rescale(a+b, fa.Frac, rnd, c)
	}
	x, y, f := align(a, fa, b, fb)
	return v.rescale128(x.add(y), f, rnd, c)
}

// Sub returns a−b, computed exactly and then rounded once into v.
func (v Var) Sub(a int64, fa Format, b int64, fb Format, rnd uint64, c *Counters) int64 {
	if fa.Frac == fb.Frac && fa.Width() < 63 && fb.Width() < 63 {
		return v.Rescale(a-b, fa.Frac, rnd, c)
	}
	x, y, f := align(a, fa, b, fb)
	return v.rescale128(x.sub(y), f, rnd, c)
}

// align brings a and b to the larger of their fraction bits, exactly.
func align(a int64, fa Format, b int64, fb Format) (x, y i128, frac int) {
	x, y = i128From(a), i128From(b)
	if fa.Frac >= fb.Frac {
		return x, y.shl(fa.Frac - fb.Frac), fa.Frac
	}
	return x.shl(fb.Frac - fa.Frac), y, fb.Frac
}

// Mul returns a·b: the full-width product (fa.Frac+fb.Frac fraction bits, up to 126
// bits, held exactly in 128) rounded once into v.
func (v Var) Mul(a int64, fa Format, b int64, fb Format, rnd uint64, c *Counters) int64 {
	if fa.Width()+fb.Width() <= 63 {
		return v.Rescale(a*b, fa.Frac+fb.Frac, rnd, c)
	}
	return v.rescale128(mul128(a, b), fa.Frac+fb.Frac, rnd, c)
}

// MAC returns acc + a·b with acc in v's format (v is the accumulator): the full-width
// product is rounded once to v's fraction bits with v.Rounding (exact when v has at
// least fa.Frac+fb.Frac fraction bits, as MAC accumulators do), added exactly to acc,
// and the sum takes v.Overflow once.
func (v Var) MAC(acc int64, a int64, fa Format, b int64, fb Format, rnd uint64, c *Counters) int64 {
	p := mul128(a, b)
	d := fa.Frac + fb.Frac - v.Format.Frac
	if d >= 0 {
		p = v.round128(p, d, rnd)
	} else {
		s := -d
		if !p.isZero() && p.absBitLen()+s > 125 {
			// |p·2^s| ≥ 2^124: out of range whatever acc is.
			return v.overflow(!p.neg(), uint64(acc)+p.shl(s).lo, c)
		}
		p = p.shl(s)
	}
	return v.finish128(i128From(acc).add(p), c)
}

// rescale128 is Rescale for a 128-bit intermediate |x| < 2^127.
func (v Var) rescale128(x i128, frac int, rnd uint64, c *Counters) int64 {
	d := frac - v.Format.Frac
	if d > 0 {
		return v.finish128(v.round128(x, d, rnd), c)
	}
	s := -d
	if x.isZero() {
		return 0
	}
	if x.absBitLen()+s > 125 {
		return v.overflow(!x.neg(), x.shl(s).lo, c)
	}
	return v.finish128(x.shl(s), c)
}

// round128 drops d > 0 low bits of x (|x| < 2^127) with v.Rounding.
func (v Var) round128(x i128, d int, rnd uint64) i128 {
	if d == 0 {
		return x
	}
	switch v.Rounding {
	case HalfEven, HalfAway:
		if d > 127 {
			// Keep 127 bits below the rounding point; fold the rest into a sticky bit
			// (bit 0 is far below the half bit, so ties and halves are preserved).
			n := d - 127
			sticky := !x.low(n).isZero()
			if n >= 128 {
				sticky = !x.isZero()
			}
			x = x.sar(n)
			if sticky {
				x.lo |= 1
			}
			d = 127
		}
		q := x.sar(d)
		cmp := ucmp(x.low(d), i128From(1).shl(d-1))
		if cmp > 0 || cmp == 0 && (v.Rounding == HalfEven && q.lo&1 != 0 || v.Rounding == HalfAway && !x.neg()) {
			q = q.add(i128From(1))
		}
		return q
	case Stochastic:
		if d > 127 {
			// Exact: ⌊(x + R·2^(d−64))/2^d⌋ = ⌊(⌊x/2^(d−127)⌋ + R·2^63)/2^127⌋.
			x = x.sar(d - 127)
			d = 127
		}
		var r i128
		if d <= 64 {
			r = i128{0, rnd >> (64 - d)}
		} else {
			r = i128{0, rnd}.shl(d - 64)
		}
		q := x.sar(d)
		// rem + r < 2^128: the carry into bit d is 0 or 1.
		sum := x.low(d).add(r)
		if sum.sar(d).lo != 0 {
			q = q.add(i128From(1))
		}
		return q
	default: // Floor
		return x.sar(min(d, 127))
	}
}

// finish64 applies v's overflow policy to a rounded value.
func (v Var) finish64(q int64, c *Counters) int64 {
	if q >= v.Format.Min() && q <= v.Format.Max() {
		return q
	}
	return v.overflow(q > 0, uint64(q), c)
}

func (v Var) finish128(q i128, c *Counters) int64 {
	if x, ok := q.int64(); ok {
		return v.finish64(x, c)
	}
	return v.overflow(!q.neg(), q.lo, c)
}

// overflow handles an out-of-range value: positive says which side for Saturate, low
// holds its low 64 bits for Wrap.
func (v Var) overflow(positive bool, low uint64, c *Counters) int64 {
	if v.Overflow == Wrap {
		if c != nil {
			c.Wraps++
		}
		return wrapBits(low, v.Format)
	}
	if c != nil {
		c.Saturations++
	}
	if positive {
		return v.Format.Max()
	}
	return v.Format.Min()
}

// wrapBits keeps the low Width bits of x, sign-extended for signed formats.
func wrapBits(x uint64, f Format) int64 {
	w := uint(f.Width())
	if f.Signed {
		return int64(x<<(64-w)) >> (64 - w)
	}
	return int64(x & (1<<w - 1))
}

// FromFloat converts x into v's format: the exact value x·2^Frac rounded once with
// v.Rounding (rnd as in Rescale) and v.Overflow applied. NaN gives 0; ±Inf saturate
// (and count as a saturation) whatever v.Overflow says, since they have no low bits.
func (v Var) FromFloat(x float64, rnd uint64, c *Counters) int64 {
	switch {
	case x == 0 || math.IsNaN(x):
		return 0
	case math.IsInf(x, 0):
		if c != nil {
			c.Saturations++
		}
		if x > 0 {
			return v.Format.Max()
		}
		return v.Format.Min()
	}
	fr, exp := math.Frexp(x) // x = fr·2^exp, 0.5 ≤ |fr| < 1
	m := int64(math.Ldexp(fr, 53))
	return v.Rescale(m, 53-exp, rnd, c)
}

// ToFloat returns the value of raw in v's format.
func (v Var) ToFloat(raw int64) float64 { return v.Format.ToFloat(raw) }
