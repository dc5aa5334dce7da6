package gle

import (
	"fmt"
	"testing"

	"github.com/glemu/glemu/network"
)

// mnist1dNet is the paper's MNIST-1D network (spec section 6): 1→53 identity, five
// 53→53 tanh, 53→10 linear; units 0–17 τm 0.6 τr dt, 18–35 τm 1.2 τr dt, 36–52 τm = τr =
// 1.2; dt 0.2; cross-entropy; Adam lr 1e-3 on weights and biases. 14 956 parameters.
func mnist1dNet() *network.Network {
	const dt = 0.2
	tauM := append(append(fill(18, 0.6), fill(18, 1.2)...), fill(17, 1.2)...)
	tauR := append(fill(36, dt), fill(17, 1.2)...)
	nw := &network.Network{Name: "mnist1d-gle", Dt: dt, Seed: 1, Errors: network.ErrorsProspective,
		Loss: network.Loss{Kind: network.LossCrossEntropy, Beta: 1},
		Learning: network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerAdam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Weights: true, Biases: true}}
	nw.Populations = append(nw.Populations, network.Population{Name: "x", Size: 1, Input: true})
	prev := "x"
	for l := range 6 {
		act := "tanh"
		if l == 0 {
			act = "identity"
		}
		name := fmt.Sprintf("h%d", l)
		nw.Populations = append(nw.Populations, network.Population{Name: name, Size: 53, Activation: act, Bias: true, TauM: tauM, TauR: tauR})
		nw.Projections = append(nw.Projections, network.Projection{Source: prev, Target: name})
		prev = name
	}
	nw.Populations = append(nw.Populations, network.Population{Name: "out", Size: 10, Activation: "identity", Bias: true,
		TauM: fill(10, 1.2), TauR: fill(10, 1.2), Output: true})
	nw.Projections = append(nw.Projections, network.Projection{Source: prev, Target: "out"})
	return nw
}

func TestMNIST1DNetHasThePapersParameterCount(t *testing.T) {
	if got := mnist1dNet().NumParams(); got != 14956 {
		t.Errorf("%d parameters, want 14956", got)
	}
}

// BenchmarkStep: one training step of the MNIST-1D network (Adam on W and b).
func BenchmarkStep(b *testing.B) {
	for _, c := range []int{1, 100} {
		b.Run(fmt.Sprintf("net=mnist1d/contexts=%d", c), func(b *testing.B) {
			n := mustNew(b, mnist1dNet(), c)
			x := make([]float64, c)
			labels := make([]int, c)
			b.ReportAllocs()
			steps := 0
			for b.Loop() {
				x[0] = float64(steps%7) * 0.1
				if err := n.StepLabels(x, labels); err != nil {
					b.Fatal(err)
				}
				steps++
			}
			b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
			b.ReportMetric(float64(steps*c)/b.Elapsed().Seconds(), "context-steps/s")
		})
	}
}
