package fixedpoint

import "fmt"

// DefaultLUTSize is the number of segments of the default table units.
const DefaultLUTSize = 512

// The default units' formats come from the Table: φ reads "phi_in" and writes "r",
// φ′ writes "r_prime", exp reads "exp_in" and writes "exp_out", the reciprocal reads
// "tau_m" (τm in units of dt) and writes "dt_tau_m".
var defaultUnits = map[Func]struct {
	in, out string
	lo, hi  float64
	size    int
}{
	Tanh:          {"phi_in", "r", -8, 8, DefaultLUTSize},
	TanhPrime:     {"phi_in", "r_prime", -8, 8, 2048},
	Sigmoid:       {"phi_in", "r", -16, 16, DefaultLUTSize},
	SigmoidPrime:  {"phi_in", "r_prime", -16, 16, 2048},
	Softplus:      {"phi_in", "r", -16, 16, DefaultLUTSize},
	SoftplusPrime: {"phi_in", "r_prime", -16, 16, 1024},
	Exp:           {"exp_in", "exp_out", -12, 4, 2048},
	Recip:         {"tau_m", "dt_tau_m", 1, 2, 256},
}

// DefaultLUT builds the chip's default unit for f with the formats of t (see
// DefaultTable): comparator units and table units with their default ranges and sizes.
func DefaultLUT(t Table, f Func) (*LUT, error) {
	d, ok := defaultUnits[f]
	if !ok {
		d.in, d.out = "phi_in", "r"
		if f.piecewise() && f&1 == 1 { // the Prime of a piecewise-linear function
			d.out = "r_prime"
		}
	}
	in, ok := t.Lookup(d.in)
	if !ok {
		return nil, fmt.Errorf("fixedpoint: table has no %q for the %s unit's input; add it", d.in, f)
	}
	out, ok := t.Lookup(d.out)
	if !ok {
		return nil, fmt.Errorf("fixedpoint: table has no %q for the %s unit's output; add it", d.out, f)
	}
	if f == Recip {
		return NewRecip(in.Format, out.Format, d.size)
	}
	return NewLUT(f, in.Format, out.Format, d.lo, d.hi, d.size)
}
