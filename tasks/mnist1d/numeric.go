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

// reduceBuffer is numpy's default ufunc buffer size (np.getbufsize()): a reduction over
// more values adds the pairwise sums of consecutive 8192-value chunks one after another.
const reduceBuffer = 8192

// sum is np.sum of a whole float64 array: starting from 0, it adds the pairwise sum of
// each 8192-value chunk in turn.
func sum(a []float64) float64 {
	var s float64
	for len(a) > reduceBuffer {
		s += pairwiseSum(a[:reduceBuffer])
		a = a[reduceBuffer:]
	}
	return s + pairwiseSum(a)
}

// mean is np.mean of a non-empty array: sum divided by the count.
func mean(a []float64) float64 {
	return sum(a) / float64(len(a))
}

// populationStd is np.std (ddof 0) of a non-empty array: the mean m as above, then
// sqrt(mean((a − m)²)). scratch must hold len(a) values; it is overwritten.
func populationStd(a, scratch []float64) float64 {
	m := mean(a)
	d := scratch[:len(a)]
	for i, v := range a {
		x := v - m
		d[i] = float64(x * x)
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

// Step 5's smoothing is scipy.ndimage.gaussian_filter(noise, σ = 2) with its defaults,
// truncate 4 and mode "reflect": a kernel of radius int(4·σ + 0.5).
const smoothRadius = 8

// gaussianExp holds exp(−0.5/σ² · j²) = exp(−j²/8) for j = 0 … 8 exactly as np.exp
// returned them when the published data set was made: numpy's AVX-512 exp, which is
// not correctly rounded and differs from the C library's exp in the last bit for
// j = 1, 4, 5, 6 and 8 (from Go's math.Exp for j = 1, 4, 5 and 6). With these values a rerun of the original Python
// reproduces all 18,800 values of both golden heads bit for bit; with the C library's,
// only 12,534. TestGaussianExp checks each is within one ulp of math.Exp.
var gaussianExp = [smoothRadius + 1]float64{
	0x1p+0,
	0x1.c3d6a24ed8221p-1,
	0x1.368b2fc6f960ap-1,
	0x1.4c71b2477ab20p-2,
	0x1.152aaa3bf81cbp-3,
	0x1.67ee6d9ff847bp-5,
	0x1.6c0504695c418p-7,
	0x1.1eb805a03296cp-9,
	0x1.5fc21041027acp-12,
}

// gaussianWeights returns the centre and one side of scipy's Gaussian kernel for σ = 2,
// radius 8: phi[j] = exp(−0.5/σ² · j²) for j = −8 … 8, divided by np.sum(phi).
func gaussianWeights() [smoothRadius + 1]float64 {
	var phi [2*smoothRadius + 1]float64
	for i := range phi {
		j := i - smoothRadius
		phi[i] = gaussianExp[max(j, -j)]
	}
	total := sum(phi[:])
	var w [smoothRadius + 1]float64
	for j := range w {
		w[j] = phi[smoothRadius+j] / total
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
		s := float64(src[l] * w[0])
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
