package fixedpoint

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// drawVectors were computed by an independent implementation of the algorithm as
// documented in random.go (a few lines of Python with explicit mod-2^64 masks); they are
// also printed in docs/arithmetic.md for RTL.
var drawVectors = []struct {
	k    Key
	want uint64
}{
	{Key{0, 0, 0, 0, 0}, 0x2a8bac02502a9873},
	{Key{1, 0, 0, 0, 0}, 0x891778e1e6042944},
	{Key{0, 0, 0, 0, 1}, 0x78ae5a9a6b5fd45e},
	{Key{42, 0xaf63ea4c86020456, 3, 1000, 65535}, 0x38ea35ddc1262b87}, // Var = VarID("w")
	{Key{math.MaxUint64, math.MaxUint64, math.MaxUint64, math.MaxUint64, math.MaxUint64}, 0xa8b707bbfb086c07},
	{Key{7, 0xa759cd7da4d9f9fe, 0, 1, 12345}, 0x2e48d58d39c62703}, // Var = VarID("adam_m")
}

func TestDrawVectors(t *testing.T) {
	for _, tc := range drawVectors {
		if got := tc.k.Draw(); got != tc.want {
			t.Errorf("%+v.Draw() = %#016x; want %#016x", tc.k, got, tc.want)
		}
		s := NewStream(tc.k.Seed, tc.k.Var, tc.k.Context, tc.k.Step)
		if got := s.Draw(tc.k.Index); got != tc.want {
			t.Errorf("Stream of %+v: Draw = %#016x; want %#016x", tc.k, got, tc.want)
		}
	}
	for name, want := range map[string]uint64{"": 0xcbf29ce484222325, "a": 0xaf63dc4c8601ec8c, "w": 0xaf63ea4c86020456} {
		if got := VarID(name); got != want {
			t.Errorf("VarID(%q) = %#x; want %#x", name, got, want)
		}
	}
	if w, _ := DefaultTable().Lookup("w"); w.ID() != 0xaf63ea4c86020456 || w.Stream(42, 3, 1000).Draw(65535) != 0x38ea35ddc1262b87 {
		t.Error("Var.ID or Var.Stream disagrees with VarID and NewStream")
	}
}

