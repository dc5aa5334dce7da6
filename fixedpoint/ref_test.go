package fixedpoint

import (
	"math/big"
)

// The reference model: exact rational arithmetic with math/big, written from the
// definitions in policy.go rather than from the implementation's bit tricks.

// ratOf is raw·2^−frac as an exact rational.
func ratOf(raw int64, frac int) *big.Rat {
	r := new(big.Rat).SetInt64(raw)
	return r.Mul(r, pow2Rat(-frac))
}

func pow2Rat(n int) *big.Rat {
	p := new(big.Int).Lsh(big.NewInt(1), uint(abs(n)))
	if n >= 0 {
		return new(big.Rat).SetInt(p)
	}
	return new(big.Rat).SetFrac(big.NewInt(1), p)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// floorRat is ⌊y⌋.
func floorRat(y *big.Rat) *big.Int {
	q := new(big.Int)
	q.Div(y.Num(), y.Denom()) // Euclidean division; Denom > 0, so this is floor
	return q
}

// refRound rounds the exact value y (in destination LSB units) with mode r.
func refRound(y *big.Rat, r Rounding, rnd uint64) *big.Int {
	q := floorRat(y)
	frac := new(big.Rat).Sub(y, new(big.Rat).SetInt(q))
	half := big.NewRat(1, 2)
	one := big.NewInt(1)
	switch r {
	case HalfEven:
		c := frac.Cmp(half)
		if c > 0 || c == 0 && q.Bit(0) == 1 { // Bit of a negative big.Int reads |q|; parity is the same
			q.Add(q, one)
		}
	case HalfAway:
		c := frac.Cmp(half)
		if c > 0 || c == 0 && y.Sign() >= 0 {
			q.Add(q, one)
		}
	case Stochastic:
		rr := new(big.Rat).SetFrac(new(big.Int).SetUint64(rnd), new(big.Int).Lsh(one, 64))
		q = floorRat(new(big.Rat).Add(y, rr))
	}
	return q
}

// refFinish applies overflow to q, reporting (raw, saturated, wrapped).
func refFinish(q *big.Int, v Var) (int64, bool, bool) {
	f := v.Format
	lo, hi := big.NewInt(f.Min()), big.NewInt(f.Max())
	if q.Cmp(lo) >= 0 && q.Cmp(hi) <= 0 {
		return q.Int64(), false, false
	}
	if v.Overflow == Saturate {
		if q.Sign() > 0 {
			return f.Max(), true, false
		}
		return f.Min(), true, false
	}
	m := new(big.Int).Lsh(big.NewInt(1), uint(f.Width()))
	w := new(big.Int).Mod(q, m) // Euclidean: 0 ≤ w < m
	if f.Signed && w.Cmp(new(big.Int).Rsh(m, 1)) >= 0 {
		w.Sub(w, m)
	}
	return w.Int64(), false, true
}

// refConvert is the reference of rounding the exact value x into v.
func refConvert(x *big.Rat, v Var, rnd uint64) (int64, Counters) {
	y := new(big.Rat).Mul(x, pow2Rat(v.Format.Frac))
	raw, s, w := refFinish(refRound(y, v.Rounding, rnd), v)
	var c Counters
	if s {
		c.Saturations++
	}
	if w {
		c.Wraps++
	}
	return raw, c
}

// refMAC: the product rounded to acc's fraction bits, added exactly, one overflow check.
func refMAC(acc int64, a int64, fa Format, b int64, fb Format, v Var, rnd uint64) (int64, Counters) {
	p := new(big.Rat).Mul(ratOf(a, fa.Frac), ratOf(b, fb.Frac))
	q := refRound(new(big.Rat).Mul(p, pow2Rat(v.Format.Frac)), v.Rounding, rnd)
	q.Add(q, big.NewInt(acc))
	raw, s, w := refFinish(q, v)
	var c Counters
	if s {
		c.Saturations++
	}
	if w {
		c.Wraps++
	}
	return raw, c
}

// dyadic is the faster reference for the exhaustive tests: the exact value N·2^−k in
// big.Int with reused buffers (no gcd, unlike big.Rat), rounded from the same
// definitions: ⌊y⌋, compare the remainder with one half, ⌊y + R·2^−64⌋.
type dyadic struct {
	n, q, rem, t, u big.Int
}

func (z *dyadic) round(k int, v Var, rnd uint64) (int64, Counters) {
	d := k - v.Format.Frac
	q := &z.q
	switch {
	case d <= 0:
		q.Lsh(&z.n, uint(-d))
	case v.Rounding == Stochastic:
		z.t.Lsh(&z.n, 64)
		z.u.SetUint64(rnd)
		z.u.Lsh(&z.u, uint(d))
		z.t.Add(&z.t, &z.u)
		q.Rsh(&z.t, uint(d+64)) // Rsh on big.Int is floor for negative values
	default:
		q.Rsh(&z.n, uint(d))
		z.rem.Lsh(q, uint(d))
		z.rem.Sub(&z.n, &z.rem) // 0 ≤ rem < 2^d
		z.rem.Lsh(&z.rem, 1)
		z.u.Lsh(big.NewInt(1), uint(d))
		c := z.rem.Cmp(&z.u) // 2·rem vs 2^d
		switch {
		case v.Rounding == HalfEven && (c > 0 || c == 0 && q.Bit(0) == 1):
			q.Add(q, big.NewInt(1))
		case v.Rounding == HalfAway && (c > 0 || c == 0 && z.n.Sign() >= 0):
			q.Add(q, big.NewInt(1))
		}
	}
	raw, s, w := refFinish(q, v)
	var c Counters
	if s {
		c.Saturations++
	}
	if w {
		c.Wraps++
	}
	return raw, c
}
