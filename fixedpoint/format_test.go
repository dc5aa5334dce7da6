package fixedpoint

import (
	"math"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Format
		wantErr string
	}{
		{in: "Q3.12", want: Q(3, 12)},
		{in: "UQ0.16", want: UQ(0, 16)},
		{in: "Q0.62", want: Q(0, 62)},
		{in: "UQ63.0", want: UQ(63, 0)},
		{in: "Q0.0", want: Q(0, 0)},
		{in: "Q007.024", want: Q(7, 24)},
		{in: "Q40.30", wantErr: "fixedpoint: format Q40.30 is 71 bits wide; at most 63 fit the int64 container"},
		{in: "Q0.63", wantErr: "fixedpoint: format Q0.63 is 64 bits wide; at most 63 fit the int64 container"},
		{in: "UQ32.32", wantErr: "fixedpoint: format UQ32.32 is 64 bits wide; at most 63 fit the int64 container"},
		{in: "UQ0.0", wantErr: "fixedpoint: format UQ0.0 is 0 bits wide; give it at least 1 bit"},
		{in: "Q-1.4", wantErr: `fixedpoint: format "Q-1.4": integer bits "-1": negative; bit counts are at least 0`},
		{in: "Q3.-4", wantErr: `fixedpoint: format "Q3.-4": fraction bits "-4": negative; bit counts are at least 0`},
		{in: "Q3", wantErr: `fixedpoint: format "Q3": missing '.' between integer and fraction bits; write e.g. Q3.12`},
		{in: "Q3.", wantErr: `fixedpoint: format "Q3.": fraction bits "": empty; want a decimal bit count`},
		{in: "Q.12", wantErr: `fixedpoint: format "Q.12": integer bits "": empty; want a decimal bit count`},
		{in: "Q3.1x", wantErr: `fixedpoint: format "Q3.1x": fraction bits "1x": not a decimal bit count`},
		{in: "Q+3.12", wantErr: `fixedpoint: format "Q+3.12": integer bits "+3": not a decimal bit count`},
		{in: "Q3.1234", wantErr: `fixedpoint: format "Q3.1234": fraction bits "1234": too large; at most 63 bits fit`},
		{in: "q3.12", wantErr: `fixedpoint: format "q3.12": want Qm.n (signed) or UQm.n (unsigned), e.g. Q3.12`},
		{in: "S3.12", wantErr: `fixedpoint: format "S3.12": want Qm.n (signed) or UQm.n (unsigned), e.g. Q3.12`},
		{in: "", wantErr: `fixedpoint: format "": want Qm.n (signed) or UQm.n (unsigned), e.g. Q3.12`},
		{in: " Q3.12", wantErr: `fixedpoint: format " Q3.12": want Qm.n (signed) or UQm.n (unsigned), e.g. Q3.12`},
		{in: "Q3.12.1", wantErr: `fixedpoint: format "Q3.12.1": fraction bits "12.1": not a decimal bit count`},
	} {
		got, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("Parse(%q) error = %v; want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		want string
	}{
		{Q(3, 12), ""},
		{Q(-1, 12), "fixedpoint: format Q-1.12 has a negative bit count; integer and fraction bits must be at least 0"},
		{UQ(4, -2), "fixedpoint: format UQ4.-2 has a negative bit count; integer and fraction bits must be at least 0"},
		{Q(62, 1), "fixedpoint: format Q62.1 is 64 bits wide; at most 63 fit the int64 container"},
		{UQ(math.MaxInt32, math.MaxInt32), "fixedpoint: format UQ2147483647.2147483647 is more than 63 bits wide; at most 63 fit the int64 container"},
	} {
		err := tc.f.Validate()
		if got := errString(err); got != tc.want {
			t.Errorf("%v.Validate() = %q; want %q", tc.f, got, tc.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestFormatRange(t *testing.T) {
	for _, tc := range []struct {
		f               Format
		width           int
		min, max        int64
		minF, maxF, lsb float64
	}{
		{Q(3, 12), 16, -32768, 32767, -8, 8 - 1.0/4096, 1.0 / 4096},
		{UQ(0, 16), 16, 0, 65535, 0, 1 - 1.0/65536, 1.0 / 65536},
		{UQ(1, 15), 16, 0, 65535, 0, 2 - 1.0/32768, 1.0 / 32768},
		{Q(7, 24), 32, -1 << 31, 1<<31 - 1, -128, 128 - 1.0/(1<<24), 1.0 / (1 << 24)},
		{Q(0, 0), 1, -1, 0, -1, 0, 1},
		{Q(62, 0), 63, -1 << 62, 1<<62 - 1, -(1 << 62), 1 << 62, 1},
		{UQ(0, 63), 63, 0, 1<<63 - 1, 0, 1, 1.0 / (1 << 63)}, // MaxFloat rounds to 1 in float64
	} {
		f := tc.f
		if f.Width() != tc.width || f.Min() != tc.min || f.Max() != tc.max || f.MinFloat() != tc.minF || f.MaxFloat() != tc.maxF || f.Resolution() != tc.lsb {
			t.Errorf("%v: width %d range [%d, %d] = [%g, %g] lsb %g; want %d [%d, %d] = [%g, %g] lsb %g",
				f, f.Width(), f.Min(), f.Max(), f.MinFloat(), f.MaxFloat(), f.Resolution(), tc.width, tc.min, tc.max, tc.minF, tc.maxF, tc.lsb)
		}
	}
}

func TestFlagValues(t *testing.T) {
	var f Format
	if err := f.Set("UQ1.15"); err != nil || f != UQ(1, 15) || f.Type() != "format" {
		t.Errorf("Set(UQ1.15) = %v, %v", f, err)
	}
	if err := f.Set("Q99.99"); err == nil || f != UQ(1, 15) {
		t.Errorf("Set(Q99.99) = %v, %v; want an error and f unchanged", f, err)
	}
	var r Rounding
	for _, want := range allRoundings {
		if err := r.Set(want.String()); err != nil || r != want {
			t.Errorf("Rounding Set(%q) = %v, %v", want.String(), r, err)
		}
	}
	if err := r.Set("nearest"); errString(err) != `fixedpoint: rounding "nearest": want floor, half-even, half-away or stochastic` {
		t.Errorf("Rounding Set(nearest) = %v", err)
	}
	var o Overflow
	for _, want := range allOverflows {
		if err := o.Set(want.String()); err != nil || o != want {
			t.Errorf("Overflow Set(%q) = %v, %v", want.String(), o, err)
		}
	}
	if err := o.Set("clip"); errString(err) != `fixedpoint: overflow "clip": want saturate or wrap` {
		t.Errorf("Overflow Set(clip) = %v", err)
	}
	if r.Type() != "rounding" || o.Type() != "overflow" || Rounding(9).String() != "Rounding(9)" || Overflow(9).String() != "Overflow(9)" {
		t.Error("flag type names or unknown-value strings changed")
	}
}

// FuzzParse: Parse never panics; what it accepts is valid and prints back to a string
// that parses to the same format.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"Q3.12", "UQ0.16", "Q40.30", "UQ", "Q-1.2", "Q1.2.3", "UQ63.0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := Parse(s)
		if err != nil {
			if fm != (Format{}) {
				t.Fatalf("Parse(%q) returned %v with error %v", s, fm, err)
			}
			return
		}
		if err := fm.Validate(); err != nil {
			t.Fatalf("Parse(%q) accepted invalid %v: %v", s, fm, err)
		}
		back, err := Parse(fm.String())
		if err != nil || back != fm {
			t.Fatalf("Parse(%q) = %v; Parse(String()) = %v, %v", s, fm, back, err)
		}
	})
}

func TestTable(t *testing.T) {
	tb := DefaultTable()
	if err := tb.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"w", "u", "v", "u_breve", "e_breve", "inst_e", "r", "r_prime", "rate_bus", "err_bus", "lr",
		"dt_tau_m", "dt_tau_r", "tau_r_tau_m", "tau_m_tau_r", "mac", "mac_t", "adam_m", "adam_v"} {
		if _, ok := tb.Lookup(name); !ok {
			t.Errorf("DefaultTable has no %q", name)
		}
	}
	// The kernels' int16 operands and int32 accumulators must hold these formats.
	for name, width := range map[string]int{"w": 16, "rate_bus": 16, "err_bus": 16, "mac": 32, "mac_t": 32} {
		if v, _ := tb.Lookup(name); v.Format.Width() != width {
			t.Errorf("%s is %d bits wide; the kernels need %d", v, v.Format.Width(), width)
		}
	}
	for _, name := range []string{"mac", "mac_t"} {
		if v, _ := tb.Lookup(name); v.Overflow != Wrap {
			t.Errorf("%s must wrap, as the VNNI kernels do", v)
		}
	}
	w, _ := tb.Lookup("w")
	for _, p := range []struct{ name, in string }{{"mac", "rate_bus"}, {"mac_t", "err_bus"}} {
		acc, _ := tb.Lookup(p.name)
		in, _ := tb.Lookup(p.in)
		if acc.Format.Frac != w.Format.Frac+in.Format.Frac {
			t.Errorf("%s has %d fraction bits; w × %s products have %d", acc, acc.Format.Frac, p.in, w.Format.Frac+in.Format.Frac)
		}
	}
	bad := Table{{Name: "x", Format: Q(3, 12)}, {Name: "x", Format: Q(3, 12)}}
	if got := errString(bad.Validate()); got != `fixedpoint: table declares "x" twice; give each variable one entry` {
		t.Errorf("duplicate names: %q", got)
	}
	for _, tc := range []struct {
		v    Var
		want string
	}{
		{Var{Format: Q(1, 1)}, "fixedpoint: variable without a name; give every Var a Name"},
		{Var{Name: "z", Format: Q(40, 40)}, `fixedpoint: variable "z": fixedpoint: format Q40.40 is 81 bits wide; at most 63 fit the int64 container`},
		{Var{Name: "z", Format: Q(1, 1), Rounding: 7}, `fixedpoint: variable "z": unknown rounding 7; use Floor, HalfEven, HalfAway or Stochastic`},
		{Var{Name: "z", Format: Q(1, 1), Overflow: 7}, `fixedpoint: variable "z": unknown overflow policy 7; use Saturate or Wrap`},
	} {
		if got := errString(tc.v.Validate()); got != tc.want {
			t.Errorf("%+v.Validate() = %q; want %q", tc.v, got, tc.want)
		}
	}
	if tb[0].String() != "w Q2.13 stochastic saturate" {
		t.Errorf("Var.String() = %q", tb[0].String())
	}
}
