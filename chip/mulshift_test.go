package chip

import (
	"math/rand/v2"
	"testing"

	"github.com/glemu/glemu/fixedpoint"
)

// TestMulShift: mulShift agrees with fixedpoint's exact 128-bit rounding (Var.Mul into
// a 63-bit destination) for half-even and stochastic rounding, including results that
// do not fit.
func TestMulShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, he := range []bool{true, false} {
		rounding := fixedpoint.Stochastic
		if he {
			rounding = fixedpoint.HalfEven
		}
		dst := fixedpoint.Var{Name: "t", Format: fixedpoint.Q(62, 0), Rounding: rounding, Overflow: fixedpoint.Saturate}
		for n := range 200000 {
			a, b := int64(rng.Uint64())>>rng.IntN(63), int64(rng.Uint64())>>rng.IntN(63)
			if n%7 == 0 {
				a = -a
			}
			d := 1 + rng.IntN(62)
			rnd := rng.Uint64()
			var c fixedpoint.Counters
			want := dst.Mul(a, fixedpoint.Format{Signed: true, Int: 62 - d, Frac: d}, b, fixedpoint.Format{Signed: true, Int: 63, Frac: 0}, rnd, &c)
			got, ok := mulShift(a, b, d, rnd, he)
			if g2, ok2 := mulShiftQ(a, b, d, rnd, he); g2 != got || ok2 != ok {
				t.Fatalf("%d·%d·2^-%d (rnd %#x, half-even %v): mulShiftQ %d (%v), mulShift %d (%v)", a, b, d, rnd, he, g2, ok2, got, ok)
			}
			if c.Saturations > 0 {
				if ok && got >= dst.Format.Min() && got <= dst.Format.Max() {
					t.Fatalf("%d·%d·2^-%d: reference saturates to %d, mulShift gives %d", a, b, d, want, got)
				}
				if (want > 0) != (got > 0) {
					t.Fatalf("%d·%d·2^-%d: saturation sign: reference %d, mulShift %d (ok %v)", a, b, d, want, got, ok)
				}
				continue
			}
			if !ok || got != want {
				t.Fatalf("%d·%d·2^-%d (rnd %#x, half-even %v): got %d (ok %v), want %d", a, b, d, rnd, he, got, ok, want)
			}
		}
	}
}

// TestMulShiftS: the 64-bit path of mulShiftS gives mulShiftQ's result, at and around
// the operand limit, for both roundings, on random and extreme operands.
func TestMulShiftS(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	edges := []int64{0, 1, -1, 2, 3, 1 << 31, -(1 << 31), 1<<31 - 1, 1 << 62, -(1 << 62), 1<<63 - 1, -1 << 63}
	pick := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return edges[rng.IntN(len(edges))]
		case 1:
			return int64(rng.Uint64()) >> rng.IntN(64)
		}
		return -(int64(rng.Uint64()) >> rng.IntN(64))
	}
	for n := range 400000 {
		a := pick()
		lim := mulLimit(a)
		var b int64
		switch n % 3 {
		case 0:
			b = pick()
		case 1: // at the limit
			b = lim - int64(rng.IntN(3))
		default:
			b = -lim + int64(rng.IntN(3))
		}
		d := 1 + rng.IntN(62)
		rnd := rng.Uint64()
		for _, he := range []bool{true, false} {
			got, ok := mulShiftS(a, b, lim, uint(d), rnd, he)
			want, wok := mulShiftQ(a, b, d, rnd, he)
			if got != want || ok != wok {
				t.Fatalf("%d·%d·2^-%d (limit %d, rnd %#x, half-even %v): mulShiftS %d (%v), mulShiftQ %d (%v)", a, b, d, lim, rnd, he, got, ok, want, wok)
			}
		}
	}
}
