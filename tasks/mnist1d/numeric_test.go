package mnist1d

import (
	"math"
	"slices"
	"testing"
)

// The expected values below were printed by numpy 1.24.2 and scipy 1.10.1 (Debian's
// python3-numpy and python3-scipy), e.g.
// python3 -c 'import numpy as np; print(repr(float(np.sum(np.full(17, 0.1)))))'.

func TestSum(t *testing.T) {
	// Sums of n copies of 0.1 show the summation order: a plain left-to-right loop gets
	// every one from 8 on wrong in the last bits.
	for _, tc := range []struct {
		n          int
		want       float64 // np.sum(np.full(n, 0.1))
		naiveWrong bool
	}{
		{7, 0.7, false},
		{8, 0.8, true},
		{17, 1.7000000000000002, true},
		{100, 9.999999999999998, true},
		{129, 12.899999999999999, true},
		{1000, 100.00000000000001, true},
		{200000, 20000.00000000001, true},
	} {
		a := make([]float64, tc.n)
		for i := range a {
			a[i] = 0.1
		}
		if got := sum(a); got != tc.want {
			t.Errorf("sum(%d × 0.1) = %.17g, want numpy's %.17g", tc.n, got, tc.want)
		}
		var naive float64
		for _, v := range a {
			naive += v
		}
		if (naive != tc.want) != tc.naiveWrong {
			t.Errorf("n = %d: the plain loop gives %.17g; the case no longer tells the orders apart", tc.n, naive)
		}
		if tc.n > reduceBuffer && pairwiseSum(a) == tc.want {
			t.Errorf("n = %d: one pairwise sum gives numpy's value too; the case no longer checks the chunks", tc.n)
		}
	}
}

func TestMeanStd(t *testing.T) {
	// np.random.RandomState(3).rand(5000, 40) and .rand(12): .mean() and .std() over the
	// whole array, the statistics Generate normalises with. Above 8192 values numpy sums
	// in chunks; one pairwise sum over all 200,000 would end differently.
	for _, tc := range []struct {
		n                 int
		wantMean, wantStd float64
	}{
		{5000 * 40, 0.5001043997428745, 0.28918821842455045},
		{12, 0.4301443986175957, 0.2881116469100009},
	} {
		r := NewRandomState(3)
		a := make([]float64, tc.n)
		for i := range a {
			a[i] = r.Float64()
		}
		if got := mean(a); got != tc.wantMean {
			t.Errorf("n = %d: mean = %.17g, want %.17g", tc.n, got, tc.wantMean)
		}
		if got := populationStd(a, make([]float64, len(a))); got != tc.wantStd {
			t.Errorf("n = %d: std = %.17g, want %.17g", tc.n, got, tc.wantStd)
		}
	}
}

func TestLinspace(t *testing.T) {
	for _, tc := range []struct {
		start, stop float64
		n           int
		at          []int
		want        []float64
	}{
		{0, 1, 72, []int{0, 1, 35, 70, 71}, []float64{0, 0.014084507042253521, 0.49295774647887325, 0.9859154929577465, 1}},
		{-0.5, 0.5, 72, []int{0, 1, 35, 36, 70, 71}, []float64{-0.5, -0.4859154929577465, -0.007042253521126751, 0.007042253521126751, 0.4859154929577465, 0.5}},
		{0, 1, 1, []int{0}, []float64{0}},
	} {
		x := make([]float64, tc.n)
		linspace(x, tc.start, tc.stop)
		for k, i := range tc.at {
			if x[i] != tc.want[k] {
				t.Errorf("linspace(%v, %v, %d)[%d] = %.17g, want %.17g", tc.start, tc.stop, tc.n, i, x[i], tc.want[k])
			}
		}
	}
}

func TestInterp(t *testing.T) {
	// np.interp(np.linspace(0, 1, 9), np.linspace(0, 1, 5), fp): grid hits return fp
	// exactly, so zeros between zeros stay exactly zero.
	xp := make([]float64, 5)
	linspace(xp, 0, 1)
	x := make([]float64, 9)
	linspace(x, 0, 1)
	fp := []float64{1e-8, 2, -1, 0, 0}
	got := make([]float64, len(x))
	interp(got, x, xp, fp)
	want := []float64{1e-08, 1.000000005, 2, 0.5, -1, -0.5, 0, 0, 0}
	if !slices.Equal(got, want) {
		t.Errorf("interp = %v, want %v", got, want)
	}
}

func TestGaussianExp(t *testing.T) {
	// The kernel's exponentials are numpy's, not ours, but each must be the exponential
	// it stands for, within one ulp.
	for j, got := range gaussianExp {
		want := math.Exp(-0.125 * float64(j*j))
		if got != want && math.Nextafter(got, want) != want {
			t.Errorf("gaussianExp[%d] = %x, more than one ulp from exp(−%d/8) = %x", j, got, j*j, want)
		}
	}
}

func TestGaussianWeights(t *testing.T) {
	// scipy.ndimage._filters._gaussian_kernel1d(2, 0, 8)[8:], bit for bit.
	want := [smoothRadius + 1]float64{0.199474647864745, 0.17603575888479034, 0.12098748976534904,
		0.06475993660472744, 0.026995957967298843, 0.00876430436278587, 0.0022159631725965556,
		0.0004363490205067883, 6.691628957263553e-05}
	if got := gaussianWeights(); got != want {
		t.Errorf("weights = %v, want %v", got, want)
	}
}

func TestSmoothReflect(t *testing.T) {
	// scipy.ndimage.gaussian_filter(np.arange(12)**2 * 0.1, 2): the reflected edges
	// (… c b a | a b c …) dominate both ends.
	src := make([]float64, 12)
	for i := range src {
		src[i] = float64(i*i) * 0.1
	}
	want := []float64{0.2836912772622859, 0.4461402365873323, 0.7788868710473649, 1.2930587628703898,
		1.9979011577701948, 2.898010016223809, 3.990920529879747, 5.258311196984996,
		6.643402934200041, 8.017449422270468, 9.16427682968972, 9.827950765213652}
	w := gaussianWeights()
	got := make([]float64, len(src))
	smoothReflect(got, src, &w)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("smoothed[%d] = %.17g, want %.17g", i, got[i], want[i])
		}
	}
}
