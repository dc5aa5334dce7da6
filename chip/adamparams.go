package chip

import (
	"math/bits"

	"github.com/glemu/glemu/fixedpoint"
)

// adamParams is Adam on a population's parameters lo…hi−1 (biases or τm, declared
// indices lo…hi−1) by the vector kernel, in calls of at most adamRowMax, with
// adamRow and adamTheta on the lanes the kernel declines: stepAt's bits on each,
// counters included (TestAdamParams). s holds the gradient sums with the sign of −∂θ
// (stepAt's s) when neg is false, their negation when neg is true. It reports false,
// doing nothing, when the kernel does not apply (then the caller steps them one by
// one).
func (c *Chip) adamParams(pl *optPlan, o *opt, theta, s []int64, neg bool, m, v []int64, lo, hi int, cnt *[numCounted]fixedpoint.Counters, cT *uint64) bool {
	if c.reference || m == nil || v == nil || !pl.adamVector() {
		return false
	}
	var args adamArgs
	pl.args(&args, o.sTheta, o.sM, o.sV)
	// The kernel reads −s (learnBlock's gradient sums) unless told otherwise.
	args.sPos = b2i(!neg)
	var den [1]int64
	for j0 := lo; j0 < hi; j0 += adamRowMax {
		n := min(adamRowMax, hi-j0)
		th, gs, mm, vv := theta[j0:j0+n], s[j0:j0+n], m[j0:j0+n], v[j0:j0+n]
		idx0 := uint64(j0)
		fail, failB := pl.kernelRow(&args, th, gs, mm, vv, idx0, cnt, cT)
		for g := range (n + 7) / 8 {
			for fb := fail[g] | failB[g]; fb != 0; fb &= fb - 1 {
				j := 8*g + bits.TrailingZeros8(fb)
				if fail[g]&(1<<(j%8)) != 0 {
					g1 := [1]int64{gs[j]}
					if !neg {
						g1[0] = -gs[j]
					}
					pl.adamRow(th[j:j+1], g1[:], mm[j:j+1], vv[j:j+1], den[:], idx0+uint64(j), o.sTheta, o.sM, o.sV, cnt, cT)
				} else {
					pl.adamTheta(th[j:j+1], mm[j:j+1], vv[j:j+1], den[:], idx0+uint64(j), o.sTheta, cT)
				}
			}
		}
	}
	return true
}
