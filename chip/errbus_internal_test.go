package chip

import (
	"math/rand/v2"
	"testing"

	"github.com/glemu/glemu/fixedpoint"
)

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

// TestBusKernel: phaseErrBus's vector row (busKernel) gives Var.Rescale's bits and
// saturation count for the bus's roundings (stochastic, half-even, none at shift 0)
// at every shift, with the τm sums, on random, extreme and tail-leaving rows.
func TestBusKernel(t *testing.T) {
	if !hasNeuronKernel {
		t.Skip("no neuron kernel on this CPU")
	}
	bus, _ := fixedpoint.DefaultTable().Lookup("err_bus")
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 7, 8, 9, 53, 256} {
		for s := 0; s <= 20; s++ {
			for _, rd := range []fixedpoint.Rounding{fixedpoint.Stochastic, fixedpoint.HalfEven} {
				v := bus
				v.Rounding = rd
				eb, du := make([]int64, n), make([]int64, n)
				for i := range eb {
					switch i % 5 {
					case 0:
						eb[i] = -1 << 31
					case 1:
						eb[i] = 1<<31 - 1
					default:
						eb[i] = rng.Int64N(1<<32) - 1<<31>>uint(rng.IntN(20))
					}
					du[i] = rng.Int64N(1<<40) - 1<<39
				}
				st := fixedpoint.NewStream(1, 2, 3, uint64(s))
				const idx0 = 11
				var want fixedpoint.Counters
				wantBus, wantT := make([]int16, n), make([]int64, n)
				for i, e := range eb {
					var d uint64
					if rd == fixedpoint.Stochastic {
						d = st.Draw(uint64(idx0 + i))
					}
					wantBus[i] = int16(v.Rescale(e, v.Format.Frac+s, d, &want))
					wantT[i] = 3 + int64(wantBus[i])*du[i]
				}
				r := rangeOf(v)
				a := busArgs{n: int64(n), idx0: idx0, shift: int64(s), srShift: int64(64 - s),
					lo: r.lo, hi: r.hi, lanes: [8]int64{0, 1, 2, 3, 4, 5, 6, 7}, base: uint64(st)}
				switch {
				case s == 0:
					a.mode = busSat
				case rd == fixedpoint.Stochastic:
					a.mode = busSR
				default:
					a.mode, a.h = busHE, 1<<(s-1)-1
				}
				got, tsum := make([]int16, n+1), make([]int64, n+1)
				for i := range tsum {
					tsum[i] = 3
				}
				got[n], tsum[n] = 77, 77 // past the row: untouched
				a.eb, a.bus, a.du, a.tsum = &eb[0], &got[0], &du[0], &tsum[0]
				busKernel(&a)
				for i := range n {
					if got[i] != wantBus[i] || tsum[i] != wantT[i] {
						t.Fatalf("n %d, shift %d, %v: lane %d: bus %d, τm sum %d; want %d, %d",
							n, s, rd, i, got[i], tsum[i], wantBus[i], wantT[i])
					}
				}
				if got[n] != 77 || tsum[n] != 77 {
					t.Fatalf("n %d, shift %d: the kernel wrote past the row", n, s)
				}
				if a.sats != want.Saturations {
					t.Fatalf("n %d, shift %d, %v: %d saturations, want %d", n, s, rd, a.sats, want.Saturations)
				}
			}
		}
	}
}
