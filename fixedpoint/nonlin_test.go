package fixedpoint

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDefaultLUTErrors: every default unit is within a stated bound of math over every
// input of its format (the figures docs/arithmetic.md prints), and comparator units are
// exact.
func TestDefaultLUTErrors(t *testing.T) {
	tb := DefaultTable()
	for _, f := range Funcs() {
		l, err := DefaultLUT(tb, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		e, at, err := l.MaxError()
		if err != nil {
			t.Fatal(err)
		}
		bound := 1.0 // in output LSBs
		if f.piecewise() {
			bound = 0
		}
		if lsb := e / l.Out.Resolution(); lsb > bound+1e-9 {
			t.Errorf("%s: max error %.3g (%.6f LSB of %s) at %g; want ≤ %g LSB", f, e, lsb, l.Out, l.In.ToFloat(at), bound)
		}
	}
}

// TestLUTEval checks the interpolation rule, the edges and the comparators on chosen
// inputs.
func TestLUTEval(t *testing.T) {
	// A table of x² on [0, 4] in 4 segments, Q3.4 in and out: entries 0, 1, 4, 9, 16
	// (16 saturates Q3.4 only after interpolation).
	sq, err := NewLUT(Tanh, Q(3, 4), Q(3, 4), 0, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	for k := range sq.Table {
		sq.Table[k] = int64(k*k) << (4 + LUTGuardBits)
	}
	sq.Above = Extend
	sq.setFast()
	for _, tc := range []struct {
		x    float64
		want float64
		sat  uint64
	}{
		{0, 0, 0},
		{0.5, 0.5, 0},       // halfway 0..1
		{1.25, 1.75, 0},     // 1 + 3·0.25
		{2.0625, 4.3125, 0}, // 4 + 5·0.0625
		{-1, 0, 0},          // Below: clamp T[0]
		{4, 7.9375, 1},      // T[4] = 16 saturates
		{3.5, 7.9375, 1},    // 9 + 7·0.5 = 12.5 saturates
		{-0.0625, 0, 0},
	} {
		var c Counters
		got := sq.Out.ToFloat(sq.Eval(sq.In.FromFloat(tc.x), &c))
		if got != tc.want || c.Saturations != tc.sat {
			t.Errorf("x² table at %g = %g (%d saturations); want %g (%d)", tc.x, got, c.Saturations, tc.want, tc.sat)
		}
	}
	// Extend past the end: softplus continues its last segment.
	sp, err := NewLUT(Softplus, Q(6, 8), Q(6, 8), -8, 8, 64)
	if err != nil {
		t.Fatal(err)
	}
	if got := sp.Float(20); math.Abs(got-20) > 0.02 { // the last segment's slope, extrapolated 12 units
		t.Errorf("softplus(20) extended = %g; want ≈ 20", got)
	}
	if got := sp.Float(-20); got != sp.Float(-8) {
		t.Errorf("softplus(−20) = %g; want the clamped T[0] = %g", got, sp.Float(-8))
	}
	for _, tc := range []struct {
		f    Func
		x    float64
		want float64
	}{
		{ReLU, -0.5, 0}, {ReLU, 0.25, 0.25},
		{ReLUPrime, 0, 0}, {ReLUPrime, 1.0 / 4096, 1},
		{HardSigmoid, 1.5, 1}, {HardSigmoid, -0.1, 0},
		{HardSigmoidPrime, 0, 1}, {HardSigmoidPrime, 1, 1}, {HardSigmoidPrime, 1 + 1.0/4096, 0}, {HardSigmoidPrime, -1.0 / 4096, 0},
		{HardTanh, -3, -1}, {HardTanhPrime, -1, 1}, {HardTanhPrime, -1 - 1.0/4096, 0},
		{IdentityPrime, 5, 1}, {Identity, -7.5, -7.5},
	} {
		l, err := DefaultLUT(DefaultTable(), tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Float(tc.x); got != tc.want {
			t.Errorf("%s(%g) = %g; want %g", tc.f, tc.x, got, tc.want)
		}
	}
	rc, err := NewRecip(UQ(8, 8), UQ(1, 15), 256)
	if err != nil {
		t.Fatal(err)
	}
	var c Counters
	for _, tc := range []struct{ x, want float64 }{{1, 1.99997 - 0.99997}, {2, 0.5}, {4, 0.25}, {200, 0.005004882812}, {0.5, 2 - 1.0/32768}} {
		if got := rc.Float(tc.x); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("recip(%g) = %.9g; want %.9g", tc.x, got, tc.want)
		}
	}
	if got := rc.Eval(0, &c); got != rc.Out.Max() || c.Saturations != 1 {
		t.Errorf("recip(0) = %d with %d saturations; want Max %d and 1", got, c.Saturations, rc.Out.Max())
	}
}

func TestLUTErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func() (*LUT, error)
		want string
	}{
		{"size", func() (*LUT, error) { return NewLUT(Tanh, Q(3, 12), Q(3, 12), -8, 8, 300) }, "fixedpoint: tanh table of 300 entries: the size must be a power of two from 2 to 1048576"},
		{"empty", func() (*LUT, error) { return NewLUT(Tanh, Q(3, 12), Q(3, 12), 8, -8, 256) }, "fixedpoint: tanh table range [8, -8] is empty; give lo < hi"},
		{"grid", func() (*LUT, error) { return NewLUT(Sigmoid, Q(3, 2), Q(3, 12), -8.1, 8, 256) }, "fixedpoint: sigmoid table range [-8.1, 8] is not on the Q3.2 grid (resolution 0.25); round the ends to it"},
		{"step", func() (*LUT, error) { return NewLUT(Exp, Q(4, 11), UQ(1, 15), -12, 0, 1024) }, "fixedpoint: exp table range [-12, 0] over 1024 segments: a segment must be a power-of-two number of Q4.11 steps (0.00048828125); change the range or the size"},
		{"recip", func() (*LUT, error) { return NewLUT(Recip, UQ(8, 8), UQ(1, 15), 1, 2, 256) }, "fixedpoint: recip: build it with NewRecip, its table covers the mantissa [1, 2]"},
		{"signed recip", func() (*LUT, error) { return NewRecip(Q(8, 8), UQ(1, 15), 256) }, "fixedpoint: recip input Q8.8 is signed; use an unsigned (UQ) format"},
		{"bad in", func() (*LUT, error) { return NewLUT(Tanh, Q(40, 40), Q(3, 12), -8, 8, 256) }, "fixedpoint: tanh input: fixedpoint: format Q40.40 is 81 bits wide; at most 63 fit the int64 container"},
		{"guard", func() (*LUT, error) { return NewLUT(Tanh, Q(3, 12), Q(0, 60), -8, 8, 256) }, "fixedpoint: tanh: output format Q0.60 leaves no room for 4 guard bits; use at most 52 fraction bits"},
		{"func", func() (*LUT, error) { return NewLUT(Func(99), Q(3, 12), Q(3, 12), -8, 8, 256) }, "fixedpoint: unknown function 99"},
	} {
		_, err := tc.f()
		if got := errString(err); got != tc.want {
			t.Errorf("%s: error %q; want %q", tc.name, got, tc.want)
		}
	}
	var f Func
	if err := f.Set("tanh'"); err != nil || f != TanhPrime {
		t.Errorf("Set(tanh') = %v, %v", f, err)
	}
	if err := f.Set("gelu"); err == nil {
		t.Error("Set(gelu) accepted")
	}
	if _, err := DefaultLUT(Table{}, Tanh); errString(err) != `fixedpoint: table has no "phi_in" for the tanh unit's input; add it` {
		t.Errorf("DefaultLUT on an empty table: %v", err)
	}
}

