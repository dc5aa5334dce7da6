package gle

import (
	"math"
	"testing"

	"github.com/glemu/glemu/network"
)

// TestExactGradientsMatchFiniteDifferences: discrete BPTT against central differences
// on a small recurrent net with biases, mixed LE/LI units, two contexts, both losses.
func TestExactGradientsMatchFiniteDifferences(t *testing.T) {
	for _, loss := range []string{network.LossMSE, network.LossCrossEntropy} {
		nw := learningNet()
		nw.Populations[1].Gamma = 0
		nw.Loss.Kind = loss
		nw.Loss.Beta = 0.7
		n := mustNew(t, nw, 2)
		drive(t, n, 0, 7) // start the window from a non-zero state
		const K = 40
		xs, ys := make([][]float64, K), make([][]float64, K)
		for k := range K {
			xs[k] = []float64{math.Sin(0.3 * float64(k)), math.Cos(0.2 * float64(k))}
			ys[k] = make([]float64, 6)
			if err := OneHot(ys[k], []int{k / 10 % 3, (k/10 + 1) % 3}, 3); err != nil {
				t.Fatal(err)
			}
		}
		g, err := n.ExactGradients(xs, ys)
		if err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, n)
		check := func(what string, theta []float64, grad []float64) {
			for i := range theta {
				old := theta[i]
				h := 1e-5 * math.Max(1, math.Abs(old))
				theta[i] = old + h
				lp, _ := n.WindowLoss(xs, ys)
				theta[i] = old - h
				lm, _ := n.WindowLoss(xs, ys)
				theta[i] = old
				fd := (lp - lm) / (2 * h)
				if rel := math.Abs(fd-grad[i]) / math.Max(math.Abs(grad[i]), 1e-6); rel > 1e-6 {
					t.Errorf("%s %s[%d]: BPTT %.12g, finite differences %.12g (rel %.2g)", loss, what, i, grad[i], fd, rel)
				}
			}
		}
		for _, q := range n.Projections {
			check("W"+string(rune('0'+q.Index)), q.W, g.W[q.Index])
		}
		for _, p := range n.Layers {
			check("b of "+p.Name, p.B, g.B[p.Index])
		}
		if string(before) != string(snapshot(t, n)) {
			t.Error("ExactGradients or WindowLoss changed the Net")
		}
		if l, _ := n.WindowLoss(xs, ys); l != g.Loss {
			t.Errorf("WindowLoss %v ≠ Gradients.Loss %v", l, g.Loss)
		}
	}
}

func TestExactGradientsNeedGammaZero(t *testing.T) {
	n := mustNew(t, learningNet(), 1)
	_, err := n.ExactGradients([][]float64{{0}}, [][]float64{{1, 0, 0}})
	if err == nil || err.Error() != `gle: population "l0" has γ = 0.5; exact gradients need γ = 0 (a forward pass independent of the errors)` {
		t.Errorf("γ ≠ 0: %v", err)
	}
}
