package compiler_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
)

// compileFitting compiles n for cfg, growing the mesh until the network fits.
func compileFitting(t *testing.T, n *network.Network, cfg chip.Config, contexts int, seed uint64) *compiler.Result {
	t.Helper()
	for {
		res, err := compiler.Compile(n, compiler.Options{Config: cfg, Contexts: contexts, Seed: seed, AnnealMoves: 2000})
		var ce *compiler.CheckError
		if errors.As(err, &ce) && slices.ContainsFunc(ce.Findings, func(f compiler.Finding) bool { return f.Rule == "GLE008" || f.Rule == "GLE007" }) && cfg.Rows < 16 {
			cfg.Rows++
			cfg.Cols++
			continue
		}
		if err != nil {
			t.Fatalf("%dx%d N=%d F=%d: %v", cfg.Rows, cfg.Cols, cfg.NeuronsPerTile, cfg.InputsPerNeuron, err)
		}
		return res
	}
}

// runTrace steps a program with learning for steps steps on seeded inputs and targets
// and returns every raw output and the final weights, dequantized.
func runTrace(t *testing.T, n *network.Network, prog *chip.Program, steps, workers int) ([]int64, [][]float64) {
	t.Helper()
	c, err := chip.New(prog, chip.WithWorkers(workers))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	C := c.Contexts()
	g := network.NewStream(77, 1, 1)
	x := make([]float64, C*c.InputWidth())
	y := make([]float64, C*c.OutputWidth())
	labels := make([]int, C)
	var outs []int64
	var raw []int64
	for k := range steps {
		for i := range x {
			x[i] = g.Uniform(1)
		}
		if err := c.SetInput(x); err != nil {
			t.Fatal(err)
		}
		if n.Loss.Kind == network.LossCrossEntropy {
			for i := range labels {
				labels[i] = int(g.Uint64() % uint64(c.OutputWidth()))
			}
			if err := c.SetLabels(labels); err != nil {
				t.Fatal(err)
			}
		} else {
			for i := range y {
				y[i] = g.Uniform(0.5)
			}
			if err := c.SetTarget(y); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Step(); err != nil {
			t.Fatalf("step %d: %v", k, err)
		}
		raw = c.OutputRaw(raw)
		outs = append(outs, raw...)
	}
	var ws [][]float64
	for p := range n.Projections {
		w, err := c.Weights(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	return outs, ws
}

// TestMappingPreservesFunction: random networks compiled for meshes of different
// shapes and tile sizes (so that they are split, packed and placed differently) run
// bit for bit the same on the chip, learning included, whatever the worker count.
func TestMappingPreservesFunction(t *testing.T) {
	configs := []chip.Config{
		smallChip(4, 4, 256, 256),
		smallChip(2, 3, 16, 16),
		smallChip(3, 3, 8, 12),
		smallChip(2, 5, 12, 7),
		smallChip(5, 2, 24, 5),
	}
	for seed := uint64(1); seed <= 6; seed++ {
		n := randomNet(t, seed, true)
		t.Run(n.Name, func(t *testing.T) {
			var refOut []int64
			var refW [][]float64
			layouts := map[string]bool{}
			for ci, cfg := range configs {
				res := compileFitting(t, n, cfg, 2, seed)
				p := res.Program
				// The link loads counted from the routes agree with the chip's cost model.
				if res.Report.Placement.Cost != res.Report.HopWords {
					t.Errorf("config %d: the placement's traffic model says %d words×hops, the routes %d", ci, res.Report.Placement.Cost, res.Report.HopWords)
				}
				// (The block error bus's partial ORs are the chip's, not routes.)
				if res.Report.HopWords != int(res.Report.Cost.HopWords-res.Report.Cost.ErrorBusHopWords) {
					t.Errorf("config %d: Σ words×hops %d from the routes, %d (%d of them the error bus's) from the chip's cost model", ci, res.Report.HopWords, res.Report.Cost.HopWords, res.Report.Cost.ErrorBusHopWords)
				}
				layout := fmt.Sprint(res.Report.TilesUsed, len(res.Report.Links), res.Report.Placement.Cost)
				for _, w := range res.Report.Weights {
					layout += fmt.Sprint(" ", w.Blocks, w.Tiles)
				}
				layouts[layout] = true
				out, ws := runTrace(t, n, p, 30, 1+ci%2)
				if ci == 0 {
					refOut, refW = out, ws
					continue
				}
				if !slices.Equal(out, refOut) {
					t.Fatalf("config %d (%d×%d, N=%d, F=%d): outputs differ from config 0", ci, p.Config.Rows, p.Config.Cols, p.Config.NeuronsPerTile, p.Config.InputsPerNeuron)
				}
				for pi := range ws {
					if !slices.Equal(ws[pi], refW[pi]) {
						t.Fatalf("config %d: learned weights of projection %d differ from config 0", ci, pi)
					}
				}
			}
			if len(layouts) < 3 {
				t.Errorf("only %d distinct layouts over %d configs; the test does not split and place differently", len(layouts), len(configs))
			}
		})
	}
}

// TestTracksReference: a compiled program follows the float reference. Every layer's
// rates over the compiler's inference run keep an SQNR of at least 30 dB, and with
// learning on the outputs of 200 steps drift by little against the output's own size.
func TestTracksReference(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		n := randomNet(t, seed, false)
		t.Run(n.Name, func(t *testing.T) {
			res := compileFitting(t, n, smallChip(3, 3, 32, 32), 1, 1)
			for _, l := range res.Report.Layers {
				if l.RunSQNR != nil && *l.RunSQNR < 30 {
					t.Errorf("layer %s: run SQNR %.1f dB < 30 dB", l.Population, *l.RunSQNR)
				}
			}
			c, err := chip.New(res.Program)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := gle.New(n, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			g := network.NewStream(5, 1, 1)
			x := make([]float64, c.InputWidth())
			y := make([]float64, c.OutputWidth())
			var out []float64
			var se, ss float64
			for k := range 200 {
				for i := range x {
					x[i] = g.Uniform(1)
				}
				clear(y)
				if n.Loss.Kind == network.LossCrossEntropy {
					y[(k/20)%len(y)] = 1
				} else {
					for i := range y {
						y[i] = 0.3 * math.Sin(float64(k+i)/10)
					}
				}
				if err := c.StepWith(x, y); err != nil {
					t.Fatal(err)
				}
				if err := ref.Step(x, y); err != nil {
					t.Fatal(err)
				}
				out = c.Output(out)
				for i, o := range out {
					d := o - ref.Out[i]
					se += d * d
					ss += ref.Out[i] * ref.Out[i]
				}
			}
			rel := math.Sqrt(se / max(ss, 1e-300))
			t.Logf("learning 200 steps: output RMS drift / RMS output = %.2g", rel)
			if rel > 0.05 {
				t.Errorf("outputs drift %.3g of their size from the reference; want < 0.05", rel)
			}
		})
	}
}
