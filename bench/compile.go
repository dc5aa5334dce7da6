package bench

import (
	"fmt"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/network"
)

func compileWorkloads() []Workload {
	var ws []Workload
	for _, c := range []struct {
		name    string
		n, mesh int
	}{{"1e4", 100, 2}, {"1e6", 1000, 6}, {"1e7", 3162, 16}} {
		syn := c.n*c.n + 10*c.n
		ws = append(ws, Workload{Name: "compile/synapses=" + c.name, Kind: KindCompile,
			Doc: fmt.Sprintf("compiler.Compile of x(%d) → h(%d, tanh) → out(10), %d synapses, onto a %d×%d mesh of 256×256 tiles, everything included (rules, ranging run, partition, annealed placement, routes, cost, SQNR run)",
				c.n, c.n, syn, c.mesh, c.mesh),
			setup: func(*env) (*instance, error) {
				net, err := chainNet(c.n, c.n, 10)
				if err != nil {
					return nil, err
				}
				cfg := chip.DefaultConfig()
				cfg.Rows, cfg.Cols = c.mesh, c.mesh
				opt := compiler.Options{Config: cfg}
				return &instance{synapses: float64(syn), run: func(n int) (sample, error) {
					for range n {
						if _, err := compiler.Compile(net, opt); err != nil {
							return sample{}, err
						}
					}
					return sample{}, nil
				}}, nil
			}})
	}
	return ws
}

// chainNet is x(in) → h(hidden) (tanh, bias) → out(out) (identity), cross-entropy,
// Adam on the weights: in·hidden + hidden·out synapses.
func chainNet(in, hidden, out int) (*network.Network, error) {
	b := network.NewBuilder(fmt.Sprintf("chain-%d-%d-%d", in, hidden, out), 0.2).Seed(1)
	b.Input("x", in)
	b.Population("h", hidden, "tanh", network.Tau(1.2, 0.2), network.WithBias())
	b.Population("out", out, "identity", network.Tau(1.2, 1.2), network.AsOutput())
	b.Project("x", "h").Project("h", "out")
	b.Loss(network.LossCrossEntropy, 1)
	b.Learning(network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerAdam, LR: 1e-3}, Weights: true})
	return b.Network()
}
