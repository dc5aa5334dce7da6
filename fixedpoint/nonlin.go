package fixedpoint

import (
	"fmt"
	"math"
	"math/bits"
)

// Func names a function a nonlinearity unit computes: φ and φ′ of the paper's
// nonlinearities, exp for softmax and the reciprocal for τ learning.
type Func uint8

const (
	Identity Func = iota
	IdentityPrime
	ReLU
	ReLUPrime
	Tanh
	TanhPrime
	Sigmoid
	SigmoidPrime
	HardSigmoid
	HardSigmoidPrime
	HardTanh
	HardTanhPrime
	Softplus
	SoftplusPrime // = Sigmoid
	Exp
	Recip
	numFuncs
)

var funcNames = [...]string{"identity", "identity'", "relu", "relu'", "tanh", "tanh'", "sigmoid", "sigmoid'",
	"hard-sigmoid", "hard-sigmoid'", "hard-tanh", "hard-tanh'", "softplus", "softplus'", "exp", "recip"}

// Funcs lists every Func.
func Funcs() []Func {
	fs := make([]Func, numFuncs)
	for i := range fs {
		fs[i] = Func(i)
	}
	return fs
}

func (f Func) String() string {
	if f < numFuncs {
		return funcNames[f]
	}
	return fmt.Sprintf("Func(%d)", uint8(f))
}

// Set parses a Func by its String ("tanh", "tanh'", "hard-sigmoid", ...).
func (f *Func) Set(s string) error {
	for i, n := range funcNames {
		if s == n {
			*f = Func(i)
			return nil
		}
	}
	return fmt.Errorf("fixedpoint: function %q: want one of identity, relu, tanh, sigmoid, hard-sigmoid, hard-tanh, softplus (add ' for the derivative), exp, recip", s)
}

// Type names the flag type for pflag.
func (f *Func) Type() string { return "func" }

// Float is the exact function in float64 (math), the reference units are measured
// against. Derivatives at the kinks follow gle-step.md: relu′(0) = 0, hard-sigmoid′ is
// 1 on [0, 1], hard-tanh′ is 1 on [−1, 1].
func (f Func) Float(x float64) float64 {
	b := func(c bool) float64 {
		if c {
			return 1
		}
		return 0
	}
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	switch f {
	case Identity:
		return x
	case IdentityPrime:
		return 1
	case ReLU:
		return math.Max(x, 0)
	case ReLUPrime:
		return b(x > 0)
	case Tanh:
		return math.Tanh(x)
	case TanhPrime:
		t := math.Tanh(x)
		return 1 - t*t
	case Sigmoid, SoftplusPrime:
		return sig(x)
	case SigmoidPrime:
		s := sig(x)
		return s * (1 - s)
	case HardSigmoid:
		return math.Min(math.Max(x, 0), 1)
	case HardSigmoidPrime:
		return b(x >= 0 && x <= 1)
	case HardTanh:
		return math.Min(math.Max(x, -1), 1)
	case HardTanhPrime:
		return b(x >= -1 && x <= 1)
	case Softplus:
		if x > 30 {
			return x + math.Log1p(math.Exp(-x))
		}
		return math.Log1p(math.Exp(x))
	case Exp:
		return math.Exp(x)
	case Recip:
		return 1 / x
	}
	return math.NaN()
}

// piecewise reports whether f is piecewise linear with breakpoints at 0 and ±1, which a
// unit computes exactly with comparators instead of a table.
func (f Func) piecewise() bool {
	switch f {
	case Identity, IdentityPrime, ReLU, ReLUPrime, HardSigmoid, HardSigmoidPrime, HardTanh, HardTanhPrime:
		return true
	}
	return false
}

// Edge says how a table unit treats inputs outside its table's range.
type Edge uint8

const (
	Clamp  Edge = iota // hold the end entry (saturating functions)
	Extend             // continue the end segment's line (asymptotically linear functions)
)

func (e Edge) String() string {
	if e == Extend {
		return "extend"
	}
	return "clamp"
}

