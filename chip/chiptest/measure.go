package chiptest

import (
	"fmt"
	"math"
	"sort"

	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
)

// Ranges are the magnitudes a float run reached, per population: quantiles of |ĕ|,
// |r| and |ŭ| over every neuron, context and sampled step.
type Ranges struct {
	Population string
	// Quantiles[q] for each q of the Measure call, and the maximum.
	EBreve, R, UBreve []float64
	Max               [3]float64 // |ĕ|, |r|, |ŭ|
}

// Measure runs the float reference on net for steps steps (step drives one step of g:
// set its input and target) and returns, per population, the quantiles qs of |ĕ|, |r|
// and |ŭ| (every sampleEvery-th step). The compiler's calibration does this properly;
// this is enough to choose scale registers for tests and experiments.
func Measure(net *network.Network, params *network.Params, contexts, steps, sampleEvery int, qs []float64, step func(g *gle.Net, k int) error) ([]Ranges, error) {
	g, err := gle.New(net, params, contexts)
	if err != nil {
		return nil, err
	}
	n := len(g.Populations)
	e, r, u := make([][]float64, n), make([][]float64, n), make([][]float64, n)
	for k := range steps {
		if err := step(g, k); err != nil {
			return nil, err
		}
		if k%max(sampleEvery, 1) != 0 {
			continue
		}
		for i, p := range g.Populations {
			r[i] = appendAbs(r[i], p.R)
			if !p.Input {
				e[i] = appendAbs(e[i], p.EBreve)
				u[i] = appendAbs(u[i], p.UBreve)
			}
		}
	}
	out := make([]Ranges, n)
	for i, p := range g.Populations {
		out[i].Population = p.Name
		for j, s := range [][]float64{e[i], r[i], u[i]} {
			sort.Float64s(s)
			var qv []float64
			for _, q := range qs {
				qv = append(qv, quantile(s, q))
			}
			if len(s) > 0 {
				out[i].Max[j] = s[len(s)-1]
			}
			switch j {
			case 0:
				out[i].EBreve = qv
			case 1:
				out[i].R = qv
			default:
				out[i].UBreve = qv
			}
		}
	}
	return out, nil
}

func appendAbs(dst, s []float64) []float64 {
	for _, x := range s {
		dst = append(dst, math.Abs(x))
	}
	return dst
}

func quantile(s []float64, q float64) float64 {
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(q*float64(len(s)-1)+0.5))]
}

// ExpFor returns the smallest exponent e for which a magnitude m fits a format with
// intBits integer bits: m < 2^(intBits+e). Zero magnitudes give minExp.
func ExpFor(m float64, intBits, minExp int) int {
	if !(m > 0) {
		return minExp
	}
	e := int(math.Floor(math.Log2(m))) + 1 - intBits
	return max(e, minExp)
}

// String formats r.
func (r Ranges) String() string {
	return fmt.Sprintf("%s: |ĕ| %.3g (max %.3g), |r| %.3g (max %.3g), |ŭ| %.3g (max %.3g)", r.Population, r.EBreve, r.Max[0], r.R, r.Max[1], r.UBreve, r.Max[2])
}
