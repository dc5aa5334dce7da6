package compiler_test

import (
	"fmt"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/network"
)

// randomNet builds a seeded random network: a chain of 1 to 3 hidden populations with
// random sizes, activations and time constants, sometimes a recurrent projection, a
// skip projection from the input to the output and a mask, MSE or cross-entropy, Adam
// or SGD. Without recurrent, no population projects into itself (recurrent loops with
// prospective errors can make the float reference's own errors diverge).
func randomNet(t testing.TB, seed uint64, recurrent bool) *network.Network {
	t.Helper()
	g := network.NewStream(seed, 9, 9)
	pick := func(n int) int { return int(g.Uint64() % uint64(n)) }
	acts := []string{"tanh", "identity", "relu", "sigmoid", "softplus", "hard_tanh"}
	b := network.NewBuilder(fmt.Sprintf("random-%d", seed), 0.2).Seed(seed)
	in := 1 + pick(12)
	b.Input("x", in)
	prev := "x"
	hidden := 1 + pick(3)
	for l := range hidden {
		name := fmt.Sprintf("h%d", l)
		size := 2 + pick(40)
		tm := make([]float64, size)
		tr := make([]float64, size)
		for i := range size {
			tm[i] = []float64{0.2, 0.6, 1.2}[pick(3)]
			tr[i] = []float64{0.2, tm[i]}[pick(2)]
		}
		opts := []network.PopulationOption{network.TauPerNeuron(tm, tr)}
		if pick(2) == 0 {
			opts = append(opts, network.WithBias())
		}
		b.Population(name, size, acts[pick(len(acts))], opts...)
		var popts []network.ProjectionOption
		if pick(4) == 0 {
			popts = append(popts, network.MaskDensity(0.6, nil))
		}
		b.Project(prev, name, popts...)
		if pick(3) == 0 && recurrent {
			b.Project(name, name, network.ProjectionSeed(seed+7))
		}
		prev = name
	}
	out := 2 + pick(6)
	b.Population("out", out, "identity", network.Tau(1.2, 1.2), network.WithBias(), network.AsOutput())
	b.Project(prev, "out")
	if pick(2) == 0 {
		b.Project("x", "out", network.Frozen())
	}
	if pick(2) == 0 {
		b.Loss(network.LossCrossEntropy, 1)
	} else {
		b.Loss(network.LossMSE, 0.5)
	}
	opt := network.Optimizer{Kind: network.OptimizerAdam, LR: 1e-3}
	if pick(2) == 0 {
		opt = network.Optimizer{Kind: network.OptimizerSGD, LR: 0.01}
	}
	b.Learning(network.Learning{Optimizer: opt, Weights: true, Biases: true})
	n, err := b.Network()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// smallChip is the default chip with another mesh and tile size.
func smallChip(rows, cols, neurons, inputs int) chip.Config {
	c := chip.DefaultConfig()
	c.Rows, c.Cols, c.NeuronsPerTile, c.InputsPerNeuron = rows, cols, neurons, inputs
	return c
}
