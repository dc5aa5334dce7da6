package fixedpoint

import (
	"flag"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

var long = flag.Bool("long", false, "run long tests")

var allRoundings = []Rounding{Floor, HalfEven, HalfAway, Stochastic}
var allOverflows = []Overflow{Saturate, Wrap}

// vars returns every rounding × overflow combination for each format.
func vars(fs ...Format) []Var {
	var vs []Var
	for _, f := range fs {
		for _, r := range allRoundings {
			for _, o := range allOverflows {
				vs = append(vs, Var{Name: "t", Format: f, Rounding: r, Overflow: o})
			}
		}
	}
	return vs
}

// testRnd gives a reproducible draw for a test case, with the extremes 0 and 2^64−1
// mixed in so carries at the edges are exercised.
func testRnd(i int) uint64 {
	switch i % 7 {
	case 0:
		return 0
	case 1:
		return math.MaxUint64
	case 2:
		return 1 << 63
	}
	return Key{Seed: 99, Index: uint64(i)}.Draw()
}

type binop struct {
	name string
	got  func(v Var, a int64, fa Format, b int64, fb Format, rnd uint64, c *Counters) int64
	want func(a *big.Rat, b *big.Rat) *big.Rat
}

var binops = []binop{
	{"Add", Var.Add, func(a, b *big.Rat) *big.Rat { return new(big.Rat).Add(a, b) }},
	{"Sub", Var.Sub, func(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }},
	{"Mul", Var.Mul, func(a, b *big.Rat) *big.Rat { return new(big.Rat).Mul(a, b) }},
}

// TestExhaustiveQ2_5 checks every pair of Q2.5 values, for every op, rounding and
// overflow policy, into destinations narrower, wider and unsigned, against math/big
// (exact values N·2^−k as big.Int; the 63-bit tests below use big.Rat).
func TestExhaustiveQ2_5(t *testing.T) {
	src := Q(2, 5)
	dsts := vars(Q(1, 3), UQ(2, 3), Q(0, 9))
	if *long {
		dsts = append(dsts, vars(Q(2, 5), Q(4, 10), UQ(0, 8), Q(3, 0))...)
	}
	ops := []struct {
		name string
		got  func(v Var, a int64, fa Format, b int64, fb Format, rnd uint64, c *Counters) int64
		n    func(z *big.Int, a, b int64) // exact result with 5 (Add, Sub) or 10 (Mul) fraction bits
		k    int
	}{
		{"Add", Var.Add, func(z *big.Int, a, b int64) { z.Add(big.NewInt(a), big.NewInt(b)) }, 5},
		{"Sub", Var.Sub, func(z *big.Int, a, b int64) { z.Sub(big.NewInt(a), big.NewInt(b)) }, 5},
		{"Mul", Var.Mul, func(z *big.Int, a, b int64) { z.Mul(big.NewInt(a), big.NewInt(b)) }, 10},
	}
	for _, v := range dsts {
		t.Run(fmt.Sprintf("%s/%s/%s", v.Format, v.Rounding, v.Overflow), func(t *testing.T) {
			var z dyadic
			fails := 0
			check := func(what string, got int64, c Counters, want int64, wc Counters) {
				if got != want || c != wc {
					if fails++; fails < 5 {
						t.Errorf("%s = %d %+v; want %d %+v", what, got, c, want, wc)
					}
				}
			}
			i := 0
			r := rand.New(rand.NewPCG(1, 2))
			for a := src.Min(); a <= src.Max(); a++ {
				for b := src.Min(); b <= src.Max(); b++ {
					i++
					rnd := testRnd(i)
					for _, op := range ops {
						var c Counters
						got := op.got(v, a, src, b, src, rnd, &c)
						op.n(&z.n, a, b)
						want, wc := z.round(op.k, v, rnd)
						check(fmt.Sprintf("%s(%d, %d) rnd %#x", op.name, a, b, rnd), got, c, want, wc)
					}
					// MAC with an accumulator drawn from v's range: the product rounded to
					// v's fraction bits, added exactly, one overflow check.
					acc := v.Format.Min() + r.Int64N(v.Format.Max()-v.Format.Min()+1)
					var c Counters
					got := v.MAC(acc, a, src, b, src, rnd, &c)
					z.n.Mul(big.NewInt(a), big.NewInt(b))
					pv := Var{Format: Format{Signed: true, Int: 40, Frac: v.Format.Frac}, Rounding: v.Rounding}
					p, _ := z.round(10, pv, rnd)
					z.n.SetInt64(acc + p)
					want, wc := z.round(v.Format.Frac, v, 0)
					check(fmt.Sprintf("MAC(%d, %d, %d) rnd %#x", acc, a, b, rnd), got, c, want, wc)
				}
			}
			// Shift: every value by every shift in −10..10.
			for a := src.Min(); a <= src.Max(); a++ {
				for n := -10; n <= 10; n++ {
					rnd := testRnd(int(a)*31 + n)
					var c Counters
					got := v.Shift(a, src, n, rnd, &c)
					z.n.SetInt64(a)
					want, wc := z.round(5-n, v, rnd)
					check(fmt.Sprintf("Shift(%d, %d) rnd %#x", a, n, rnd), got, c, want, wc)
				}
			}
		})
	}
}

// wideFormats are formats up to the 63-bit limit, where products need 128 bits.
var wideFormats = []Format{Q(0, 62), UQ(0, 63), UQ(63, 0), Q(62, 0), Q(30, 32), UQ(31, 32), Q(7, 24), Q(2, 13), Q(40, 10), UQ(1, 60)}

// randRaw draws a raw value of f, often at or near its ends.
func randRaw(r *rand.Rand, f Format) int64 {
	switch r.IntN(8) {
	case 0:
		return f.Max()
	case 1:
		return f.Min()
	case 2:
		return f.Max() - r.Int64N(3)
	case 3:
		return 0
	}
	span := uint64(f.Max() - f.Min())
	return f.Min() + int64(r.Uint64()%(span+1))
}

// TestWideOps checks random operands in formats up to 63 bits (128-bit intermediates,
// left shifts by up to 63, drops of up to 126 bits) against math/big.
func TestWideOps(t *testing.T) {
	n := 40000
	if *long {
		n = 1000000
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range n {
		fa, fb := wideFormats[r.IntN(len(wideFormats))], wideFormats[r.IntN(len(wideFormats))]
		v := Var{Format: wideFormats[r.IntN(len(wideFormats))], Rounding: allRoundings[r.IntN(4)], Overflow: allOverflows[r.IntN(2)]}
		a, b := randRaw(r, fa), randRaw(r, fb)
		rnd := testRnd(i)
		ra, rb := ratOf(a, fa.Frac), ratOf(b, fb.Frac)
		for _, op := range binops {
			var c Counters
			got := op.got(v, a, fa, b, fb, rnd, &c)
			want, wc := refConvert(op.want(ra, rb), v, rnd)
			if got != want || c != wc {
				t.Fatalf("%s %v: %d (%s) op %d (%s) rnd %#x = %d %+v; want %d %+v", op.name, v, a, fa, b, fb, rnd, got, c, want, wc)
			}
		}
		acc := randRaw(r, v.Format)
		var c Counters
		got := v.MAC(acc, a, fa, b, fb, rnd, &c)
		want, wc := refMAC(acc, a, fa, b, fb, v, rnd)
		if got != want || c != wc {
			t.Fatalf("MAC %v: %d + %d (%s) × %d (%s) rnd %#x = %d %+v; want %d %+v", v, acc, a, fa, b, fb, rnd, got, c, want, wc)
		}
		sh := r.IntN(200) - 100
		c = Counters{}
		got = v.Shift(a, fa, sh, rnd, &c)
		want, wc = refConvert(new(big.Rat).Mul(ra, pow2Rat(sh)), v, rnd)
		if got != want || c != wc {
			t.Fatalf("Shift %v: %d (%s) by %d rnd %#x = %d %+v; want %d %+v", v, a, fa, sh, rnd, got, c, want, wc)
		}
	}
}

// TestFromFloat checks float conversion for every rounding and overflow policy against
// math/big, on every Q2.5 value, the midpoints between them, and random floats of every
// magnitude (tiny ones need drops of more than 1000 bits).
func TestFromFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var xs []float64
	for a := int64(-300); a <= 300; a++ {
		xs = append(xs, float64(a)/64, float64(a)/64+1.0/128)
	}
	for range 3000 {
		xs = append(xs, math.Ldexp(r.Float64()-0.5, r.IntN(2200)-1100), r.NormFloat64()*8)
	}
	xs = append(xs, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 0.5, -0.5, 1<<62, -(1 << 63))
	for _, v := range vars(Q(2, 5), UQ(1, 3), Q(7, 24), UQ(0, 63), Q(62, 0)) {
		for i, x := range xs {
			if math.IsInf(x, 0) {
				continue
			}
			rnd := testRnd(i)
			var c Counters
			got := v.FromFloat(x, rnd, &c)
			want, wc := refConvert(new(big.Rat).SetFloat64(x), v, rnd)
			if got != want || c != wc {
				t.Fatalf("%v FromFloat(%g) rnd %#x = %d %+v; want %d %+v", v, x, rnd, got, c, want, wc)
			}
		}
	}
}

func TestFromFloatSpecial(t *testing.T) {
	f := Q(3, 12)
	for _, tc := range []struct {
		x    float64
		want int64
		sat  uint64
	}{
		{math.NaN(), 0, 0},
		{math.Inf(1), f.Max(), 1},
		{math.Inf(-1), f.Min(), 1},
		{1e300, f.Max(), 1},
		{0.5 / 4096, 0, 0},             // tie, to even
		{1.5 / 4096, 2, 0},             // tie, to even
		{-1.5 / 4096, -2, 0},           // tie, to even
		{7.99987792968750, f.Max(), 1}, // rounds up past Max
	} {
		for _, o := range allOverflows {
			var c Counters
			v := Var{Format: f, Rounding: HalfEven, Overflow: o}
			got := v.FromFloat(tc.x, 0, &c)
			want := tc.want
			if o == Wrap && tc.x == 7.99987792968750 {
				want = f.Min()
			}
			if o == Wrap && tc.x == 1e300 {
				want = 0 // 1e300·2^12 is a multiple of 2^16
			}
			if got != want || c.Saturations+c.Wraps != tc.sat {
				t.Errorf("%v FromFloat(%g) = %d %+v; want %d with %d events", v, tc.x, got, c, want, tc.sat)
			}
		}
	}
	if got := f.FromFloat(1.0); got != 4096 {
		t.Errorf("Q3.12 FromFloat(1) = %d; want 4096", got)
	}
}

func TestCountersNil(t *testing.T) {
	v := Var{Format: Q(0, 3), Rounding: Floor, Overflow: Saturate}
	if got := v.Add(7, v.Format, 7, v.Format, 0, nil); got != 7 {
		t.Errorf("saturating add with nil counters = %d; want 7", got)
	}
	var c Counters
	v.Add(7, v.Format, 7, v.Format, 0, &c)
	v.Overflow = Wrap
	v.Add(7, v.Format, 7, v.Format, 0, &c)
	c.Add(Counters{Saturations: 2, Wraps: 3})
	if c != (Counters{Saturations: 3, Wraps: 4}) {
		t.Errorf("counters = %+v; want {3 4}", c)
	}
}

// FuzzFloatRoundTrip: FromFloat then ToFloat lands within half an LSB of any in-range
// float, and ToFloat then FromFloat returns the raw value.
func FuzzFloatRoundTrip(f *testing.F) {
	f.Add(0.1, 3, 12, true)
	f.Add(-7.99, 7, 24, true)
	f.Add(1e-9, 0, 62, true)
	f.Add(123.456, 20, 16, false)
	f.Fuzz(func(t *testing.T, x float64, ib, fb int, signed bool) {
		fm := Format{Signed: signed, Int: ib % 64, Frac: fb % 64}
		if fm.Validate() != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		raw := fm.FromFloat(x)
		if raw < fm.Min() || raw > fm.Max() {
			t.Fatalf("%s FromFloat(%g) = %d outside [%d, %d]", fm, x, raw, fm.Min(), fm.Max())
		}
		if x >= fm.MinFloat() && x <= fm.MaxFloat() {
			// |raw − x·2^Frac| ≤ 1/2, checked exactly.
			d := new(big.Rat).Sub(new(big.Rat).SetInt64(raw), new(big.Rat).Mul(new(big.Rat).SetFloat64(x), pow2Rat(fm.Frac)))
			if d.Abs(d).Cmp(big.NewRat(1, 2)) > 0 {
				t.Fatalf("%s FromFloat(%g) = %d: more than half an LSB away", fm, x, raw)
			}
		}
		if fm.Width() <= 53 {
			if back := fm.FromFloat(fm.ToFloat(raw)); back != raw {
				t.Fatalf("%s: raw %d → %g → %d", fm, raw, fm.ToFloat(raw), back)
			}
		}
	})
}
