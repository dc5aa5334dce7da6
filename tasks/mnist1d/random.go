package mnist1d

import "math"

// mtN is the MT19937 state size in 32-bit words; mtM the middle offset of the twist.
const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// RandomState is numpy's legacy random stream (numpy.random.RandomState, and the
// module-level functions after numpy.random.seed): the MT19937 generator with the
// derived draws MNIST-1D uses. Uint32, Float64, Interval and Permutation reproduce
// numpy's bit for bit; NormFloat64 does too except where numpy's C library misrounds a
// logarithm (see NormFloat64).
//
// A RandomState is not safe for concurrent use. Its zero value is not seeded; make one
// with NewRandomState.
type RandomState struct {
	mt  [mtN]uint32
	pos int // next word of mt to temper; mtN means "twist first"

	// The polar Box–Muller method makes normals in pairs; the second is kept here.
	hasGauss bool
	gauss    float64
}

// NewRandomState returns a stream seeded as numpy.random.seed(seed) seeds it.
func NewRandomState(seed uint32) *RandomState {
	r := new(RandomState)
	r.Seed(seed)
	return r
}

// Seed resets the stream as numpy.random.seed(seed) does for an integer seed: the
// reference MT19937 init_genrand,
//
//	mt[0] = seed
//	mt[i] = 1812433253 · (mt[i−1] xor (mt[i−1] >> 30)) + i   (mod 2³², i = 1 … 623),
//
// and it clears the cached normal.
func (r *RandomState) Seed(seed uint32) {
	r.mt[0] = seed
	for i := 1; i < mtN; i++ {
		prev := r.mt[i-1]
		r.mt[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	r.pos = mtN
	r.hasGauss = false
	r.gauss = 0
}

// twist regenerates all 624 words of the state (the reference genrand_int32 refill).
func (r *RandomState) twist() {
	mag := [2]uint32{0, mtMatrixA}
	var i int
	for ; i < mtN-mtM; i++ {
		y := r.mt[i]&mtUpperMask | r.mt[i+1]&mtLowerMask
		r.mt[i] = r.mt[i+mtM] ^ y>>1 ^ mag[y&1]
	}
	for ; i < mtN-1; i++ {
		y := r.mt[i]&mtUpperMask | r.mt[i+1]&mtLowerMask
		r.mt[i] = r.mt[i+mtM-mtN] ^ y>>1 ^ mag[y&1]
	}
	y := r.mt[mtN-1]&mtUpperMask | r.mt[0]&mtLowerMask
	r.mt[mtN-1] = r.mt[mtM-1] ^ y>>1 ^ mag[y&1]
	r.pos = 0
}

// Uint32 returns the next 32-bit output of MT19937, tempered as in the reference
// implementation. Seeded with 5489, the first output is 3499211612.
func (r *RandomState) Uint32() uint32 {
	if r.pos >= mtN {
		r.twist()
	}
	y := r.mt[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// Float64 returns numpy's rand(): a uniform double in [0, 1) with 53 random bits, made
// from two 32-bit outputs a, b as ((a >> 5) · 2²⁶ + (b >> 6)) / 2⁵³.
func (r *RandomState) Float64() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// NormFloat64 returns numpy's legacy randn(): a standard normal by the polar
// Box–Muller method with a one-value cache. With a cached value it returns that and
// clears the cache; otherwise it draws x1 = 2·rand() − 1, x2 = 2·rand() − 1 until
// 0 < r² = x1² + x2² < 1, caches f·x1 and returns f·x2, f = sqrt(−2·ln(r²)/r²).
//
// The uniforms and the rejection test are numpy's bit for bit (every product is rounded
// before it is added, as numpy's C does on x86-64). For ln this uses logCR, correctly
// rounded, where numpy calls the C library's log: glibc's misrounds about 0.08 % of
// the r² randn meets, and there the pair of normals differs from numpy's by an ulp.
func (r *RandomState) NormFloat64() float64 {
	if r.hasGauss {
		r.hasGauss = false
		g := r.gauss
		r.gauss = 0
		return g
	}
	var x1, x2, r2 float64
	for {
		x1 = float64(2*r.Float64()) - 1
		x2 = float64(2*r.Float64()) - 1
		r2 = float64(x1*x1) + float64(x2*x2)
		if r2 < 1 && r2 != 0 {
			break
		}
	}
	f := math.Sqrt(-2 * logCR(r2) / r2)
	r.gauss = f * x1
	r.hasGauss = true
	return f * x2
}

// Interval returns a uniform integer in [0, max], max inclusive, by numpy's masked
// rejection (random_interval, and legacy randint(0, max+1)): with mask the smallest
// 2ʲ − 1 ≥ max, it draws until draw & mask ≤ max. A max below 2³² uses 32-bit draws,
// a larger one 64-bit draws (two outputs, the first the high word). Interval(0)
// returns 0 and draws nothing.
func (r *RandomState) Interval(max uint64) uint64 {
	if max == 0 {
		return 0
	}
	mask := max
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	mask |= mask >> 32
	if max <= math.MaxUint32 {
		for {
			if v := uint64(r.Uint32()) & mask; v <= max {
				return v
			}
		}
	}
	for {
		hi := uint64(r.Uint32())
		lo := uint64(r.Uint32())
		if v := (hi<<32 | lo) & mask; v <= max {
			return v
		}
	}
}

// Permutation returns numpy's legacy permutation(n): 0 … n−1 shuffled by Fisher–Yates
// from the end (for i = n−1 down to 1, swap items i and Interval(i)). It returns an
// empty slice for n ≤ 0.
func (r *RandomState) Permutation(n int) []int {
	if n <= 0 {
		return []int{}
	}
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(r.Interval(uint64(i)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}
