package trace

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// VCDWriter writes a Value Change Dump for waveform viewers (GTKWave, Surfer): real
// variables grouped in one scope per population, one sample per step. Model time is
// taken to be in seconds; the timescale is the largest power-of-ten unit (1 s down to
// 1 fs) of which dt is a whole multiple, so step k is at time k·dt exactly.
type VCDWriter struct {
	w       *bufio.Writer
	dt      float64
	unit    string
	ticks   int64 // time units per step
	scopes  []string
	vars    [][]vcdVar // per scope
	n       int
	last    []float64
	started bool
	buf     []byte
	err     error
}

type vcdVar struct {
	name string
	id   string
}

var vcdUnits = []struct {
	name    string
	seconds float64
}{
	{"1 s", 1}, {"100 ms", 1e-1}, {"10 ms", 1e-2}, {"1 ms", 1e-3}, {"100 us", 1e-4}, {"10 us", 1e-5},
	{"1 us", 1e-6}, {"100 ns", 1e-7}, {"10 ns", 1e-8}, {"1 ns", 1e-9}, {"100 ps", 1e-10},
	{"10 ps", 1e-11}, {"1 ps", 1e-12}, {"100 fs", 1e-13}, {"10 fs", 1e-14}, {"1 fs", 1e-15},
}

// Timescale returns the VCD timescale for a step of dt seconds and the number of its
// units per step.
func Timescale(dt float64) (unit string, ticks int64, err error) {
	if !(dt > 0) || math.IsInf(dt, 0) {
		return "", 0, fmt.Errorf("trace: vcd: dt %v must be a positive number", dt)
	}
	for _, u := range vcdUnits {
		t := dt / u.seconds
		r := math.Round(t)
		if r >= 1 && math.Abs(t-r) <= 1e-9*r {
			return u.name, int64(r), nil
		}
	}
	return "", 0, fmt.Errorf("trace: vcd: dt %v is not a whole number of femtoseconds; round dt", dt)
}

// NewVCDWriter returns a writer for steps of dt seconds.
func NewVCDWriter(w io.Writer, dt float64) (*VCDWriter, error) {
	unit, ticks, err := Timescale(dt)
	if err != nil {
		return nil, err
	}
	return &VCDWriter{w: bufio.NewWriter(w), dt: dt, unit: unit, ticks: ticks}, nil
}

// Var declares a real variable in scope (a population, or "network") and returns its
// position in the values passed to Sample. Names are sanitised for VCD (no spaces).
// Declare every variable before the first Sample.
func (v *VCDWriter) Var(scope, name string) (int, error) {
	if v.started {
		return 0, errors.New("trace: vcd: variable declared after the first sample; declare every variable first")
	}
	s := -1
	for i, sc := range v.scopes {
		if sc == scope {
			s = i
		}
	}
	if s < 0 {
		v.scopes = append(v.scopes, scope)
		v.vars = append(v.vars, nil)
		s = len(v.scopes) - 1
	}
	v.vars[s] = append(v.vars[s], vcdVar{name: sanitize(name), id: vcdID(v.n)})
	v.n++
	return v.n - 1, nil
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' {
			return '_'
		}
		return r
	}, s)
}

// vcdID encodes n in the printable characters ! … ~ (base 94).
func vcdID(n int) string {
	var b []byte
	for {
		b = append(b, byte('!'+n%94))
		n /= 94
		if n == 0 {
			return string(b)
		}
		n--
	}
}

func (v *VCDWriter) header() {
	w := v.w
	fmt.Fprintf(w, "$version glemu trace $end\n$timescale %s $end\n", v.unit)
	for s, scope := range v.scopes {
		fmt.Fprintf(w, "$scope module %s $end\n", sanitize(scope))
		for _, x := range v.vars[s] {
			fmt.Fprintf(w, "$var real 64 %s %s $end\n", x.id, x.name)
		}
		fmt.Fprintf(w, "$upscope $end\n")
	}
	fmt.Fprintf(w, "$enddefinitions $end\n")
	v.last = make([]float64, v.n)
}

// Sample writes the values of every declared variable at step (in declaration order);
// only values that changed since the previous sample are written.
func (v *VCDWriter) Sample(step int, values []float64) error {
	if v.err != nil {
		return v.err
	}
	if len(values) != v.n {
		return fmt.Errorf("trace: vcd: %d values for %d variables", len(values), v.n)
	}
	first := !v.started
	if first {
		v.started = true
		v.header()
	}
	b := v.buf[:0]
	b = append(b, '#')
	b = strconv.AppendInt(b, int64(step)*v.ticks, 10)
	b = append(b, '\n')
	k := 0
	for s := range v.vars {
		for _, x := range v.vars[s] {
			val := values[k]
			if first || math.Float64bits(val) != math.Float64bits(v.last[k]) {
				b = append(b, 'r')
				b = strconv.AppendFloat(b, val, 'g', -1, 64)
				b = append(b, ' ')
				b = append(b, x.id...)
				b = append(b, '\n')
				v.last[k] = val
			}
			k++
		}
	}
	v.buf = b
	if _, err := v.w.Write(b); err != nil {
		v.err = fmt.Errorf("trace: vcd: writing: %w", err)
	}
	return v.err
}

// Flush writes buffered output.
func (v *VCDWriter) Flush() error {
	if v.err != nil {
		return v.err
	}
	if !v.started {
		v.started = true
		v.header()
	}
	if err := v.w.Flush(); err != nil {
		v.err = fmt.Errorf("trace: vcd: writing: %w", err)
	}
	return v.err
}
