package chip

import (
	"math/rand/v2"
	"testing"

	"github.com/glemu/glemu/fixedpoint"
)

// TestEpsKernel: the commit's vector rows give the Go loops' bits: epsKernel is
// sat.rs (and the exact left shift) on extreme and random int32 sums, counts
// included; commitKernel narrows the new rates onto the rate bus.
func TestEpsKernel(t *testing.T) {
	if !hasNeuronKernel {
		t.Skip("no neuron kernel on this CPU")
	}
	eps := rangeOf(lookup(t, "eps_in"))
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 7, 8, 9, 53, 256} {
		acc := make([]int32, n)
		for i := range acc {
			switch i % 4 {
			case 0:
				acc[i] = -1 << 31
			case 1:
				acc[i] = 1<<31 - 1
			default:
				acc[i] = int32(rng.Uint32()) >> uint(rng.IntN(31))
			}
		}
		for _, c := range []struct{ sh, d int }{{0, 0}, {5, 0}, {31, 0}, {0, 1}, {3, 7}, {30, 20}, {0, 62}, {12, 40}} {
			var want uint64
			a := epsArgs{n: int64(n), sh: int64(c.sh), d: int64(c.d), lo: eps.lo, hi: eps.hi}
			if c.d > 0 {
				a.h = 1<<(c.d-1) - 1
			}
			got := make([]int64, n+1)
			got[n] = 77
			a.acc, a.eps = &acc[0], &got[0]
			epsKernel(&a)
			for i, x := range acc {
				w := eps.rs(int64(x)<<c.sh, c.d, &want)
				if got[i] != w {
					t.Fatalf("n %d, shift %d, d %d: lane %d (%d): %d, want %d", n, c.sh, c.d, i, x, got[i], w)
				}
			}
			if got[n] != 77 {
				t.Fatalf("n %d: the kernel wrote past the row", n)
			}
			if a.sats != want {
				t.Fatalf("n %d, shift %d, d %d: %d saturations, want %d", n, c.sh, c.d, a.sats, want)
			}
		}
		r, rb := make([]int64, n), make([]int16, n+1)
		for i := range r {
			r[i] = int64(int16(rng.Uint32()))
		}
		commitKernel(&commitArgs{n: int64(n), r: &r[0], rb: &rb[0]})
		for i := range n {
			if rb[i] != int16(r[i]) {
				t.Fatalf("n %d: commit lane %d: %d, want %d", n, i, rb[i], int16(r[i]))
			}
		}
		if rb[n] != 0 {
			t.Fatalf("n %d: the commit wrote past the row", n)
		}
	}
}

func lookup(t *testing.T, name string) fixedpoint.Var {
	t.Helper()
	v, ok := fixedpoint.DefaultTable().Lookup(name)
	if !ok {
		t.Fatalf("no %s in the default table", name)
	}
	return v
}

// TestPacked32: the 32-bit φ/φ′ table holds every entry of the 64-bit one when they
// fit and none saturates, and is refused otherwise.
func TestPacked32(t *testing.T) {
	phi := []int32{-32768, -1, 0, 5, 32767}
	phiP := []int32{0, 65535, 32768, 1, 7}
	sat := make([]uint8, len(phi))
	got := packed32(phi, phiP, sat)
	if got == nil {
		t.Fatal("a table that fits was refused")
	}
	for k, e := range got {
		if int32(int16(e)) != phi[k] || int32(e>>16) != phiP[k] {
			t.Errorf("entry %d: %#x holds %d, %d; want %d, %d", k, e, int16(e), e>>16, phi[k], phiP[k])
		}
	}
	for _, tc := range []struct {
		name string
		k    int
		phi  int32
		phiP int32
		sat  uint8
	}{
		{"φ over int16", 1, 32768, 0, 0},
		{"φ under int16", 1, -32769, 0, 0},
		{"φ′ over uint16", 2, 0, 65536, 0},
		{"negative φ′", 2, 0, -1, 0},
		{"φ saturated", 3, 0, 0, 1},
		{"φ′ saturated", 3, 0, 0, 2},
	} {
		p, pp, s := append([]int32(nil), phi...), append([]int32(nil), phiP...), append([]uint8(nil), sat...)
		p[tc.k], pp[tc.k], s[tc.k] = tc.phi, tc.phiP, tc.sat
		if packed32(p, pp, s) != nil {
			t.Errorf("%s: the 32-bit table was built", tc.name)
		}
	}
}

// TestDivRoundInv: the multiply-and-correct quotient is divRound's, at its range's
// edges, on exact halves and at random, and outside the range it is divRound.
func TestDivRoundInv(t *testing.T) {
	check := func(num, den int64) {
		t.Helper()
		if got, want := divRoundInv(num, den, 1/float64(den)), divRound(num, den); got != want {
			t.Fatalf("divRoundInv(%d, %d) = %d, want %d", num, den, got, want)
		}
	}
	for _, c := range [][2]int64{
		{0, 1}, {1, 1}, {1, 2}, {3, 2}, {5, 2}, {7, 2}, {1<<52 - 1, 1}, {1<<52 - 1, 3},
		{1<<52 - 1, 1<<52 - 1}, {1<<52 - 2, 1<<52 - 1}, {1 << 52, 7}, {-5, 2}, {9, 1 << 52},
		{1 << 30, 327680}, {1<<31 - 1, 32768*10 + 1},
	} {
		check(c[0], c[1])
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 200000 {
		den := rng.Int64N(1<<uint(1+rng.IntN(51))) + 1
		num := rng.Int64N(1 << uint(1+rng.IntN(51)))
		check(num, den)
		check(den*(num%1000)+den/2, den) // ties
	}
}