// LUTGuardBits is how many fraction bits beyond the output format table entries keep,
// so that interpolation rounds once, at the end.
const LUTGuardBits = 4

// LUT is a nonlinearity unit: raw input in format In → raw output in format Out, in
// integer arithmetic only. Its fields are read-only once built.
//
// Table units (tanh, sigmoid, softplus, their derivatives, exp) hold Size+1 entries
// T[k] = f(lo + k·step) rounded half-even to Out.Frac+LUTGuardBits fraction bits (not
// clamped to Out's range: saturation happens once, on the interpolated value), with
// step = 2^StepBits raw input units. For an input x with t = x − Lo, i = t >> StepBits,
// φ = t mod 2^StepBits, the exact line
//
//	y = T[i]·2^StepBits + (T[i+1] − T[i])·φ        (Out.Frac+LUTGuardBits+StepBits fraction bits)
//
// is rounded half-even into Out and saturated (counted). Below the table (t < 0) and
// above it (t > Size·2^StepBits) the Below and Above edges apply: Clamp holds T[0] or
// T[Size]; Extend uses the first or last segment's line with the same formula.
//
// Piecewise-linear functions (identity, relu, hard sigmoid, hard tanh and their
// derivatives) have no table (Table is nil): comparators compute them exactly, then one
// half-even rounding into Out. A linear interpolation cannot reproduce a step.
//
// Recip has a normalising table: for x > 0 with top bit n, m = x/2^n ∈ [1, 2) indexes
// a table of 1/m over [1, 2] (Size+1 entries, 30 fraction bits), interpolated as above
// on the n bits below the top bit, then shifted by In.Frac−n and rounded half-even into
// Out. x ≤ 0 gives Out.Max (a saturation).
type LUT struct {
	Func         Func
	In, Out      Format
	Lo           int64   // raw input (In) of T[0]
	StepBits     int     // log2 of the raw input distance between entries
	Size         int     // number of segments, a power of two; 0 for comparator units
	Table        []int64 // Size+1 entries; nil for comparator units
	Below, Above Edge
	out          Var
	fast         bool // every interpolation fits an int64 (entries and φ are small)
}

const recipFrac = 30 // fraction bits of the reciprocal table

// NewLUT builds the unit for f (any Func but Recip) from in to out, with a table of
// size segments covering [lo, hi]: size a power of two from 2 to 2^20, lo and hi
// multiples of in's resolution, and (hi−lo)/size a power-of-two multiple of it.
// Comparator units (piecewise-linear f) ignore lo, hi and size.
func NewLUT(f Func, in, out Format, lo, hi float64, size int) (*LUT, error) {
	if err := checkUnitFormats(f, in, out); err != nil {
		return nil, err
	}
	l := &LUT{Func: f, In: in, Out: out, out: Var{Name: f.String(), Format: out, Rounding: HalfEven, Overflow: Saturate}}
	switch {
	case f == Recip:
		return nil, fmt.Errorf("fixedpoint: recip: build it with NewRecip, its table covers the mantissa [1, 2]")
	case f >= numFuncs:
		return nil, fmt.Errorf("fixedpoint: unknown function %d", f)
	case f.piecewise():
		if in.Frac > 61 {
			return nil, fmt.Errorf("fixedpoint: %s input %s: at most 61 fraction bits, so that 1 is representable", f, in)
		}
		return l, nil
	}
	if size < 2 || size > 1<<20 || size&(size-1) != 0 {
		return nil, fmt.Errorf("fixedpoint: %s table of %d entries: the size must be a power of two from 2 to 1048576", f, size)
	}
	if !(lo < hi) {
		return nil, fmt.Errorf("fixedpoint: %s table range [%g, %g] is empty; give lo < hi", f, lo, hi)
	}
	rlo, rhi := math.Ldexp(lo, in.Frac), math.Ldexp(hi, in.Frac)
	if rlo != math.Trunc(rlo) || rhi != math.Trunc(rhi) || math.Abs(rlo) > 1<<62 || math.Abs(rhi) > 1<<62 {
		return nil, fmt.Errorf("fixedpoint: %s table range [%g, %g] is not on the %s grid (resolution %g); round the ends to it", f, lo, hi, in, in.Resolution())
	}
	span := int64(rhi) - int64(rlo)
	step := span / int64(size)
	if step*int64(size) != span || step&(step-1) != 0 {
		return nil, fmt.Errorf("fixedpoint: %s table range [%g, %g] over %d segments: a segment must be a power-of-two number of %s steps (%g); change the range or the size", f, lo, hi, size, in, in.Resolution())
	}
	l.Lo, l.StepBits, l.Size = int64(rlo), bits.TrailingZeros64(uint64(step)), size
	l.Table = make([]int64, size+1)
	tf := out.Frac + LUTGuardBits
	tv := Var{Format: Format{Signed: true, Int: max(0, 62-tf), Frac: tf}, Rounding: HalfEven, Overflow: Saturate}
	if err := tv.Format.Validate(); err != nil || tf > 56 {
		return nil, fmt.Errorf("fixedpoint: %s: output format %s leaves no room for %d guard bits; use at most %d fraction bits", f, out, LUTGuardBits, 56-LUTGuardBits)
	}
	for k := range l.Table {
		x := math.Ldexp(float64(l.Lo+int64(k)*step), -in.Frac)
		l.Table[k] = tv.FromFloat(f.Float(x), 0, nil)
	}
	if f == Softplus || f == Identity || f == ReLU {
		l.Above = Extend
	}
	l.setFast()
	return l, nil
}

