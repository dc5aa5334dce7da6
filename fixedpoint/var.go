package fixedpoint

import (
	"errors"
	"fmt"
)

// Var declares one chip variable: its format, how values are rounded into it and what
// happens when they do not fit. It is the unit of the Table.
type Var struct {
	Name     string
	Format   Format
	Rounding Rounding
	Overflow Overflow
	Doc      string // one line: what the variable is and why this format
}

// ID is the variable's Key.Var for stochastic rounding: VarID(v.Name).
func (v Var) ID() uint64 { return VarID(v.Name) }

// Stream returns the stochastic-rounding stream of v for (seed, context, step).
func (v Var) Stream(seed, context, step uint64) Stream {
	return NewStream(seed, v.ID(), context, step)
}

// String gives "name Q3.12 half-even saturate".
func (v Var) String() string {
	return fmt.Sprintf("%s %s %s %s", v.Name, v.Format, v.Rounding, v.Overflow)
}

// Validate checks that v has a name, a valid format and known policies.
func (v Var) Validate() error {
	if v.Name == "" {
		return errors.New("fixedpoint: variable without a name; give every Var a Name")
	}
	if err := v.Format.Validate(); err != nil {
		return fmt.Errorf("fixedpoint: variable %q: %w", v.Name, err)
	}
	if int(v.Rounding) >= len(roundingNames) {
		return fmt.Errorf("fixedpoint: variable %q: unknown rounding %d; use Floor, HalfEven, HalfAway or Stochastic", v.Name, v.Rounding)
	}
	if int(v.Overflow) >= len(overflowNames) {
		return fmt.Errorf("fixedpoint: variable %q: unknown overflow policy %d; use Saturate or Wrap", v.Name, v.Overflow)
	}
	return nil
}
