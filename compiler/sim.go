package compiler

import (
	"fmt"
	"math"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
)

// runSteps is the length of the inference run that measures each layer's SQNR.
const runSteps = 32

// costOf loads the program and returns the chip's cost model for one step.
func costOf(prog *chip.Program) (Cost, error) {
	c, err := chip.New(prog)
	if err != nil {
		return Cost{}, fmt.Errorf("compiler: internal error, please report: the chip rejects the program: %w", err)
	}
	defer c.Close()
	k := c.Cost()
	out := Cost{
		CyclesPerStep: k.CyclesPerStep, CriticalTile: k.CriticalTile, MaxStepRate: k.MaxStepRate,
		EnergyPJ: k.EnergyPJ, SynapticOps: k.SynapticOps, HopWords: k.HopWords, Learning: c.Learning(),
		ErrorBusHopWords: k.ErrorBusHopWords,
	}
	for _, t := range k.Tiles {
		if t.Cycles == 0 {
			continue
		}
		out.Tiles = append(out.Tiles, TileCycles{Tile: t.Tile, Forward: t.Forward, Neurons: t.Neurons, Backward: t.Backward,
			Learning: t.Learning, Link: t.Link, ErrorBus: t.ErrorBus, Cycles: t.Cycles, MACs: t.MACs, WordsSent: t.WordsSent})
	}
	return out, nil
}

// runInputs returns the inputs of the SQNR run: the samples (repeated to runSteps), or
// seeded uniform values in ±1 (within every input's rate range).
func (pl *plan) runInputs() [][]float64 {
	w := pl.net.InputWidth()
	xs := make([][]float64, runSteps)
	if s := pl.opt.Samples; s != nil && len(s.Inputs) > 0 {
		for k := range xs {
			xs[k] = s.Inputs[k%len(s.Inputs)]
		}
		return xs
	}
	g := network.NewStream(pl.net.Seed, 4, 0)
	for k := range xs {
		xs[k] = make([]float64, w)
		for i := range w {
			xs[k][i] = g.Uniform(1)
		}
	}
	return xs
}

// runSQNR runs the program (learning off, no target) on the chip and the network on the
// float reference, and returns per population the SQNR in dB of the chip's rates
// against the reference's (NaN for inputs). Every neuron population is probed by
// marking it an output in a copy of the program with no loss, which changes nothing
// else: without a target e* is zero.
func (pl *plan) runSQNR() ([]float64, error) {
	probe := *pl.prog
	probe.Populations = append([]chip.Population(nil), pl.prog.Populations...)
	for q := range probe.Populations {
		if probe.Populations[q].Role != chip.RoleInput {
			probe.Populations[q].Role = chip.RoleOutput
		}
	}
	probe.Loss = chip.Loss{Kind: chip.LossNone}
	probe.Learning = chip.Learning{Optimizer: pl.prog.Learning.Optimizer}
	probe.Contexts = 1
	c, err := chip.New(&probe)
	if err != nil {
		return nil, fmt.Errorf("compiler: internal error, please report: the chip rejects the probe program: %w", err)
	}
	defer c.Close()
	n := pl.net
	frozen := *n
	frozen.Learning = network.Learning{TauMMin: n.Dt} // inference: no gradients to form
	ref, err := gle.New(&frozen, pl.params, 1)
	if err != nil {
		return nil, err
	}
	signal := make([]float64, len(n.Populations))
	noise := make([]float64, len(n.Populations))
	out := make([]float64, c.OutputWidth())
	prev := make([][]float64, len(n.Populations)) // the reference's rates before the step
	for q := range prev {
		prev[q] = make([]float64, n.Populations[q].Size)
	}
	for _, x := range pl.runInputs() {
		for q, p := range ref.Populations {
			copy(prev[q], p.R)
		}
		if err := c.StepWith(x, nil); err != nil {
			return nil, err
		}
		if err := ref.Step(x, nil); err != nil {
			return nil, err
		}
		// The chip reports the rates committed before its step: the reference's prev.
		out = c.Output(out)
		off := 0
		for q, pop := range n.Populations {
			if pop.Input {
				continue
			}
			for i, r := range prev[q] {
				d := out[off+i] - r
				signal[q] += r * r
				noise[q] += d * d
			}
			off += pop.Size
		}
	}
	res := make([]float64, len(n.Populations))
	for q, pop := range n.Populations {
		res[q] = math.NaN()
		if !pop.Input {
			res[q] = sqnr(signal[q], noise[q])
		}
	}
	return res, nil
}