// NewRecip builds the reciprocal unit 1/x from in (unsigned) to out, with a table of
// size segments over the mantissa [1, 2].
func NewRecip(in, out Format, size int) (*LUT, error) {
	if err := checkUnitFormats(Recip, in, out); err != nil {
		return nil, err
	}
	if in.Signed {
		return nil, fmt.Errorf("fixedpoint: recip input %s is signed; use an unsigned (UQ) format", in)
	}
	if size < 2 || size > 1<<20 || size&(size-1) != 0 {
		return nil, fmt.Errorf("fixedpoint: recip table of %d entries: the size must be a power of two from 2 to 1048576", size)
	}
	l := &LUT{Func: Recip, In: in, Out: out, Size: size, out: Var{Name: "recip", Format: out, Rounding: HalfEven, Overflow: Saturate}}
	l.Table = make([]int64, size+1)
	tv := Var{Format: UQ(2, recipFrac), Rounding: HalfEven, Overflow: Saturate}
	for k := range l.Table {
		l.Table[k] = tv.FromFloat(1/(1+float64(k)/float64(size)), 0, nil)
	}
	return l, nil
}

// setFast decides whether inputs inside the table can be interpolated in int64:
// |T[i]·2^s + (T[i+1]−T[i])·φ| < 2^(bits+1+s) must stay below 2^62.
func (l *LUT) setFast() {
	var m uint64
	for _, v := range l.Table {
		if v < 0 {
			v = -v
		}
		m |= uint64(v)
	}
	l.fast = bits.Len64(m)+2+l.StepBits < 62
}

func checkUnitFormats(f Func, in, out Format) error {
	if err := in.Validate(); err != nil {
		return fmt.Errorf("fixedpoint: %s input: %w", f, err)
	}
	if err := out.Validate(); err != nil {
		return fmt.Errorf("fixedpoint: %s output: %w", f, err)
	}
	return nil
}

