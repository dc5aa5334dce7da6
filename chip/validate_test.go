package chip_test

import (
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/network"
)

func tinyNet(src int) *network.Network {
	n := &network.Network{Name: "tiny", Dt: 0.1, Seed: 1, Errors: network.ErrorsProspective,
		Populations: []network.Population{
			{Name: "x", Size: src, Input: true},
			{Name: "h", Size: 4, Activation: "tanh", Bias: true, TauM: rep(4, 0.3), TauR: rep(4, 0.1)},
			{Name: "out", Size: 2, Activation: "identity", Output: true, TauM: rep(2, 0.2), TauR: rep(2, 0.2)},
		},
		Projections: []network.Projection{{Source: "x", Target: "h"}, {Source: "h", Target: "out"}},
		Loss:        network.Loss{Kind: network.LossMSE, Beta: 1},
		Learning: network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerAdam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Weights: true},
	}
	if err := n.Validate(); err != nil {
		panic(err)
	}
	return n
}

func TestProgramValidate(t *testing.T) {
	base := func(t *testing.T) *chip.Program {
		p, err := chiptest.Map(tinyNet(3), nil, chiptest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := int64(1) << 16 // τ = dt in tau_m UQ8.16
	for _, tc := range []struct {
		name string
		edit func(*chip.Program)
		want string
	}{
		{"ok", func(*chip.Program) {}, "<nil>"},
		{"contexts", func(p *chip.Program) { p.Contexts = 0 }, "chip: program: 0 contexts; the chip runs 1 to 256 (Config.MaxContexts)"},
		{"dt", func(p *chip.Program) { p.Dt = 0 }, "chip: program: dt = 0; give a positive, finite time step"},
		{"zero-size tiles", func(p *chip.Program) { p.Config.NeuronsPerTile = 0 }, "chip: config: 0 neurons per tile; give every tile at least 1 neuron slot (default 256)"},
		{"τm below dt", func(p *chip.Program) { p.Populations[1].TauM[0] = one / 2 },
			`chip: program: population 1 ("h"): neuron 0: τm = 0.5·dt is below dt; time constants must be at least dt`},
		{"τm too large", func(p *chip.Program) { p.Populations[1].TauM[2] = 300 * one },
			`chip: program: population 1 ("h"): neuron 2: τm = 19660800 raw does not fit tau_m UQ8.16 (at most 255.99998474121094·dt); use a larger dt or widen tau_m`},
		{"ratio", func(p *chip.Program) { p.Populations[1].TauM[3] = 40 * one; p.Populations[1].TauR[3] = one },
			`chip: program: population 1 ("h"): neuron 3: τm/τr = 40 does not fit tau_m_tau_r UQ5.11 (at most 31.99951171875); raise τr or widen tau_m_tau_r`},
		{"formats cannot hold τ", func(p *chip.Program) { setFormatT(&p.Config, "tau_m", fixedpoint.UQ(0, 16)) },
			"chip: config: formats: tau_m is UQ0.16 and cannot hold 1; give it at least 1 integer bit, because τ is held in units of dt and τ = dt is 1"},
		{"neuron without slot", func(p *chip.Program) { p.Tiles[1].Slots = p.Tiles[1].Slots[:3] },
			`chip: program: neuron 3 of population "h" has no slot; place every neuron on a tile`},
		{"neuron twice", func(p *chip.Program) {
			p.Tiles[0].Slots = append(p.Tiles[0].Slots, chip.NeuronRef{Population: 1, Neuron: 0})
		},
			`chip: program: neuron 0 of population "h" lives in two slots (tiles 0 and 1); place it once`},
		{"weights missing", func(p *chip.Program) { b := &p.Tiles[1].Blocks[0]; b.Cols, b.W = 2, b.W[:7] },
			"chip: program: tile 1 block 0 (projection 0, x→h): 7 weights for 4×2; give Rows·Cols, row-major"},
		{"coverage", func(p *chip.Program) {
			b := &p.Tiles[1].Blocks[0]
			b.Cols = 2
			w := b.W
			b.W = nil
			for i := range 4 {
				b.W = append(b.W, w[i*3:i*3+2]...)
			}
		}, "chip: program: projection 0 (x→h): blocks hold 8 of its 12 weights; cover the whole matrix"},
		{"route missing", func(p *chip.Program) { p.Tiles[0].Routes = nil },
			`chip: program: tile 0 lacks a route for rate of population "x" neurons 0…0 from tile 0 to tile 1; Program.DeriveRoutes fills every route`},
		{"extra route", func(p *chip.Program) {
			p.Tiles[0].Routes = append(p.Tiles[0].Routes, chip.Route{Kind: chip.RouteRate, Population: 0, Lo: 0, Hi: 1, To: 2})
		}, `chip: program: tile 0 route 1 (rate of population "x" neurons 0…0 from tile 0 to tile 2) sends neuron 0, which no block there needs; Program.DeriveRoutes gives the exact routes`},
		{"bad register", func(p *chip.Program) { p.Loss.Beta.Raw = 1 << 20 },
			"chip: program: β mantissa 1048576 does not fit UQ1.15 (0 to 65535); normalise it and move the rest into the exponent"},
		{"decay", func(p *chip.Program) { p.Learning.Beta2 = 1 << 31 }, "chip: program: β2 = 1; use a value in [0, 1)"},
		{"input with bias", func(p *chip.Program) { p.Populations[0].Bias = true },
			`chip: program: population 0 ("x"): an input population has no bias and no time constants; leave Bias, B, TauM and TauR empty`},
		{"projection into input", func(p *chip.Program) { p.Projections[1].Target = 0 },
			"chip: program: projection 1 (h→x): the target is an input population, which has no dynamics; project into a neuron population"},
		{"overlap", func(p *chip.Program) {
			b := p.Tiles[2].Blocks[0]
			b.Projection = 0
			b.Rows, b.Cols, b.Row0, b.Col0, b.W = 1, 1, 0, 0, []int64{0}
			p.Tiles[2].Blocks = append(p.Tiles[2].Blocks, b)
		}, "chip: program: tile 2 block 1 (projection 0, x→h) overlaps block 0 in the crossbar; place blocks on distinct rows or columns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base(t)
			tc.edit(p)
			if got := errString(p.Validate()); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if _, err := chip.New(p); errString(err) != tc.want {
				t.Errorf("New: %v", err)
			}
		})
	}
}

// TestTooManyInputs: a block with more columns than a tile's crossbar accepts.
func TestTooManyInputs(t *testing.T) {
	p, err := chiptest.Map(tinyNet(3), nil, chiptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.Config.InputsPerNeuron = 2
	want := "chip: program: tile 1 block 0 (projection 0, x→h): 3 inputs per neuron; a tile's crossbar accepts at most 2 (Config.InputsPerNeuron), split the projection across blocks"
	if got := errString(p.Validate()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
