package mnist1d

import (
	"math"
	"math/big"
	"sync"
)

// The natural logarithm of the Box–Muller draws. numpy calls the C library's log there;
// glibc's (≥ 2.28) is correctly rounded for all but about 0.08 % of the arguments
// randn meets, while Go's math.Log (not correctly rounded, and assembly on amd64 but
// Go elsewhere, so not the same on every platform) differs from it for about 3 %. logCR is correctly rounded, so the
// stream differs from numpy's by one ulp in a normal only where glibc misrounds, and
// it is the same on every platform.
//
// Method: x = 2ᵏ·m with m in (√½, √2]; c = i/128 the nearest grid point to m and
// invc = fl(1/c), a double; r = m·invc − 1, exact as a double-double; then
// log x = k·ln2 − log(invc) + log1p(r), with ln2 and the 95 values −log(invc) computed
// once to 256 bits (math/big, by the atanh series) and kept as double-doubles.
// log1p(r) (|r| < 2⁻⁷·⁴) is r − r²/2 + r³/3 with r² and r³ as double-doubles, plus the
// Taylor terms r⁴ … r¹² (below 2⁻²⁴·|r|) in float64. The whole has a relative error
// below 2⁻⁷³ (measured: 2⁻⁷⁷·³ over 1,000,000 arguments); where a bound 32 times that
// cannot decide the rounding, about one argument in 2¹⁴, logSlow evaluates the atanh
// series to 256 bits.

const (
	logGrid  = 128     // grid points per unit of m
	logTerms = 12      // Taylor terms of log1p(r); the rest are below 2⁻⁹²·|r|
	logError = 0x1p-68 // bound on the fast path's relative error, with margin
	bigPrec  = 256     // bits of the math/big evaluation
)

// logTable holds −log(invc) for each grid point i/128 with m in (√½, √2].
type logTable struct {
	ln2    dd
	lo     int // first grid index
	invc   []float64
	negLog []dd
	bigLn2 *big.Float
	coef   [logTerms + 1]float64 // (−1)ⁿ⁺¹/n
	third  dd                    // 1/3
}

var (
	logOnce sync.Once
	logTab  *logTable
)

func logTableInit() *logTable {
	logOnce.Do(func() {
		t := &logTable{bigLn2: bigLogReduced(big.NewFloat(2).SetPrec(bigPrec))}
		t.ln2 = ddFromBig(t.bigLn2)
		t.lo = int(math.Floor(math.Sqrt2/2*logGrid)) - 1
		hi := int(math.Ceil(math.Sqrt2*logGrid)) + 1
		for i := t.lo; i <= hi; i++ {
			invc := logGrid / float64(i)
			t.invc = append(t.invc, invc)
			t.negLog = append(t.negLog, ddFromBig(new(big.Float).Neg(bigLog(invc, t.bigLn2))))
		}
		t.third = ddFromBig(new(big.Float).SetPrec(bigPrec).Quo(big.NewFloat(1), big.NewFloat(3)))
		for n := 1; n <= logTerms; n++ {
			t.coef[n] = 1 / float64(n)
			if n%2 == 0 {
				t.coef[n] = -t.coef[n]
			}
		}
		logTab = t
	})
	return logTab
}

// logCR returns log(x) correctly rounded (to nearest, ties to even) for finite x > 0.
func logCR(x float64) float64 {
	t := logTableInit()
	frac, exp := math.Frexp(x) // x = frac·2^exp, frac in [½, 1)
	m, k := 2*frac, exp-1
	if m > math.Sqrt2 {
		m, k = frac, exp
	}
	i := int(m*logGrid + 0.5)
	invc := t.invc[i-t.lo]

	// r = m·invc − 1 exactly: the product as hi + lo, and hi − 1 is exact (Sterbenz).
	p := float64(m * invc)
	pLo := math.FMA(m, invc, -p)
	r := twoSum(p-1, pLo)

	// log1p(r) = r − r²/2 + r³/3 + r⁴·Σ (−1)ⁿ⁺¹ rⁿ⁻⁴/n: r² and r³ as double-doubles,
	// the tail (below 2⁻²⁴·|r|) by Horner in float64.
	rh, rl := r.hi, r.lo
	sq := float64(rh * rh)
	sqLo := math.FMA(rh, rh, -sq) + float64(2*rh*rl)
	cube := float64(sq * rh)
	cubeLo := math.FMA(sq, rh, -cube) + (float64(sqLo*rh) + float64(sq*rl))
	third := ddMul(dd{cube, cubeLo}, t.third)
	q := t.coef[logTerms]
	for n := logTerms - 1; n >= 4; n-- {
		q = float64(q*rh) + t.coef[n]
	}
	tail := float64(float64(q*cube) * rh)
	s := twoSum(rh, -sq/2)
	s = ddAdd(s, dd{third.hi, third.lo + (tail + (rl - sqLo/2))})

	kLn2 := ddMulFloat(t.ln2, float64(k))
	sum := ddAdd(ddAdd(kLn2, t.negLog[i-t.lo]), s)

	// sum.hi is the rounded result unless sum lies within the error bound of the
	// midpoint between sum.hi and its neighbour on sum.lo's side.
	if sum.lo != 0 {
		next := math.Nextafter(sum.hi, math.Copysign(math.Inf(1), sum.lo))
		half := (next - sum.hi) / 2
		if math.Abs(sum.lo-half) <= logError*math.Abs(sum.hi) {
			return logSlow(x)
		}
	}
	return sum.hi
}

