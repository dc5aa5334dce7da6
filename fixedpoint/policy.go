package fixedpoint

import "fmt"

// Rounding says how bits below a destination's least significant bit are dropped.
// Let y be the exact value in units of the destination LSB (a rational with a power-of-
// two denominator). The result before overflow handling is:
//
//	Floor       ⌊y⌋                       (truncate toward −∞; an arithmetic shift)
//	HalfEven    nearest integer, ties to the even one
//	HalfAway    nearest integer, ties away from zero
//	Stochastic  ⌊y + R·2^−64⌋, R the 64-bit draw of the value's Key (see Stream)
//
// In integer terms Stochastic adds the top k bits of R to a value before dropping its
// k low bits with Floor (for k > 64, R is shifted left by k−64). It rounds up with
// probability equal to the dropped fraction, so it is unbiased (to within 2^−64 LSB
// when more than 64 bits are dropped) and, because R depends only on the Key, the
// result does not depend on the order in which values are computed.
type Rounding uint8

const (
	Floor Rounding = iota
	HalfEven
	HalfAway
	Stochastic
)

var roundingNames = [...]string{"floor", "half-even", "half-away", "stochastic"}

func (r Rounding) String() string {
	if int(r) < len(roundingNames) {
		return roundingNames[r]
	}
	return fmt.Sprintf("Rounding(%d)", uint8(r))
}

// Set parses "floor", "half-even", "half-away" or "stochastic".
func (r *Rounding) Set(s string) error {
	for i, n := range roundingNames {
		if s == n {
			*r = Rounding(i)
			return nil
		}
	}
	return fmt.Errorf("fixedpoint: rounding %q: want floor, half-even, half-away or stochastic", s)
}

// Type names the flag type for pflag.
func (r *Rounding) Type() string { return "rounding" }

// Overflow says what happens to a rounded value outside the destination's range.
//
//	Saturate  clamp to [Min, Max]; counted in Counters.Saturations
//	Wrap      keep the low Width bits (two's complement for signed formats), as
//	          hardware adders do; counted in Counters.Wraps
type Overflow uint8

const (
	Saturate Overflow = iota
	Wrap
)

var overflowNames = [...]string{"saturate", "wrap"}

func (o Overflow) String() string {
	if int(o) < len(overflowNames) {
		return overflowNames[o]
	}
	return fmt.Sprintf("Overflow(%d)", uint8(o))
}

// Set parses "saturate" or "wrap".
func (o *Overflow) Set(s string) error {
	for i, n := range overflowNames {
		if s == n {
			*o = Overflow(i)
			return nil
		}
	}
	return fmt.Errorf("fixedpoint: overflow %q: want saturate or wrap", s)
}

// Type names the flag type for pflag.
func (o *Overflow) Type() string { return "overflow" }

// Counters counts overflow events. Each tile (or goroutine) owns its Counters: the
// fields are plain integers, no locks. Every function taking a *Counters accepts nil,
// which counts nothing.
type Counters struct {
	Saturations uint64 // values clamped to Min or Max
	Wraps       uint64 // values that wrapped around
}

// Add adds o's counts to c.
func (c *Counters) Add(o Counters) {
	c.Saturations += o.Saturations
	c.Wraps += o.Wraps
}
