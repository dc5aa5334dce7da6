package chip

import "testing"

// TestBlockShift: the block error bus's exponent is the smallest shift in [0, sMax]
// that brings the OR of every |ĕ_raw| below the bus's magnitude bits.
func TestBlockShift(t *testing.T) {
	const bus, sMax = 16, 16 // err_bus Q4.11 under e_breve Q7.24
	for _, tc := range []struct {
		name string
		m    uint64
		want int
	}{
		{"all zero", 0, 0},
		{"one LSB", 1, 0},
		{"at the int16 edge", 32767, 0},
		{"just over the edge", 32768, 1},
		{"twice the edge", 65535, 1},
		{"just over twice", 65536, 2},
		{"most negative int16", 1 << 15, 1}, // |−32768| needs one more bit
		{"e_breve's largest", 1<<31 - 1, 16},
		{"e_breve's most negative", 1 << 31, 16}, // 17 wanted: clamped, −2^31>>16 = −32768 fits
		{"beyond e_breve", 1 << 40, 16},
	} {
		if got := blockShift(tc.m, bus, sMax); got != tc.want {
			t.Errorf("%s: blockShift(%#x) = %d, want %d", tc.name, tc.m, got, tc.want)
		}
	}
	if got := blockShift(1<<20, 16, -3); got != 0 {
		t.Errorf("negative sMax (a bus wider than e_breve): shift %d, want 0", got)
	}
}

// TestBusOr: the neuron phase's partial OR is of magnitudes, negative extremes
// included, over exactly the run and contexts asked.
func TestBusOr(t *testing.T) {
	q := &pop{size: 3, eb: []int64{-1 << 31, 5, 0, 7, -32768, 1 << 40}, ebOr: make([]uint64, 2)}
	q.busOr(0, 0, 1, 0, 1)
	if q.ebOr[0] != 1<<31 {
		t.Errorf("|−2^31| gave %#x, want %#x", q.ebOr[0], uint64(1)<<31)
	}
	q.busOr(1, 1, 2, 0, 2) // neuron 1 of contexts 0, 1: 5 and −32768
	if want := uint64(5 | 32768); q.ebOr[1] != want {
		t.Errorf("OR %#x, want %#x", q.ebOr[1], want)
	}
	if got := blockShift(q.ebOr[1], 16, 16); got != 1 {
		t.Errorf("−32768 on the bus: shift %d, want 1", got)
	}
}
