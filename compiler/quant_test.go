package compiler_test

import (
	"math"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/network"
)

// learningChain is x(1) → h0 identity(8) → h1 tanh(8) → h2 tanh(8) → out identity(4),
// cross-entropy, Adam on weights and biases (when learn), h2→out frozen if frozenTop.
func learningChain(t *testing.T, learn, frozenTop bool) *network.Network {
	t.Helper()
	b := network.NewBuilder("learning-chain", 0.2).Seed(3)
	b.Input("x", 1)
	b.Population("h0", 8, "identity", network.Tau(0.6, 0.2), network.WithBias())
	b.Population("h1", 8, "tanh", network.Tau(1.2, 0.2), network.WithBias())
	b.Population("h2", 8, "tanh", network.Tau(1.2, 0.2), network.WithBias())
	b.Population("out", 4, "identity", network.Tau(1.2, 1.2), network.WithBias(), network.AsOutput())
	b.Project("x", "h0")
	b.Project("h0", "h1")
	b.Project("h1", "h2")
	if frozenTop {
		b.Project("h2", "out", network.Frozen())
	} else {
		b.Project("h2", "out")
	}
	b.Loss(network.LossCrossEntropy, 1)
	b.Learning(network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerAdam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, Weights: learn, Biases: true})
	n, err := b.Network()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func compileProgram(t *testing.T, n *network.Network, contexts int) *chip.Program {
	t.Helper()
	res, err := compiler.Compile(n, compiler.Options{Contexts: contexts, AnnealMoves: -1})
	if err != nil {
		t.Fatal(err)
	}
	return res.Program
}

// TestErrorGrowth checks that error scales get two bits (4×) per learning projection
// between a population and the output, and none through a frozen one.
func TestErrorGrowth(t *testing.T) {
	for _, tc := range []struct {
		name      string
		frozenTop bool
		want      map[string]int // ErrorExp with learning − without
	}{
		{"all learn", false, map[string]int{"out": 0, "h2": 2, "h1": 4, "h0": 6}},
		{"top frozen", true, map[string]int{"out": 0, "h2": 0, "h1": 2, "h0": 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			with := compileProgram(t, learningChain(t, true, tc.frozenTop), 1)
			without := compileProgram(t, learningChain(t, false, tc.frozenTop), 1)
			for q, pop := range with.Populations {
				want, ok := tc.want[pop.Name]
				if !ok {
					continue
				}
				if got := pop.ErrorExp - without.Populations[q].ErrorExp; got != want {
					t.Errorf("%s: ErrorExp %d with learning, %d without: grew %d bits, want %d", pop.Name, pop.ErrorExp, without.Populations[q].ErrorExp, got, want)
				}
			}
		})
	}
}

// TestErrorGrowthTrained checks that weights already at the largest value they can use
// (φ's saturation over the source's rate) give the errors below them no more growth:
// compiled from parameters whose h1→h2 weights are ±8, h1's errors grow only as much
// as h2's.
func TestErrorGrowthTrained(t *testing.T) {
	params, err := learningChain(t, true, false).InitParams()
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range params.Weights[2] { // h1→h2
		params.Weights[2][i] = 8 * math.Copysign(1, w)
	}
	exps := func(learn bool) map[string]int {
		res, err := compiler.Compile(learningChain(t, learn, false), compiler.Options{Params: params, AnnealMoves: -1})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, q := range res.Program.Populations {
			m[q.Name] = q.ErrorExp
		}
		return m
	}
	with, without := exps(true), exps(false)
	for name, want := range map[string]int{"out": 0, "h2": 2, "h1": 2} {
		if got := with[name] - without[name]; got != want {
			t.Errorf("%s: ErrorExp %d with learning, %d without: grew %d bits, want %d", name, with[name], without[name], got, want)
		}
	}
}

// TestLearningHeadroom checks the ranges a learning network's scales give: logits to
// exp_in's range, tanh-driving weights to φ's saturation, states to the largest sum,
// and gradients of hidden targets 1/√C finer with C contexts, the output's not.
func TestLearningHeadroom(t *testing.T) {
	n := learningChain(t, true, false)
	p1 := compileProgram(t, n, 1)
	p := compileProgram(t, n, 100)
	cfg := chip.DefaultConfig()
	fmax := func(name string, e int) float64 {
		v, _ := cfg.Formats.Lookup(name)
		return math.Ldexp(v.Format.MaxFloat(), e)
	}
	pop := map[string]chip.Population{}
	for _, q := range p.Populations {
		pop[q.Name] = q
	}
	if r := fmax("r", pop["out"].RateExp); r < fmax("exp_in", 0)*(1-1e-3) {
		t.Errorf("logits hold ±%g, want exp_in's range ±%g", r, fmax("exp_in", 0))
	}
	for i, pr := range p.Projections {
		src, tgt := p.Populations[pr.Source], p.Populations[pr.Target]
		// Between tanh layers (an identity source's rate bound is measured).
		if tgt.Activation == fixedpoint.Tanh && src.Activation == fixedpoint.Tanh {
			if w := fmax("w", pr.WeightExp); w < 8*(1-1e-3) {
				t.Errorf("projection %d (%s→%s): weights hold ±%g, want ±8 (tanh's saturation)", i, src.Name, tgt.Name, w)
			}
			sum := float64(src.Size) * fmax("w", pr.WeightExp)
			if u := fmax("u", tgt.StateExp); u < sum {
				t.Errorf("%s: u holds ±%g, want the largest sum ±%g", tgt.Name, u, sum)
			}
		}
		d := p1.Projections[i].GradExp - pr.GradExp
		want := map[bool][2]int{true: {0, 0}, false: {3, 4}}[tgt.Role == chip.RoleOutput]
		if d < want[0] || d > want[1] {
			t.Errorf("projection %d (%s→%s): GradExp %d with 1 context, %d with 100; want %d to %d bits finer", i, src.Name, tgt.Name, p1.Projections[i].GradExp, pr.GradExp, want[0], want[1])
		}
	}
}
