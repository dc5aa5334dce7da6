package mnist1d

import "math"

// The array operations of the original generator, each written to round as numpy and
// scipy round: the same operations in the same order, and every product rounded before
// it is added (explicit float64 conversions forbid fused multiply-adds). Where the
// result is compared exactly (the zero mask of step 5) this keeps every decision equal;
// elsewhere it keeps the values within a few ulps of the original.

// pairwiseBlock is numpy's PW_BLOCKSIZE: below it, sums are eight-way unrolled loops.
const pairwiseBlock = 128

// pairwiseSum is numpy's pairwise summation of a float64 array (the inner loop of
// np.sum and np.mean), reproduced operation for operation: a plain loop below 8 values,
// eight partial sums up to 128, and halving (at a multiple of 8) above.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		var s float64
		for _, v := range a {
			s += v
		}
		return s
	case n <= pairwiseBlock:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for k := range r {
				r[k] += a[i+k]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}

// mean is np.mean of a non-empty array: the reduction starts from 0 and adds the
// pairwise sum, then divides by the count.
func mean(a []float64) float64 {
	return (0 + pairwiseSum(a)) / float64(len(a))
}

// populationStd is np.std (ddof 0) of a non-empty array: the mean m as above, then
// sqrt(mean((a − m)²)). scratch must hold len(a) values; it is overwritten.
func populationStd(a, scratch []float64) float64 {
	m := mean(a)
	d := scratch[:len(a)]
	for i, v := range a {
		x := v - m
		d[i] = x * x
	}
	return math.Sqrt(mean(d))
}

// linspace fills dst with np.linspace(start, stop, len(dst)): start + i·step with
// step = (stop − start)/(n − 1), the last point exactly stop. A single point is start.
func linspace(dst []float64, start, stop float64) {
	n := len(dst)
	if n == 0 {
		return
	}
	if n == 1 {
		dst[0] = start
		return
	}
	step := (stop - start) / float64(n-1)
	for i := range dst {
		dst[i] = float64(float64(i)*step) + start
	}
	dst[n-1] = stop
}

// interp fills dst with np.interp(x, xp, fp) for increasing xp and x inside
// [xp[0], xp[len(xp)−1]], which is what scipy's interp1d(kind="linear") calls for 1-D
// float64 data. With j the last index such that xp[j] ≤ x: the last point and exact
// grid hits return fp[j]; other points slope·(x − xp[j]) + fp[j], slope =
// (fp[j+1] − fp[j])/(xp[j+1] − xp[j]). x must be increasing too (a walking index
// replaces numpy's binary search; both find the same j).
func interp(dst, x, xp, fp []float64) {
	last := len(xp) - 1
	j := 0
	for i, v := range x {
		for j < last && xp[j+1] <= v {
			j++
		}
		if j == last || xp[j] == v {
			dst[i] = fp[j]
			continue
		}
		slope := (fp[j+1] - fp[j]) / (xp[j+1] - xp[j])
		dst[i] = float64(slope*(v-xp[j])) + fp[j]
	}
}

// Step 5's smoothing: scipy.ndimage.gaussian_filter(noise, σ = 2) with its defaults,
// truncate 4 and mode "reflect".
const (
	smoothSigma  = 2
	smoothRadius = 8 // int(4·σ + 0.5)
)

// gaussianWeights returns the centre and one side of scipy's Gaussian kernel for σ = 2,
// radius 8: w[j] = exp(−0.5/σ² · j²) divided by the (pairwise) sum over j = −8 … 8.
func gaussianWeights() [smoothRadius + 1]float64 {
	var phi [2*smoothRadius + 1]float64
	for i := range phi {
		j := float64(i - smoothRadius)
		phi[i] = math.Exp(-0.5 / (smoothSigma * smoothSigma) * (j * j))
	}
	sum := 0 + pairwiseSum(phi[:])
	var w [smoothRadius + 1]float64
	for j := range w {
		w[j] = phi[smoothRadius+j] / sum
	}
	return w
}

// smoothReflect writes to dst the correlation of src with the symmetric kernel w
// (centre w[0], w[j] at distance j), extending src at both ends by reflection with the
// edge repeated (… c b a | a b c …). It sums as scipy's symmetric correlate1d does:
// src[l]·w[0], then (src[l−j] + src[l+j])·w[j] for j = radius down to 1.
// len(src) must be at least the radius; dst and src must not overlap.
func smoothReflect(dst, src []float64, w *[smoothRadius + 1]float64) {
	n := len(src)
	at := func(i int) float64 {
		switch {
		case i < 0:
			return src[-i-1]
		case i >= n:
			return src[2*n-1-i]
		}
		return src[i]
	}
	for l := range src {
		s := src[l] * w[0]
		if l >= smoothRadius && l+smoothRadius < n {
			for j := smoothRadius; j > 0; j-- {
				s += float64((src[l-j] + src[l+j]) * w[j])
			}
		} else {
			for j := smoothRadius; j > 0; j-- {
				s += float64((at(l-j) + at(l+j)) * w[j])
			}
		}
		dst[l] = s
	}
}