// TestLUTWide: a table whose entries are large takes the 128-bit interpolation and
// agrees with the float function.
func TestLUTWide(t *testing.T) {
	l, err := NewLUT(Exp, Q(6, 20), Q(40, 10), -8, 24, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if l.fast {
		t.Fatal("exp up to e^24 with 20 fraction bits of step should not take the int64 path")
	}
	for _, x := range []float64{-3.3, 0, 1.5, 10.25, 20.7, 23.9} {
		got, want := l.Float(x), math.Exp(x)
		if math.Abs(got-want) > 1e-3*want+1e-3 {
			t.Errorf("exp(%g) = %g; want %g", x, got, want)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	w, x := operand(r, 0, 64*64), operand(r, 0, 64)
	dst := make([]int32, 64)
	v := Var{Name: "u", Format: Q(7, 24), Rounding: Stochastic}
	l, _ := DefaultLUT(DefaultTable(), Tanh)
	p := OuterParams{Mult: 100, Shift: 20, Min: -1000, Max: 1000}
	var c Counters
	sums := make([]int64, 4*64)
	for name, f := range map[string]func(){
		"Dot":         func() { Dot(x, x) },
		"MatVec":      func() { MatVec(dst, w, 64, x) },
		"MatTVec":     func() { MatTVec(dst, w, 64, x) },
		"OuterUpdate": func() { OuterUpdate(w, 64, x[:16], x, 4, p, &c) },
		"OuterSum":    func() { OuterSum(sums, 64, x[:16], x, 4) },
		"Rescale":     func() { v.Mul(123456789, Q(30, 32), -987654321, Q(20, 40), 77, &c) },
		"LUT":         func() { l.Eval(1234, &c) },
	} {
		if n := testing.AllocsPerRun(10, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}
