package chip

import "testing"

// TestAdvice: what the health report tells a user to change, per variable and bus mode.
// The block bus only saturates by rounding its largest value up one LSB, so it must not
// send users widening formats; the static bus must.
func TestAdvice(t *testing.T) {
	for _, tc := range []struct {
		mode ErrorBusMode
		v    string
		want string
	}{
		{ErrorBusBlock, "err_bus", "the block bus's largest value rounded up one LSB past the int16 edge and was held there; harmless, nothing to change"},
		{ErrorBusStatic, "err_bus", "consider Q5.10 for err_bus (now Q4.11), a larger ErrorExp for the population, or a smaller β"},
		{ErrorBusBlock, "e_breve", "consider Q8.23 for e_breve (now Q7.24), a larger ErrorExp for the population, or a smaller β"},
		{ErrorBusBlock, "grad", "raise the owner's gradient exponent (GradExp, BiasGradExp, TauGradExp)"},
	} {
		cfg := DefaultConfig()
		c := &Chip{cfg: &cfg}
		c.cfg.ErrorBus = tc.mode
		if got := c.advice(tc.v); got != tc.want {
			t.Errorf("%v bus, %s: %q, want %q", tc.mode, tc.v, got, tc.want)
		}
	}
}