// TestStochasticUnbiased: over 10^6 keys, stochastic rounding of a value with dropped
// fraction p rounds up with frequency p: |mean − p| < 5σ, σ = √(p(1−p)/N) ≤ 5·10⁻⁴.
// And over 10^6 random values the mean rounding error is within 5σ of 0.
func TestStochasticUnbiased(t *testing.T) {
	const n = 1_000_000
	v := Var{Name: "x", Format: Q(7, 8), Rounding: Stochastic, Overflow: Saturate}
	s := v.Stream(1, 0, 0)
	for _, tc := range []struct {
		x    int64 // value with 20 fraction bits: 12 are dropped
		frac int
	}{
		{x: 5<<12 + 77, frac: 20}, // p = 77/4096
		{x: -3<<12 - 2048, frac: 20},
		{x: 1<<12 - 1, frac: 20},
		{x: 12345, frac: 80}, // 72 bits dropped: the 128-bit path
		{x: -(1 << 61), frac: 70},
	} {
		y := float64(tc.x) * math.Ldexp(1, v.Format.Frac-tc.frac)
		p := y - math.Floor(y)
		var up int
		for i := range uint64(n) {
			q := v.Rescale(tc.x, tc.frac, s.Draw(i), nil)
			switch float64(q) {
			case math.Floor(y):
			case math.Floor(y) + 1:
				up++
			default:
				t.Fatalf("Rescale(%d, %d) = %d; want ⌊%g⌋ or ⌈%g⌉", tc.x, tc.frac, q, y, y)
			}
		}
		mean, sigma := float64(up)/n, math.Sqrt(p*(1-p)/n)
		if math.Abs(mean-p) > 5*sigma+1e-12 {
			t.Errorf("x=%d/2^%d: rounded up %.6f of the time; want %.6f ± %.2g", tc.x, tc.frac, mean, p, 5*sigma)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	var sum float64
	for i := range uint64(n) {
		x := r.Int64N(1<<24) - 1<<23 // 16 bits dropped
		q := v.Rescale(x, 24, s.Draw(i), nil)
		sum += float64(q) - float64(x)/(1<<16)
	}
	// Each error is within (−1, 1) with variance ≤ 1/4.
	if mean := sum / n; math.Abs(mean) > 5*0.5/math.Sqrt(n) {
		t.Errorf("mean stochastic rounding error %.2g LSB; want |mean| < %.2g", mean, 5*0.5/math.Sqrt(n))
	}
}

// TestStochasticOrderFree: results are reproducible from seed and keys and identical
// whatever order elements are processed in.
func TestStochasticOrderFree(t *testing.T) {
	const n = 4096
	v := Var{Name: "u", Format: Q(7, 8), Rounding: Stochastic}
	r := rand.New(rand.NewPCG(9, 10))
	xs := make([]int64, n)
	for i := range xs {
		xs[i] = r.Int64N(1<<30) - 1<<29
	}
	run := func(order []int, seed uint64) []int64 {
		out := make([]int64, n)
		s := v.Stream(seed, 2, 17)
		for _, i := range order {
			out[i] = v.Rescale(xs[i], 20, s.Draw(uint64(i)), nil)
		}
		return out
	}
	seq := make([]int, n)
	for i := range seq {
		seq[i] = i
	}
	want := run(seq, 5)
	shuffled := slices.Clone(seq)
	r.Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if got := run(shuffled, 5); !slices.Equal(got, want) {
		t.Error("shuffled order changed stochastic rounding results")
	}
	if got := run(seq, 5); !slices.Equal(got, want) {
		t.Error("the same seed and keys did not reproduce the results")
	}
	if got := run(seq, 6); slices.Equal(got, want) {
		t.Error("another seed gave identical results")
	}

	// OuterUpdate of a whole matrix equals the same update done block by block in a
	// shuffled order, each block naming its place with Row0 and Col0.
	const rows, cols = 13, 21
	a, b := randInt16s(r, rows), randInt16s(r, cols)
	w0 := randInt16s(r, rows*cols)
	p := OuterParams{Mult: 3000, Shift: 20, Min: math.MinInt16, Max: math.MaxInt16, Stream: NewStream(1, 2, 0, 3)}
	whole := slices.Clone(w0)
	OuterUpdate(whole, cols, a, b, 1, p, nil)
	blocks := [][4]int{} // row0, rows, col0, cols
	for r0 := 0; r0 < rows; r0 += 5 {
		for c0 := 0; c0 < cols; c0 += 8 {
			blocks = append(blocks, [4]int{r0, min(5, rows-r0), c0, min(8, cols-c0)})
		}
	}
	r.Shuffle(len(blocks), func(i, j int) { blocks[i], blocks[j] = blocks[j], blocks[i] })
	tiled := slices.Clone(w0)
	for _, bl := range blocks {
		q := p
		q.Row0, q.Col0, q.Cols = bl[0], bl[2], cols
		OuterUpdate(tiled[bl[0]*cols+bl[2]:], cols, a[bl[0]:bl[0]+bl[1]], b[bl[2]:bl[2]+bl[3]], 1, q, nil)
	}
	if !slices.Equal(tiled, whole) {
		t.Error("OuterUpdate by shuffled blocks differs from the whole-matrix update")
	}
}

func randInt16s(r *rand.Rand, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(r.Uint32())
	}
	return s
}

func BenchmarkDraw(b *testing.B) {
	s := NewStream(1, 2, 3, 4)
	var x uint64
	for i := range uint64(b.N) {
		x += s.Draw(i)
	}
	sink = x
}

func BenchmarkKeyDraw(b *testing.B) {
	var x uint64
	for i := range uint64(b.N) {
		x += Key{Seed: 1, Var: 2, Context: 3, Step: 4, Index: i}.Draw()
	}
	sink = x
}

var sink uint64
