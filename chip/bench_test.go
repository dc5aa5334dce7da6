package chip_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

// meshNet is a chain filling a rows×cols mesh of n×n tiles: an input population of n
// on the first tile and a chain of tanh populations of n, one per tile, each tile
// holding its population and the n×n block of its incoming projection.
func meshNet(tiles, n int) *network.Network {
	nw := &network.Network{Name: "mesh", Dt: 0.1, Seed: 1, Errors: network.ErrorsProspective,
		Loss: network.Loss{Kind: network.LossMSE, Beta: 0.1},
		Learning: network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerAdam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Weights: true, Biases: true}}
	nw.Populations = append(nw.Populations, network.Population{Name: "x", Size: n, Input: true})
	prev := "x"
	for t := 1; t < tiles; t++ {
		name := fmt.Sprintf("h%d", t)
		nw.Populations = append(nw.Populations, network.Population{Name: name, Size: n, Activation: "tanh", Bias: true,
			TauM: rep(n, 0.3, 0.5), TauR: rep(n, 0.1, 0.5), Output: t == tiles-1})
		nw.Projections = append(nw.Projections, network.Projection{Source: prev, Target: name})
		prev = name
	}
	if err := nw.Validate(); err != nil {
		panic(err)
	}
	return nw
}

// benchPair steps the chip and gle on the same network and inputs.
func benchPair(b *testing.B, net *network.Network, contexts int, cfg *chip.Config) {
	p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: contexts, Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	x := make([]float64, contexts*net.InputWidth())
	y := make([]float64, contexts*net.OutputWidth())
	labels := make([]int, contexts)
	ce := net.Loss.Kind == network.LossCrossEntropy
	fill := func(k int) {
		for i := range x {
			x[i] = math.Sin(0.05*float64(k) + float64(i))
		}
		for i := range y {
			y[i] = 0.5 * math.Cos(0.03*float64(k)+float64(i))
		}
		for i := range labels {
			labels[i] = (k/360 + i) % net.OutputWidth()
		}
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("chip/workers=%d", workers), func(b *testing.B) { benchChip(b, p, workers, x, y, labels, ce, fill) })
	}
	b.Run("gle", func(b *testing.B) {
		g, err := gle.New(net, nil, contexts)
		if err != nil {
			b.Fatal(err)
		}
		syn := 0.0
		for _, pr := range g.Projections {
			syn += float64(len(pr.W))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for k := range b.N {
			fill(k)
			if ce {
				err = g.StepLabels(x, labels)
			} else {
				err = g.Step(x, y)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		report(b, 3*syn*float64(contexts))
	})
}

func benchChip(b *testing.B, p *chip.Program, workers int, x, y []float64, labels []int, ce bool, fill func(int)) {
	c, err := chip.New(p, chip.WithWorkers(workers))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for k := range 5 { // warm up: learning state in place
		fill(k)
		c.SetInput(x)
		c.SetTarget(y)
		c.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for k := range b.N {
		fill(k)
		if err := c.SetInput(x); err != nil {
			b.Fatal(err)
		}
		if ce {
			err = c.SetLabels(labels)
		} else {
			err = c.SetTarget(y)
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Step(); err != nil {
			b.Fatal(err)
		}
	}
	report(b, float64(c.Cost().SynapticOps))
}

func report(b *testing.B, synOpsPerStep float64) {
	s := b.Elapsed().Seconds()
	if s == 0 {
		return
	}
	b.ReportMetric(float64(b.N)/s, "steps/s")
	b.ReportMetric(float64(b.N)*synOpsPerStep/s, "synops/s")
}

// BenchmarkMNIST1D: the spec's MNIST-1D network (14 956 parameters, Adam, cross-entropy)
// on the chip and on gle, at 1 and 100 contexts.
func BenchmarkMNIST1D(b *testing.B) {
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []int{1, 100} {
		b.Run(fmt.Sprintf("contexts=%d", c), func(b *testing.B) { benchPair(b, net, c, nil) })
	}
}

// BenchmarkMesh: a full 4×4 mesh of 256×256 tiles learning with Adam.
func BenchmarkMesh(b *testing.B) {
	cfg := chip.DefaultConfig()
	net := meshNet(16, 256)
	for _, c := range []int{1, 16} {
		b.Run(fmt.Sprintf("tiles=16/neurons=256/contexts=%d", c), func(b *testing.B) { benchPair(b, net, c, &cfg) })
	}
}
