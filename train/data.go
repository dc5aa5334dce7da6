package train

import (
	"math/bits"
	"math/rand/v2"
)

// orderStream is the second PCG seed word of the per-epoch shuffles ("shuffle\0").
const orderStream = 0x73687566666c6500

// EpochOrder returns the order in which epoch epoch (1, 2, …) feeds n training samples:
// a permutation of 0 … n−1 that depends only on seed and epoch, so a resumed run
// reshuffles exactly as an uninterrupted one.
//
// The generator is math/rand/v2's PCG seeded with (seed, 0x73687566666c6500 ^ epoch);
// the shuffle is Fisher–Yates from the end (for i = n−1 down to 1, swap items i and j,
// j uniform in [0, i]), j drawn by Lemire's multiply-and-reject from the PCG's Uint64.
// Both are fixed here, not left to the library's Shuffle, whose algorithm may change.
func EpochOrder(seed uint64, epoch, n int) []int {
	order := make([]int, max(n, 0))
	for i := range order {
		order[i] = i
	}
	rng := rand.NewPCG(seed, orderStream^uint64(epoch))
	for i := n - 1; i > 0; i-- {
		j := bounded(rng, uint64(i)+1)
		order[i], order[j] = order[j], order[i]
	}
	return order
}

// bounded returns a uniform integer in [0, n), n > 0 (Lemire, "Fast random integer
// generation in an interval", 2019).
func bounded(r *rand.PCG, n uint64) int {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return int(hi)
}

// Batches is the number of batches that feed n samples to C contexts: ⌈n/C⌉.
//
// Position i = b·C + c (batch b, context c) feeds sample order[i mod n]. The positions
// i < n feed every sample exactly once. When n is not a multiple of C, the last batch's
// contexts c ≥ n − b·C are padding: they feed the first samples of the same order again
// (order[i − n]), so every context always runs a real sample. Padding learns like any
// other context during training (its samples are seen twice in that epoch) but never
// counts in a loss or accuracy; during evaluation it only keeps the contexts running.
func Batches(n, C int) int {
	if n <= 0 || C <= 0 {
		return 0
	}
	return (n + C - 1) / C
}
