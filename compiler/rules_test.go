package compiler_test

import (
	"errors"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/network"
)

var printRules = flag.Bool("print-rules", false, "print the findings of every design rule case")

// base is a valid network every failing example edits.
const base = `{
  "format": "glemu-network", "version": 2, "name": "base", "dt": 0.2, "seed": 2,
  "populations": [
    {"name": "x", "size": 2, "input": true},
    {"name": "h", "size": 6, "activation": "tanh", "bias": true, "tau_m": 1.2, "tau_r": 0.2},
    {"name": "out", "size": 3, "activation": "identity", "tau_m": 1.2, "tau_r": 1.2, "output": true}
  ],
  "projections": [{"source": "x", "target": "h"}, {"source": "h", "target": "out"}],
  "loss": {"kind": "mse", "beta": 1},
  "learning": {"optimizer": {"kind": "adam", "lr": 0.001}, "weights": true}
}`

func edited(t *testing.T, edits ...string) *network.Network {
	t.Helper()
	s := base
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("edit: %q not in the base network", edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	n, err := network.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDesignRules: every design rule has a failing example, and its findings are
// exactly these.
func TestDesignRules(t *testing.T) {
	tiny := func(rows, cols, n, f int) chip.Config { return smallChip(rows, cols, n, f) }
	wide := []string{`"size": 6, "activation": "tanh"`, `"size": 120, "activation": "tanh"`, `{"name": "x", "size": 2`, `{"name": "x", "size": 100`}
	cases := []struct {
		rule  string
		edits []string
		opt   compiler.Options
		want  []string
	}{
		{"GLE001", []string{`"beta": 1`, `"beta": -1`}, compiler.Options{}, []string{
			`GLE001 error: loss beta -1 must be a positive number; set the nudging strength (1 is usual)`,
		}},
		{"GLE002", []string{`"tau_r": 0.2}`, `"tau_r": 0.1}`}, compiler.Options{}, []string{
			`GLE002 error: population "h": tau_r 0.1 is below dt 0.2; raise tau_r or lower dt`,
		}},
		{"GLE003", []string{`"tau_m": 1.2, "tau_r": 0.2`, `"tau_m": [60, 8, 8, 8, 1.2, 1.2], "tau_r": 0.2`}, compiler.Options{}, []string{
			`GLE003 error: population "h": τm/dt = 300 at neuron 0 is beyond the tau_m format's 256; lower tau_m or raise dt or widen tau_m`,
			`GLE003 error: population "h": τm/τr = 300 at neuron 0 (and 3 more) is beyond the tau_m_tau_r format's 32; raise tau_r (or lower tau_m) or widen tau_m_tau_r`,
		}},
		{"GLE004", []string{`"activation": "tanh"`, `"activation": "gelu"`}, compiler.Options{}, []string{
			`GLE004 error: population "h": activation "gelu" is unknown; use one of identity, linear, relu, tanh, sigmoid, softplus, hard_sigmoid, hard_tanh`,
		}},
		{"GLE005", []string{`{"name": "out"`, `{"name": "spare", "size": 2, "activation": "relu", "tau_m": 1, "tau_r": 1}, {"name": "out"`}, compiler.Options{}, []string{
			`GLE005 error: population "spare": nothing projects into it; add a projection with "target": "spare" or remove the population`,
		}},
		{"GLE006", []string{`{"source": "x", "target": "h"}`, `{"source": "x", "target": "h", "weights": [[1, 2]]}`}, compiler.Options{}, []string{
			`GLE006 error: projection 0 (x → h): weights has 1 rows; want 6 (one per target neuron, each with 2 source weights)`,
		}},
		{"GLE007", wide, compiler.Options{Config: tiny(2, 2, 64, 16)}, []string{
			`GLE007 error: projection 0 (x → h): fan-in 100 into 120 neurons needs 14 crossbars of 64×16 even after splitting (2 row × 7 column chunks); the mesh has 4 tiles; use a mesh of at least 14 tiles, or crossbars of at least 50 inputs (InputsPerNeuron)`,
			`GLE007 error: projection 1 (h → out): fan-in 120 into 3 neurons needs 8 crossbars of 64×16 even after splitting (1 row × 8 column chunks); the mesh has 4 tiles; use a mesh of at least 8 tiles, or crossbars of at least 30 inputs (InputsPerNeuron)`,
		}},
		{"GLE008", nil, compiler.Options{Config: tiny(1, 1, 4, 4)}, []string{
			`GLE008 error: the network needs 4 tiles; the 1×1 mesh has 1; use a mesh of at least 4 tiles (e.g. 2×2), or larger tiles (NeuronsPerTile, InputsPerNeuron)`,
		}},
		{"GLE009", []string{`"tau_r": 0.2}`, `"tau_r": 0.2, "chip": {"tiles": [99]}}`}, compiler.Options{}, []string{
			`GLE009 error: population "h" is pinned to tile 99; the 4×4 mesh has tiles 0 to 15; use tiles 0 to 15, or a larger mesh`,
		}},
		{"GLE010", []string{`"kind": "mse"`, `"kind": "cross_entropy"`}, compiler.Options{Config: tiny(2, 2, 2, 8)}, []string{
			`GLE010 error: cross-entropy output "out" has 3 neurons; the softmax runs on one tile of 2; use tiles of at least 3 neurons, fewer classes, or mse`,
		}},
		{"GLE011", []string{`"tau_r": 0.2}`, `"tau_r": 0.2, "chip": {"rate_exp": 20}}`}, compiler.Options{}, []string{
			`GLE011 error: population "h": rate_exp = 20 is outside what the datapath accepts; use -3 to 12, or leave it out to let the compiler choose`,
		}},
		{"GLE012", []string{`{"source": "x", "target": "h"}`, `{"source": "x", "target": "h", "chip": {"weight_exp": -8}}`}, compiler.Options{}, []string{
			`GLE012 warning: projection 0 (x → h): weights up to 0.602 saturate the crossbar's ±0.0156 at WeightExp -8; lower the weight_exp hint or leave it out`,
			`GLE012 warning: projection 0 (x → h): forward sums may reach 7.53 and wrap the mac accumulator (±0.25 at WeightExp -8 + RateExp 0); raise the projection's weight_exp or the source's rate_exp`,
		}},
		{"GLE013", append(wide, `{"source": "x", "target": "h"}`, `{"source": "x", "target": "h", "mask": {"density": 0.5}}`), compiler.Options{}, []string{
			`GLE013 error: projection 0 (x → h): its learning mask splits it into 6136 weight blocks (at most 4096); the chip has no per-synapse mask bit, so masked synapses need frozen zero blocks; freeze the projection ("plastic": false), switch weight learning off, or use a block-structured mask (rows with equal patterns, runs of synapses)`,
		}},
		{"GLE014", nil, compiler.Options{Config: tiny(2, 2, 4, 4), StepRate: 1e8}, []string{
			// 19 cycles + 5 for the block error bus (2 for the exponent, 3 neurons × 1 context).
			`GLE014 error: tile 1 needs 24 cycles per step (the chip's cost model); at 1e+08 steps/s a step has 2 cycles; lower the step rate to 8.333e+06 steps/s, or give the tiles more MAC units or a faster clock`,
			`GLE014 error: link 0→1 carries 8 words per step (4 cycles at 32 bits per cycle); at 1e+08 steps/s a step has 2 cycles; lower the step rate to 5e+07 steps/s, spread the populations (another seed or pins) or widen the links (LinkBits)`,
			`GLE014 error: link 0→2 carries 8 words per step (4 cycles at 32 bits per cycle); at 1e+08 steps/s a step has 2 cycles; lower the step rate to 5e+07 steps/s, spread the populations (another seed or pins) or widen the links (LinkBits)`,
			`GLE014 error: link 1→3 carries 8 words per step (4 cycles at 32 bits per cycle); at 1e+08 steps/s a step has 2 cycles; lower the step rate to 5e+07 steps/s, spread the populations (another seed or pins) or widen the links (LinkBits)`,
		}},
		{"GLE015", nil, compiler.Options{Contexts: 300}, []string{
			`GLE015 error: 300 contexts; the chip's context memory holds 256; run at most 256 contexts or enlarge the context memory (MaxContexts)`,
		}},
		{"GLE016", []string{`"lr": 0.001`, `"lr": 1e-30`}, compiler.Options{}, []string{
			`GLE016 error: learning rate of weights 1e-30 is not representable in the lr register (UQ1.15, exponents ±48); raise the learning rate or widen the lr register`,
		}},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			seen[c.rule] = true
			n := edited(t, c.edits...)
			var got []string
			for _, f := range compiler.Check(n, c.opt) {
				if *printRules {
					t.Log(f)
				}
				if f.Rule == c.rule {
					got = append(got, f.String())
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("findings of %s:\n%s\nwant:\n%s", c.rule, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
	for _, r := range compiler.Rules() {
		if !seen[r.ID] {
			t.Errorf("rule %s (%s) has no failing example", r.ID, r.Name)
		}
	}
}

// TestAllViolationsAtOnce: one network breaking several rules hears about all of them.
func TestAllViolationsAtOnce(t *testing.T) {
	n := edited(t, `"activation": "tanh"`, `"activation": "gelu"`, `"tau_m": 1.2, "tau_r": 1.2`, `"tau_m": 80, "tau_r": 1.2`, `"beta": 1`, `"beta": 0`)
	_, err := compiler.Compile(n, compiler.Options{Contexts: 999})
	var ce *compiler.CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("Compile: %v, want a *CheckError", err)
	}
	var rules []string
	for _, f := range ce.Findings {
		rules = append(rules, f.Rule)
	}
	if want := []string{"GLE001", "GLE003", "GLE003", "GLE004", "GLE015"}; !reflect.DeepEqual(rules, want) {
		t.Errorf("rules %v, want %v\n%v", rules, want, err)
	}
	if !strings.HasPrefix(err.Error(), "compiler: 5 design rule violations\n  GLE001 error: ") {
		t.Errorf("error text:\n%v", err)
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(m.Run())
}
