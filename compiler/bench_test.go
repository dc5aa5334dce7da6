package compiler_test

import (
	"fmt"
	"testing"

	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/network"
)

// benchNet is x(n) → h(n) (tanh) → out(10): about n² + 10n synapses.
func benchNet(b testing.TB, n int) *network.Network {
	nb := network.NewBuilder(fmt.Sprintf("bench-%d", n), 0.2).Seed(1)
	nb.Input("x", n)
	nb.Population("h", n, "tanh", network.Tau(1.2, 0.2), network.WithBias())
	nb.Population("out", 10, "identity", network.Tau(1.2, 1.2), network.AsOutput())
	nb.Project("x", "h").Project("h", "out")
	nb.Loss(network.LossCrossEntropy, 1).Learning(network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerAdam, LR: 1e-3}, Weights: true})
	net, err := nb.Network()
	if err != nil {
		b.Fatal(err)
	}
	return net
}

// BenchmarkCompile compiles networks of 10⁴, 10⁶ and 10⁷ synapses on a mesh large
// enough to hold them (reference tiles of 256 × 256), everything included: the design
// rules, initial parameters, the ranging run of the float reference, partition,
// placement (annealing), routes, the chip's cost model and the SQNR run on the chip.
func BenchmarkCompile(b *testing.B) {
	for _, c := range []struct {
		name    string
		n, mesh int
	}{{"synapses=1e4", 100, 2}, {"synapses=1e6", 1000, 6}, {"synapses=1e7", 3162, 16}} {
		b.Run(c.name, func(b *testing.B) {
			net := benchNet(b, c.n)
			opt := compiler.Options{Config: smallChip(c.mesh, c.mesh, 256, 256)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := compiler.Compile(net, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