// Eval returns the unit's raw output for raw input x (in In), counting saturations of
// the output in c (nil counts nothing).
func (l *LUT) Eval(x int64, c *Counters) int64 {
	switch {
	case l.Func == Recip:
		return l.recip(x, c)
	case l.Table == nil:
		return l.comparator(x, c)
	}
	t := x - l.Lo
	n := int64(l.Size) << l.StepBits
	i := t >> l.StepBits
	switch {
	case t < 0:
		if l.Below == Clamp {
			return l.out.Rescale(l.Table[0], l.Out.Frac+LUTGuardBits, 0, c)
		}
		i = 0
	case t >= n:
		if t == n || l.Above == Clamp {
			return l.out.Rescale(l.Table[l.Size], l.Out.Frac+LUTGuardBits, 0, c)
		}
		i = int64(l.Size) - 1
	default:
		if l.fast {
			a := l.Table[i]
			y := a<<l.StepBits + (l.Table[i+1]-a)*(t&(1<<l.StepBits-1))
			return l.out.Rescale(y, l.Out.Frac+LUTGuardBits+l.StepBits, 0, c)
		}
	}
	a := l.Table[i]
	phi := t - i<<l.StepBits
	y := i128From(a).shl(l.StepBits).add(mul128(l.Table[i+1]-a, phi))
	return l.out.rescale128(y, l.Out.Frac+LUTGuardBits+l.StepBits, 0, c)
}

func (l *LUT) recip(x int64, c *Counters) int64 {
	if x <= 0 {
		if c != nil {
			c.Saturations++
		}
		return l.Out.Max()
	}
	n := bits.Len64(uint64(x)) - 1
	sb := bits.TrailingZeros64(uint64(l.Size)) // log2 Size
	t := x - 1<<n                              // n fraction bits of the mantissa
	var y i128
	var frac int
	if n >= sb {
		s := n - sb
		i := t >> s
		a := l.Table[i]
		y = i128From(a).shl(s).add(mul128(l.Table[i+1]-a, t&(1<<s-1)))
		frac = recipFrac + s
	} else {
		y = i128From(l.Table[t<<(sb-n)])
		frac = recipFrac
	}
	// 1/X = 2^(In.Frac−n)/m: the table value times 2^(In.Frac−n).
	return l.out.rescale128(y, frac-(l.In.Frac-n), 0, c)
}

func (l *LUT) comparator(x int64, c *Counters) int64 {
	fi := l.In.Frac
	one := int64(1) << fi
	var y int64
	b := func(c bool) int64 {
		if c {
			return one
		}
		return 0
	}
	switch l.Func {
	case Identity:
		y = x
	case IdentityPrime:
		y = one
	case ReLU:
		y = max(x, 0)
	case ReLUPrime:
		y = b(x > 0)
	case HardSigmoid:
		y = min(max(x, 0), one)
	case HardSigmoidPrime:
		y = b(x >= 0 && x <= one)
	case HardTanh:
		y = min(max(x, -one), one)
	case HardTanhPrime:
		y = b(x >= -one && x <= one)
	}
	return l.out.Rescale(y, fi, 0, c)
}

// Float evaluates the unit on a float input: x rounded half-even (saturating) into In,
// Eval, and the output's value.
func (l *LUT) Float(x float64) float64 {
	return l.Out.ToFloat(l.Eval(l.In.FromFloat(x), nil))
}

// MaxInputBits is the widest input format MaxError scans exhaustively.
const MaxInputBits = 24

// MaxError returns the largest |unit(x) − f(x)| over every representable input x of
// In, f(x) computed in float64 and clamped to Out's range (saturation is the declared
// behaviour), with the input where it occurs (the smallest such raw input).
func (l *LUT) MaxError() (maxErr float64, at int64, err error) {
	if l.In.Width() > MaxInputBits {
		return 0, 0, fmt.Errorf("fixedpoint: %s: input %s is %d bits wide; MaxError scans at most %d", l.Func, l.In, l.In.Width(), MaxInputBits)
	}
	lo, hi := l.Out.MinFloat(), l.Out.MaxFloat()
	for x := l.In.Min(); x <= l.In.Max(); x++ {
		want := math.Max(math.Min(l.Func.Float(l.In.ToFloat(x)), hi), lo)
		e := math.Abs(l.Out.ToFloat(l.Eval(x, nil)) - want)
		if e > maxErr {
			maxErr, at = e, x
		}
	}
	return maxErr, at, nil
}
