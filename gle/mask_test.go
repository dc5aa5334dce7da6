package gle

import (
	"testing"

	"github.com/glemu/glemu/network"
)

// TestMaskedWeightsNeverLearn: with every optimizer, the weights a mask leaves out stay
// exactly zero while the others learn, and the exact gradient ignores them too.
func TestMaskedWeightsNeverLearn(t *testing.T) {
	for _, opt := range []network.Optimizer{
		{Kind: network.OptimizerSGD, LR: 0.1},
		{Kind: network.OptimizerMomentum, LR: 0.1},
		{Kind: network.OptimizerAdam, LR: 0.01},
	} {
		t.Run(opt.Kind, func(t *testing.T) {
			b := network.NewBuilder("masked", 0.2).Seed(4)
			b.Input("x", 3)
			b.Population("h", 5, "tanh", network.Tau(1.2, 0.2), network.WithBias())
			b.Population("out", 2, "identity", network.Tau(1.2, 1.2), network.AsOutput())
			b.Project("x", "h", network.MaskDensity(0.5, nil))
			b.Project("h", "h", network.MaskRows([][]int{{1}, {2}, {3}, {4}, {0}}))
			b.Project("h", "out")
			b.Loss(network.LossMSE, 1).Learning(network.Learning{Optimizer: opt, Weights: true, Biases: true})
			nw, err := b.Network()
			if err != nil {
				t.Fatal(err)
			}
			n, err := New(nw, nil, 2)
			if err != nil {
				t.Fatal(err)
			}
			start := append([]float64(nil), n.Projections[0].W...)
			x := []float64{0.5, -1, 0.25, 1, 0.5, -0.5}
			y := []float64{0.3, -0.2, -0.1, 0.4}
			for range 50 {
				if err := n.Step(x, y); err != nil {
					t.Fatal(err)
				}
			}
			for _, q := range n.Projections[:2] {
				moved := 0
				for k, keep := range q.Mask {
					switch {
					case !keep && q.W[k] != 0:
						t.Fatalf("projection %d: masked weight %d = %v", q.Index, k, q.W[k])
					case !keep && q.WGrad[k] != 0:
						t.Fatalf("projection %d: masked gradient %d = %v", q.Index, k, q.WGrad[k])
					case keep && q.Index == 0 && q.W[k] != start[k]:
						moved++
					}
				}
				if q.Index == 0 && moved == 0 {
					t.Error("no kept weight of projection 0 learned")
				}
			}
			g, err := n.ExactGradients([][]float64{x, x}, [][]float64{y, y})
			if err != nil {
				t.Fatal(err)
			}
			for k, keep := range n.Projections[0].Mask {
				if !keep && g.W[0][k] != 0 {
					t.Fatalf("exact gradient of masked weight %d = %v", k, g.W[0][k])
				}
			}
		})
	}
}