// logSlow returns log(x) correctly rounded for finite x > 0, evaluated with math/big.
func logSlow(x float64) float64 {
	v, _ := bigLog(x, logTableInit().bigLn2).Float64()
	return v
}

// bigLog returns log(x) to about bigPrec bits for finite x > 0: with x = 2ᵏ·m,
// m in (√½, √2], k·ln2 + bigLogReduced(m).
func bigLog(x float64, ln2 *big.Float) *big.Float {
	frac, exp := math.Frexp(x)
	m, k := 2*frac, exp-1
	if m > math.Sqrt2 {
		m, k = frac, exp
	}
	res := bigLogReduced(new(big.Float).SetPrec(bigPrec).SetFloat64(m))
	kLn2 := new(big.Float).SetPrec(bigPrec).SetInt64(int64(k))
	kLn2.Mul(kLn2, ln2)
	return res.Add(res, kLn2)
}

// bigLogReduced returns log(m) = 2·atanh(z), z = (m − 1)/(m + 1), summed until the
// terms z²ʲ⁺¹/(2j + 1) fall below 2^−bigPrec relative; it converges quickly for m near
// 1 and still for m = 2 (z = ⅓).
func bigLogReduced(m *big.Float) *big.Float {
	one := big.NewFloat(1)
	z := new(big.Float).SetPrec(bigPrec).Sub(m, one)
	den := new(big.Float).SetPrec(bigPrec).Add(m, one)
	z.Quo(z, den)
	z2 := new(big.Float).SetPrec(bigPrec).Mul(z, z)
	sum := new(big.Float).SetPrec(bigPrec).Set(z)
	pow := new(big.Float).SetPrec(bigPrec).Set(z)
	term := new(big.Float).SetPrec(bigPrec)
	for j := 1; z.Sign() != 0; j++ {
		pow.Mul(pow, z2)
		term.Quo(pow, big.NewFloat(float64(2*j+1)))
		if term.Sign() == 0 || term.MantExp(nil)-sum.MantExp(nil) < -bigPrec-8 {
			break
		}
		sum.Add(sum, term)
	}
	return sum.Mul(sum, big.NewFloat(2))
}

// dd is a double-double: the unevaluated sum hi + lo with |lo| ≤ ulp(hi)/2.
type dd struct{ hi, lo float64 }

// ddFromBig rounds v to a double-double.
func ddFromBig(v *big.Float) dd {
	hi, _ := v.Float64()
	rest := new(big.Float).SetPrec(bigPrec).Sub(v, big.NewFloat(hi))
	lo, _ := rest.Float64()
	return dd{hi, lo}
}

// twoSum returns a + b exactly as a double-double (Knuth).
func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	err := (a - (s - bb)) + (b - bb)
	return fastTwoSum(s, err)
}

// fastTwoSum returns a + b exactly for |a| ≥ |b| (or a = 0) (Dekker).
func fastTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

// ddAdd returns a + b (Dekker's sum). Its error is below 2⁻¹⁰⁵·(|a| + |b|): relative
// to the result that is 2⁻¹⁰³ or better wherever logCR uses it, since there a and b
// cancel by a factor of about 4 at most (the accurate sum, twice the work, is not needed).
func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	return fastTwoSum(s.hi, s.lo+(a.lo+b.lo))
}

// ddMul returns a·b with a relative error below 2⁻¹⁰².
func ddMul(a, b dd) dd {
	p := float64(a.hi * b.hi)
	e := math.FMA(a.hi, b.hi, -p)
	e += float64(a.hi*b.lo) + float64(a.lo*b.hi)
	return fastTwoSum(p, e)
}

// ddMulFloat returns a·b for a float64 b.
func ddMulFloat(a dd, b float64) dd {
	p := float64(a.hi * b)
	e := math.FMA(a.hi, b, -p)
	e += float64(a.lo * b)
	return fastTwoSum(p, e)
}
