package mnist1d

import (
	"slices"
	"testing"
)

// Where the reference values come from:
//
//   - 3499211612 is the published first output of MT19937 after init_genrand(5489)
//     (Matsumoto and Nishimura's mt19937ar.c), and 4123659995 its 10000th output (the
//     C++ standard requires it of std::mt19937, [rand.predef]).
//   - Everything else was printed by numpy 1.24.2's legacy RandomState (Debian's
//     python3-numpy), e.g.
//     python3 -c 'import numpy as np; r = np.random.RandomState(42); print(r.randn(5).tolist())'
//     with rand(), randn(), randint(0, n), choice(48), permutation(10) and
//     randint(0, 2**32, dtype=np.uint64) for the raw 32-bit outputs.
//     Seed 42's rand() 0.3745401188473625 and randn() 0.4967141530112327 are also the
//     values numpy's documentation and countless tutorials show.

func TestUint32(t *testing.T) {
	for _, tc := range []struct {
		seed uint32
		want []uint32
	}{
		{5489, []uint32{3499211612, 581869302, 3890346734, 3586334585, 545404204}},
		{42, []uint32{1608637542, 3421126067, 4083286876}},
	} {
		r := NewRandomState(tc.seed)
		for i, want := range tc.want {
			if got := r.Uint32(); got != want {
				t.Errorf("seed %d: output %d = %d, want %d", tc.seed, i, got, want)
			}
		}
	}

	// The 10000th output crosses 16 twists of the state.
	r := NewRandomState(5489)
	var v uint32
	for range 10000 {
		v = r.Uint32()
	}
	if v != 4123659995 {
		t.Errorf("seed 5489: output 10000 = %d, want 4123659995", v)
	}
}

func TestFloat64(t *testing.T) {
	for _, tc := range []struct {
		seed uint32
		want []float64
	}{
		{42, []float64{0.3745401188473625, 0.9507143064099162, 0.7319939418114051, 0.5986584841970366, 0.15601864044243652}},
		{0, []float64{0.5488135039273248}},
		{4294967295, []float64{0.0976320289940138}},
	} {
		r := NewRandomState(tc.seed)
		for i, want := range tc.want {
			if got := r.Float64(); got != want {
				t.Errorf("seed %d: rand() %d = %.17g, want %.17g", tc.seed, i, got, want)
			}
		}
	}

	// rand() is made of two 32-bit outputs, as the spec writes it.
	a, b := NewRandomState(7), NewRandomState(7)
	hi, lo := b.Uint32()>>5, b.Uint32()>>6
	if got, want := a.Float64(), float64(uint64(hi)<<26|uint64(lo))/(1<<53); got != want {
		t.Errorf("rand() = %.17g, want (a>>5 · 2²⁶ + b>>6)/2⁵³ = %.17g", got, want)
	}
}

func TestNormFloat64(t *testing.T) {
	r := NewRandomState(42)
	want := []float64{0.4967141530112327, -0.13826430117118466, 0.6476885381006925, 1.5230298564080254, -0.23415337472333597}
	for i, w := range want {
		if got := r.NormFloat64(); got != w {
			t.Errorf("randn() %d = %.17g, want %.17g", i, got, w)
		}
	}

	// The second normal of a pair comes from the cache, whatever is drawn between.
	r = NewRandomState(42)
	g1, u, g2 := r.NormFloat64(), r.Float64(), r.NormFloat64()
	if g1 != 0.4967141530112327 || u != 0.7319939418114051 || g2 != -0.13826430117118466 {
		t.Errorf("randn, rand, randn = %.17g, %.17g, %.17g; want 0.4967141530112327, 0.7319939418114051, -0.13826430117118466", g1, u, g2)
	}

	// Seeding clears the cache.
	r.NormFloat64()
	r.Seed(42)
	if got := r.NormFloat64(); got != 0.4967141530112327 {
		t.Errorf("randn() after reseeding = %.17g, want 0.4967141530112327", got)
	}
}

func TestInterval(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  uint64
		want []uint64
	}{
		// np.random.choice(48) and randint(0, 48): mask 63.
		{"max=47", 47, []uint64{38, 28, 14, 42, 7, 20, 38, 18, 22, 10}},
		// randint(0, 2**33, dtype=np.int64): one 64-bit draw per value.
		{"max=2^33-1", 1<<33 - 1, []uint64{3421126067, 787846414, 3348747335}},
		// randint(0, 2**40 + 1, dtype=np.uint64): mask 2⁴¹ − 1.
		{"max=2^40", 1 << 40, []uint64{441507790259, 458615280711, 810017303572}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRandomState(42)
			for i, want := range tc.want {
				if got := r.Interval(tc.max); got != want {
					t.Errorf("draw %d = %d, want %d", i, got, want)
				}
			}
		})
	}

	// Interval(0) draws nothing: randint(0, 1) leaves rand() at its first value.
	r := NewRandomState(42)
	if got := r.Interval(0); got != 0 {
		t.Errorf("Interval(0) = %d, want 0", got)
	}
	if got := r.Float64(); got != 0.3745401188473625 {
		t.Errorf("rand() after Interval(0) = %.17g, want the first value 0.3745401188473625", got)
	}

	// Every value stays in range, and max = 2³² − 1 passes raw outputs through.
	r, raw := NewRandomState(1), NewRandomState(1)
	if got, want := r.Interval(1<<32-1), uint64(raw.Uint32()); got != want {
		t.Errorf("Interval(2³² − 1) = %d, want the raw output %d", got, want)
	}
	for max := range uint64(200) {
		if v := r.Interval(max); v > max {
			t.Fatalf("Interval(%d) = %d", max, v)
		}
	}
}

func TestPermutation(t *testing.T) {
	r := NewRandomState(42)
	if got, want := r.Permutation(10), []int{8, 1, 5, 0, 7, 2, 9, 4, 3, 6}; !slices.Equal(got, want) {
		t.Errorf("Permutation(10) = %v, want %v", got, want)
	}
	for _, n := range []int{-1, 0} {
		if got := r.Permutation(n); len(got) != 0 {
			t.Errorf("Permutation(%d) = %v, want []", n, got)
		}
	}
	// Permutation(1) draws nothing.
	r.Seed(42)
	if got := r.Permutation(1); !slices.Equal(got, []int{0}) {
		t.Errorf("Permutation(1) = %v, want [0]", got)
	}
	if got := r.Float64(); got != 0.3745401188473625 {
		t.Errorf("rand() after Permutation(1) = %.17g, want the first value", got)
	}
	p := r.Permutation(1000)
	slices.Sort(p)
	for i, v := range p {
		if v != i {
			t.Fatalf("Permutation(1000) is not a permutation: sorted[%d] = %d", i, v)
		}
	}
}
