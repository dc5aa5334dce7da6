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

// TestRsIsRescale: rs, the written-out common case, equals rescale on every input,
// including those outside rhe's domain (|x| ≥ 2^62, d > 62) and d ≤ 0.
func TestRsIsRescale(t *testing.T) {
	s := sat{-1 << 40, 1<<40 - 1}
	xs := []int64{0, 1, -1, 3, -3, 1<<62 - 1, 1 << 62, -1 << 62, -1<<62 + 1, 1<<63 - 1, -1 << 63, 12345 << 20, -(12345 << 20) - 1}
	for _, d := range []int{-3, 0, 1, 2, 30, 61, 62, 63} {
		for _, x := range xs {
			var cr, cs uint64
			want, got := s.rescale(x, d, &cr), s.rs(x, d, &cs)
			if got != want || cr != cs {
				t.Errorf("x %d, d %d: rs %d (%d saturations), rescale %d (%d)", x, d, got, cs, want, cr)
			}
		}
	}
}
