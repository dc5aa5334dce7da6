package fixedpoint

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Format is a binary fixed-point format. A value is stored as a raw integer n in an
// int64 container and means n·2^−Frac.
//
// Signed formats (Q, text form "Qm.n") have a sign bit, Int integer bits and Frac
// fraction bits: Width = 1+Int+Frac and raw values span [−2^(Width−1), 2^(Width−1)−1].
// Unsigned formats (UQ, "UQm.n") have Width = Int+Frac and span [0, 2^Width−1].
// Q3.12 is 16 bits wide; UQ0.16 is 16 bits wide. A valid format is 1 to 63 bits wide,
// so raw values and their negations always fit an int64.
//
// Format is a pflag.Value (String, Set, Type), so it can be a command-line flag.
type Format struct {
	Signed bool
	Int    int // integer bits, not counting the sign bit
	Frac   int // fraction bits
}

// Q returns the signed format Qm.n: m integer bits, n fraction bits, 1+m+n bits wide.
func Q(m, n int) Format { return Format{Signed: true, Int: m, Frac: n} }

// UQ returns the unsigned format UQm.n: m integer bits, n fraction bits, m+n bits wide.
func UQ(m, n int) Format { return Format{Signed: false, Int: m, Frac: n} }

// MaxWidth is the widest valid format: raw values live in an int64 and every valid
// raw value must also have a representable negation.
const MaxWidth = 63

// Width is the number of bits a raw value occupies, sign bit included.
func (f Format) Width() int {
	if f.Signed {
		return 1 + f.Int + f.Frac
	}
	return f.Int + f.Frac
}

// String gives the text form, "Q3.12" or "UQ0.16".
func (f Format) String() string {
	if f.Signed {
		return "Q" + strconv.Itoa(f.Int) + "." + strconv.Itoa(f.Frac)
	}
	return "UQ" + strconv.Itoa(f.Int) + "." + strconv.Itoa(f.Frac)
}

// Type names the flag type for pflag.
func (f *Format) Type() string { return "format" }

// Set parses s (see Parse) into f; f is left unchanged on error.
func (f *Format) Set(s string) error {
	g, err := Parse(s)
	if err != nil {
		return err
	}
	*f = g
	return nil
}

// Parse reads a format in its text form: "Qm.n" (signed) or "UQm.n" (unsigned), with
// m and n decimal integers, no spaces, no signs, and validates it.
func Parse(s string) (Format, error) {
	var f Format
	rest, ok := strings.CutPrefix(s, "UQ")
	if !ok {
		rest, ok = strings.CutPrefix(s, "Q")
		f.Signed = true
	}
	if !ok {
		return Format{}, fmt.Errorf("fixedpoint: format %q: want Qm.n (signed) or UQm.n (unsigned), e.g. Q3.12", s)
	}
	is, fs, ok := strings.Cut(rest, ".")
	if !ok {
		return Format{}, fmt.Errorf("fixedpoint: format %q: missing '.' between integer and fraction bits; write e.g. Q3.12", s)
	}
	i, err := parseBits(is)
	if err != nil {
		return Format{}, fmt.Errorf("fixedpoint: format %q: integer bits %q: %v", s, is, err)
	}
	fr, err := parseBits(fs)
	if err != nil {
		return Format{}, fmt.Errorf("fixedpoint: format %q: fraction bits %q: %v", s, fs, err)
	}
	f.Int, f.Frac = i, fr
	if err := f.Validate(); err != nil {
		return Format{}, err
	}
	return f, nil
}

// parseBits reads a bit count: decimal digits only, at most 3 of them.
func parseBits(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("empty; want a decimal bit count")
	}
	if s[0] == '-' {
		return 0, fmt.Errorf("negative; bit counts are at least 0")
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a decimal bit count")
		}
	}
	if len(s) > 3 {
		return 0, fmt.Errorf("too large; at most %d bits fit", MaxWidth)
	}
	n, _ := strconv.Atoi(s)
	return n, nil
}

// Validate reports whether f fits the int64 container: no negative bit counts, at
// least 1 and at most 63 bits wide.
func (f Format) Validate() error {
	if f.Int < 0 || f.Frac < 0 {
		return fmt.Errorf("fixedpoint: format %s has a negative bit count; integer and fraction bits must be at least 0", f)
	}
	if f.Int > MaxWidth || f.Frac > MaxWidth {
		return fmt.Errorf("fixedpoint: format %s is more than %d bits wide; at most %d fit the int64 container", f, MaxWidth, MaxWidth)
	}
	w := f.Width()
	if w > MaxWidth {
		return fmt.Errorf("fixedpoint: format %s is %d bits wide; at most %d fit the int64 container", f, w, MaxWidth)
	}
	if w == 0 {
		return fmt.Errorf("fixedpoint: format %s is 0 bits wide; give it at least 1 bit", f)
	}
	return nil
}

// Min is the smallest raw value.
func (f Format) Min() int64 {
	if !f.Signed {
		return 0
	}
	return -1 << (f.Width() - 1)
}

// Max is the largest raw value.
func (f Format) Max() int64 {
	if !f.Signed {
		return 1<<f.Width() - 1
	}
	return 1<<(f.Width()-1) - 1
}

// Resolution is the value of one least significant bit, 2^−Frac.
func (f Format) Resolution() float64 { return math.Ldexp(1, -f.Frac) }

// MinFloat is the value of Min.
func (f Format) MinFloat() float64 { return f.ToFloat(f.Min()) }

// MaxFloat is the value of Max.
func (f Format) MaxFloat() float64 { return f.ToFloat(f.Max()) }

// ToFloat returns the value of raw, raw·2^−Frac. It is exact when |raw| < 2^53 and
// otherwise rounded to nearest even by float64.
func (f Format) ToFloat(raw int64) float64 { return math.Ldexp(float64(raw), -f.Frac) }

// FromFloat returns the raw value nearest x, ties to even, saturated to [Min, Max].
// NaN gives 0. Use Var.FromFloat for another rounding or overflow policy.
func (f Format) FromFloat(x float64) int64 {
	v := Var{Format: f, Rounding: HalfEven, Overflow: Saturate}
	return v.FromFloat(x, 0, nil)
}

// fits reports whether raw is within [Min, Max].
func (f Format) fits(raw int64) bool { return raw >= f.Min() && raw <= f.Max() }
