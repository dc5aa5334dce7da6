package image

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
)

// This file builds the programs the tests encode: tinyProgram (the worked example of
// docs/image-format.md), splitProgram (a population and a projection split across
// tiles), randomProgram (seeded, every field exercised) and bigProgram (benchmarks).

// fixtureTable and fixtureConfig pin the formats and the configuration of the golden
// fixtures (tinyProgram, splitProgram, bigProgram) to fixedpoint.DefaultTable's and
// chip.DefaultConfig's values when format 1.0 was written, without the formats'
// descriptions, so that tuning the chip's defaults does not change the golden images
// and the worked example of docs/image-format.md.
func fixtureTable() fixedpoint.Table {
	Q, UQ := fixedpoint.Q, fixedpoint.UQ
	return fixedpoint.Table{
		{Name: "w", Format: Q(2, 13), Rounding: fixedpoint.Stochastic, Overflow: fixedpoint.Saturate},
		{Name: "w_mem", Format: Q(2, 29), Rounding: fixedpoint.Stochastic, Overflow: fixedpoint.Saturate},
		{Name: "b", Format: Q(7, 24), Rounding: fixedpoint.Stochastic, Overflow: fixedpoint.Saturate},
		{Name: "mac", Format: Q(6, 25), Rounding: fixedpoint.Floor, Overflow: fixedpoint.Wrap},
		{Name: "mac_t", Format: Q(7, 24), Rounding: fixedpoint.Floor, Overflow: fixedpoint.Wrap},
		{Name: "u", Format: Q(7, 24), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "u_breve", Format: Q(7, 24), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "v", Format: Q(7, 24), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "e_breve", Format: Q(7, 24), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "inst_e", Format: Q(7, 24), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "phi_in", Format: Q(3, 12), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "r", Format: Q(3, 12), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "r_prime", Format: UQ(1, 15), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "rate_bus", Format: Q(3, 12), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "err_bus", Format: Q(4, 11), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "lr", Format: UQ(1, 15), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "dt_tau_m", Format: UQ(1, 15), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "dt_tau_r", Format: UQ(1, 15), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "tau_r_tau_m", Format: UQ(1, 15), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "tau_m_tau_r", Format: UQ(5, 11), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "tau_m", Format: UQ(8, 16), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "exp_in", Format: Q(4, 11), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "exp_out", Format: UQ(1, 15), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "adam_m", Format: Q(7, 24), Rounding: fixedpoint.Stochastic, Overflow: fixedpoint.Saturate},
		{Name: "adam_v", Format: UQ(8, 24), Rounding: fixedpoint.Stochastic, Overflow: fixedpoint.Saturate},
		{Name: "eps_in", Format: Q(7, 24), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "grad", Format: Q(7, 24), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "gamma", Format: Q(3, 12), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "beta", Format: UQ(1, 15), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "adam_eps", Format: UQ(1, 15), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "decay", Format: UQ(1, 31), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "trim_tau", Format: Q(0, 15), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
		{Name: "trim_offset", Format: Q(3, 12), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate},
	}
}

func fixtureConfig(rows, cols, neurons, inputs, contexts int) chip.Config {
	return chip.Config{
		Rows: rows, Cols: cols,
		NeuronsPerTile:  neurons,
		InputsPerNeuron: inputs,
		MaxContexts:     contexts,
		Formats:         fixtureTable(),
		MACUnits:        64,
		NeuronCycles:    4,
		DividerCycles:   34,
		LinkBits:        32,
		ClockHz:         200e6,
		Energy: chip.Energy{
			PJPerMAC:          0.05,
			PJPerSRAMRead:     0.6,
			PJPerSRAMWrite:    0.9,
			PJPerHop:          1.2,
			PJPerNeuronUpdate: 2.5,
			PJPerDivide:       3,
		},
	}
}

// tinyProgram is the worked example of docs/image-format.md: a 1×2 mesh of 2-neuron
// tiles, an input neuron x on tile 0 feeding an output neuron y (tanh, with bias) on tile
// 1 through one weight, MSE loss, SGD on the weights.
func tinyProgram() *chip.Program {
	cfg := fixtureConfig(1, 2, 2, 2, 1)
	p := &chip.Program{
		Name:     "tiny",
		Config:   cfg,
		Seed:     42,
		Dt:       1,
		Contexts: 1,
		Populations: []chip.Population{
			{Name: "x", Size: 1, Role: chip.RoleInput},
			{Name: "y", Size: 1, Role: chip.RoleOutput, Activation: fixedpoint.Tanh, Bias: true,
				Gamma: chip.Reg{Raw: 1 << 12}, // γ = 1 (gamma is Q3.12)
				TauM:  []int64{4 << 16},       // τm = 4·dt (tau_m is UQ8.16)
				TauR:  []int64{1 << 16},       // τr = dt
				B:     []int64{1 << 23},       // b = 0.5 (b is Q7.24)
			},
		},
		Projections: []chip.Projection{{Source: 0, Target: 1}},
		Tiles: []chip.Tile{
			{Slots: []chip.NeuronRef{{Population: 0, Neuron: 0}}},
			{
				Slots: []chip.NeuronRef{{Population: 1, Neuron: 0}},
				Blocks: []chip.Block{{Projection: 0, Rows: 1, Cols: 1, Plastic: true,
					W: []int64{1 << 28}, // w = 0.5 (w_mem is Q2.29)
				}},
			},
		},
		Loss: chip.Loss{Kind: chip.LossMSE, Beta: chip.Reg{Raw: 1 << 15}}, // β = 1 (beta is UQ1.15)
		Learning: chip.Learning{
			Optimizer: chip.OptSGD,
			Weights:   chip.ParamLearning{On: true, LR: chip.Reg{Raw: 1 << 15, Exp: -10}}, // lr = 2^−10
		},
	}
	if err := p.DeriveRoutes(); err != nil {
		panic(err)
	}
	return p
}

// splitProgram is a 2×2 mesh of 4×4 tiles: input x (6 neurons) on tiles 0, 1 and 2,
// hidden h (4 neurons) split over tiles 1 and 2, output y (2 neurons, stored in reverse
// slot order) on tile 3 with cross-entropy. x→h has more inputs than a crossbar row
// accepts and is split into four blocks; the recurrent h→h is split over tiles 3 and 0
// (which holds none of h, so its partial sums travel); Adam learns weights, biases and
// τm.
func splitProgram() *chip.Program {
	cfg := fixtureConfig(2, 2, 4, 4, 8)
	taus := func(n int, tau int64) []int64 {
		s := make([]int64, n)
		for i := range s {
			s[i] = tau<<16 + int64(i)<<12
		}
		return s
	}
	ws := func(n int, seed int64) []int64 {
		s := make([]int64, n)
		for i := range s {
			s[i] = (int64(i)*7919*seed + seed) % (1 << 28)
			if i%3 == 1 {
				s[i] = -s[i]
			}
		}
		return s
	}
	p := &chip.Program{
		Name:     "split",
		Config:   cfg,
		Seed:     0x5eed,
		Dt:       0.25,
		Contexts: 4,
		Errors:   chip.ErrorsInstantaneous,
		Populations: []chip.Population{
			{Name: "x", Size: 6, Role: chip.RoleInput, RateExp: -1},
			{Name: "h", Size: 4, Role: chip.RoleHidden, Activation: fixedpoint.HardSigmoid, Bias: true,
				Gamma: chip.Reg{Raw: 3 << 10, Exp: -1}, RateExp: 1, StateExp: 2, ErrorExp: -3, BiasGradExp: -4, TauGradExp: -5,
				TauM: taus(4, 6), TauR: taus(4, 1), B: []int64{-5, 1 << 20, -(1 << 31), 1<<31 - 1}},
			{Name: "y", Size: 2, Role: chip.RoleOutput, Activation: fixedpoint.Identity,
				Gamma: chip.Reg{Raw: -(1 << 12), Exp: 2}, TauM: taus(2, 2), TauR: taus(2, 2)},
		},
		Projections: []chip.Projection{
			{Source: 0, Target: 1, WeightExp: 1, GradExp: -2}, // x→h
			{Source: 1, Target: 2, WeightExp: -1, GradExp: 3}, // h→y
			{Source: 1, Target: 1},                            // h→h
		},
		Tiles: []chip.Tile{
			{
				Slots:  refs(0, 0, 0, 1, 0, 2, 0, 3),
				Blocks: []chip.Block{{Projection: 2, Row0: 2, Rows: 2, Col0: 0, Cols: 4, CrossbarRow: 1, W: ws(8, 7)}},
			},
			{
				Slots: refs(1, 0, 1, 1, 0, 4),
				Blocks: []chip.Block{
					{Projection: 0, Row0: 0, Rows: 2, Col0: 0, Cols: 4, Plastic: true, W: ws(8, 1)},
					{Projection: 0, Row0: 0, Rows: 2, Col0: 4, Cols: 2, CrossbarRow: 2, Plastic: true, W: ws(4, 2)},
				},
			},
			{
				Slots: refs(1, 2, 1, 3, 0, 5),
				Blocks: []chip.Block{
					{Projection: 0, Row0: 2, Rows: 2, Col0: 0, Cols: 4, Plastic: true, W: ws(8, 3)},
					{Projection: 0, Row0: 2, Rows: 2, Col0: 4, Cols: 2, CrossbarRow: 2, CrossbarCol: 2, Plastic: true, W: ws(4, 4)},
				},
			},
			{
				Slots: refs(2, 1, 2, 0),
				Blocks: []chip.Block{
					{Projection: 1, Row0: 0, Rows: 2, Col0: 0, Cols: 4, Plastic: true, W: ws(8, 5)},
					{Projection: 2, Row0: 0, Rows: 2, Col0: 0, Cols: 4, CrossbarRow: 2, Plastic: true, W: ws(8, 6)},
				},
			},
		},
		Loss: chip.Loss{Kind: chip.LossCrossEntropy, Beta: chip.Reg{Raw: 1 << 14, Exp: -2}},
		Learning: chip.Learning{
			Optimizer: chip.OptAdam,
			Weights:   chip.ParamLearning{On: true, LR: chip.Reg{Raw: 1 << 15, Exp: -10}, Eps: chip.Reg{Raw: 1 << 15, Exp: -26}},
			Biases:    chip.ParamLearning{On: true, LR: chip.Reg{Raw: 3 << 13, Exp: -12}, Eps: chip.Reg{Raw: 1 << 15, Exp: -26}},
			TauM:      chip.ParamLearning{On: true, LR: chip.Reg{Raw: 1 << 14, Exp: -14}, Eps: chip.Reg{Raw: 1, Exp: -3}},
			Beta1:     1932735283, // 0.9 in UQ1.31
			Beta2:     2145336164, // 0.999 in UQ1.31
			TauMMin:   1 << 16,
		},
	}
	if err := p.DeriveRoutes(); err != nil {
		panic(err)
	}
	return p
}

// refs pairs up population and neuron indices into slots.
func refs(pn ...int) []chip.NeuronRef {
	var r []chip.NeuronRef
	for i := 0; i < len(pn); i += 2 {
		r = append(r, chip.NeuronRef{Population: pn[i], Neuron: pn[i+1]})
	}
	return r
}

// activations lists the φ units.
var activations = []fixedpoint.Func{fixedpoint.Identity, fixedpoint.ReLU, fixedpoint.Tanh, fixedpoint.Sigmoid,
	fixedpoint.HardSigmoid, fixedpoint.HardTanh, fixedpoint.Softplus}

// randomProgram returns a random valid program drawn from rng: a small mesh, formats
// whose packed widths vary, input, hidden and output populations placed at random,
// projections (chained, recurrent, skipping) split into blocks at random crossbar
// positions, and random registers. Every field of chip.Program takes non-zero values in
// some programs (TestEveryFieldCovered checks it).
func randomProgram(t testing.TB, rng *rand.Rand) *chip.Program {
	t.Helper()
	for range 1000 {
		if p := tryRandomProgram(rng); p != nil {
			if err := p.Validate(); err != nil {
				t.Fatalf("randomProgram built an invalid program: %v", err)
			}
			return p
		}
	}
	t.Fatal("randomProgram: no placement found in 1000 tries")
	return nil
}

func setFormat(tab fixedpoint.Table, name string, f fixedpoint.Format) {
	for i := range tab {
		if tab[i].Name == name {
			tab[i].Format = f
		}
	}
}

func tryRandomProgram(rng *rand.Rand) *chip.Program {
	in := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	in64 := func(lo, hi int64) int64 { return lo + rng.Int64N(hi-lo+1) }
	cfg := chip.DefaultConfig()
	cfg.Rows, cfg.Cols = in(1, 3), in(1, 3)
	cfg.NeuronsPerTile, cfg.InputsPerNeuron = in(2, 12), in(2, 12)
	cfg.MaxContexts = in(1, 300)
	if rng.IntN(2) == 0 {
		cfg.LUTSegments = 1 << in(1, 20)
	}
	cfg.MACUnits, cfg.NeuronCycles, cfg.DividerCycles, cfg.LinkBits = in(1, 1<<20), in(1, 64), in(1, 64), in(1, 512)
	cfg.ClockHz = 1 + rng.Float64()*1e9
	if cfg.MACUnits%2 == 0 { // half the programs, without another draw
		cfg.ErrorBus = chip.ErrorBusStatic
	}
	e := &cfg.Energy
	for _, f := range []*float64{&e.PJPerMAC, &e.PJPerSRAMRead, &e.PJPerSRAMWrite, &e.PJPerHop, &e.PJPerNeuronUpdate, &e.PJPerDivide} {
		*f = rng.Float64() * 10
	}
	if rng.IntN(2) == 0 {
		a := &cfg.Analog
		a.Seed = rng.Uint64()
		a.TauMSigma, a.TauRSigma, a.GainSigma = rng.Float64()/4, rng.Float64()/4, rng.Float64()/4
		a.OffsetSigma, a.WeightWriteSigma, a.UNoiseSigma = rng.Float64(), rng.Float64()*3, rng.Float64()
		if rng.IntN(2) == 0 {
			a.WeightBits = in(2, 16)
		}
	}
	// Formats: vary the widths that set the packed value sizes.
	wm := []fixedpoint.Format{fixedpoint.Q(2, 13), fixedpoint.Q(2, 21), fixedpoint.Q(2, 29), fixedpoint.Q(2, 37), fixedpoint.Q(2, 45)}[rng.IntN(5)]
	bf := []fixedpoint.Format{fixedpoint.Q(7, 8), fixedpoint.Q(7, 16), fixedpoint.Q(7, 24)}[rng.IntN(3)]
	tf := []fixedpoint.Format{fixedpoint.UQ(8, 8), fixedpoint.UQ(8, 16), fixedpoint.UQ(8, 18)}[rng.IntN(3)]
	setFormat(cfg.Formats, "w_mem", wm)
	setFormat(cfg.Formats, "b", bf)
	setFormat(cfg.Formats, "tau_m", tf)
	if rng.IntN(3) == 0 {
		cfg.Formats[rng.IntN(len(cfg.Formats))].Doc = "changed: ünïcode ✓"
	}
	if rng.IntN(3) == 0 {
		rng.Shuffle(len(cfg.Formats), func(i, j int) { cfg.Formats[i], cfg.Formats[j] = cfg.Formats[j], cfg.Formats[i] })
	}
	tauOne := int64(1) << tf.Frac
	fmtOf := func(name string) fixedpoint.Format { v, _ := cfg.Formats.Lookup(name); return v.Format }
	between := func(f fixedpoint.Format) int64 {
		switch rng.IntN(8) {
		case 0:
			return f.Min()
		case 1:
			return f.Max()
		}
		return in64(f.Min(), f.Max())
	}
	reg := func(format string, elo, ehi int) chip.Reg {
		return chip.Reg{Raw: between(fmtOf(format)), Exp: in(elo, ehi)}
	}

	p := &chip.Program{Config: cfg, Seed: rng.Uint64(), Dt: 0.001 + rng.Float64(), Errors: chip.ErrorMode(rng.IntN(2))}
	p.Contexts = in(1, cfg.MaxContexts)
	if rng.IntN(4) != 0 {
		p.Name = fmt.Sprintf("random-%d-π", rng.IntN(1000))
	}

	// Populations: one input, up to two hidden, one output.
	slots := cfg.Tiles() * cfg.NeuronsPerTile
	nHidden := in(0, 2)
	names := []string{"x"}
	roles := []chip.Role{chip.RoleInput}
	for h := range nHidden {
		names = append(names, fmt.Sprintf("h%d", h))
		roles = append(roles, chip.RoleHidden)
	}
	names = append(names, "y")
	roles = append(roles, chip.RoleOutput)
	maxSize := max(1, min(6, slots/len(names)))
	for i, name := range names {
		q := chip.Population{Name: name, Size: in(1, maxSize), Role: roles[i],
			Activation: activations[rng.IntN(len(activations))], Gamma: reg("gamma", -4, 4),
			RateExp: in(-3, 3), StateExp: in(-3, 3), ErrorExp: in(-3, 3), BiasGradExp: in(-6, 6), TauGradExp: in(-6, 6)}
		if q.Role != chip.RoleInput {
			q.TauM, q.TauR = make([]int64, q.Size), make([]int64, q.Size)
			for k := range q.Size {
				q.TauM[k] = in64(tauOne, 8*tauOne)
				q.TauR[k] = in64(tauOne, q.TauM[k])
			}
			if rng.IntN(2) == 0 {
				q.Bias = true
				q.B = make([]int64, q.Size)
				for k := range q.B {
					q.B[k] = between(bf)
				}
			}
		} else if rng.IntN(2) == 0 {
			// An input's activation and γ are ignored; they still round-trip.
			q.Activation, q.Gamma = 0, chip.Reg{}
		}
		p.Populations = append(p.Populations, q)
	}
	nPop := len(p.Populations)
	out := nPop - 1
	p.Loss = chip.Loss{Kind: chip.LossKind(rng.IntN(3)), Beta: reg("beta", -8, 0)}

	// Projections: the chain, maybe a recurrent one, maybe a skip from the input.
	proj := func(s, t int) {
		p.Projections = append(p.Projections, chip.Projection{Source: s, Target: t, WeightExp: in(-3, 3), GradExp: in(-6, 6)})
	}
	for q := 1; q < nPop; q++ {
		proj(q-1, q)
	}
	if rng.IntN(2) == 0 {
		q := in(1, nPop-1)
		proj(q, q)
	}
	if nPop > 2 && rng.IntN(2) == 0 {
		proj(0, out)
	}
	rng.Shuffle(len(p.Projections), func(i, j int) { p.Projections[i], p.Projections[j] = p.Projections[j], p.Projections[i] })

	// Placement: every neuron in a random free slot; cross-entropy keeps the output
	// neurons on one tile.
	nt := cfg.Tiles()
	p.Tiles = make([]chip.Tile, nt)
	free := func(t int) bool { return len(p.Tiles[t].Slots) < cfg.NeuronsPerTile }
	var refs []chip.NeuronRef
	for qi, q := range p.Populations {
		for i := range q.Size {
			refs = append(refs, chip.NeuronRef{Population: qi, Neuron: i})
		}
	}
	if len(refs) > slots {
		return nil
	}
	rng.Shuffle(len(refs), func(i, j int) { refs[i], refs[j] = refs[j], refs[i] })
	if p.Loss.Kind == chip.LossCrossEntropy {
		if p.Populations[out].Size > cfg.NeuronsPerTile {
			return nil
		}
		t := rng.IntN(nt)
		for i := range p.Populations[out].Size {
			p.Tiles[t].Slots = append(p.Tiles[t].Slots, chip.NeuronRef{Population: out, Neuron: i})
		}
	}
	for _, ref := range refs {
		if p.Loss.Kind == chip.LossCrossEntropy && ref.Population == out {
			continue
		}
		t := rng.IntN(nt)
		for !free(t) {
			t = (t + 1) % nt
		}
		p.Tiles[t].Slots = append(p.Tiles[t].Slots, ref)
	}

	// Blocks: split each projection into random rectangles placed at random free
	// crossbar positions.
	used := make([][]bool, nt) // used[t][row*F+col]
	for t := range used {
		used[t] = make([]bool, cfg.NeuronsPerTile*cfg.InputsPerNeuron)
	}
	wf := wm
	place := func(pi, r0, rows, c0, cols int) bool {
		for _, t := range rng.Perm(nt) {
			for _, pos := range rng.Perm((cfg.NeuronsPerTile - rows + 1) * (cfg.InputsPerNeuron - cols + 1)) {
				xr, xc := pos/(cfg.InputsPerNeuron-cols+1), pos%(cfg.InputsPerNeuron-cols+1)
				ok := true
				for r := xr; r < xr+rows && ok; r++ {
					for c := xc; c < xc+cols; c++ {
						if used[t][r*cfg.InputsPerNeuron+c] {
							ok = false
							break
						}
					}
				}
				if !ok {
					continue
				}
				for r := xr; r < xr+rows; r++ {
					for c := xc; c < xc+cols; c++ {
						used[t][r*cfg.InputsPerNeuron+c] = true
					}
				}
				b := chip.Block{Projection: pi, Row0: r0, Rows: rows, Col0: c0, Cols: cols, CrossbarRow: xr, CrossbarCol: xc,
					Plastic: rng.IntN(3) != 0, W: make([]int64, rows*cols)}
				for k := range b.W {
					b.W[k] = between(wf)
				}
				p.Tiles[t].Blocks = append(p.Tiles[t].Blocks, b)
				return true
			}
		}
		return false
	}
	for pi, pr := range p.Projections {
		rows, cols := p.Populations[pr.Target].Size, p.Populations[pr.Source].Size
		for r0 := 0; r0 < rows; {
			nr := in(1, min(rows-r0, cfg.NeuronsPerTile))
			for c0 := 0; c0 < cols; {
				nc := in(1, min(cols-c0, cfg.InputsPerNeuron))
				if !place(pi, r0, nr, c0, nc) {
					return nil
				}
				c0 += nc
			}
			r0 += nr
		}
	}
	for t := range p.Tiles {
		b := p.Tiles[t].Blocks
		rng.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
	}
	if err := p.DeriveRoutes(); err != nil {
		if p.Config.ErrorBus != chip.ErrorBusBlock {
			panic(err)
		}
		// Scales too far apart for the block error bus's drift: the static bus
		// takes them.
		p.Config.ErrorBus = chip.ErrorBusStatic
		if err := p.DeriveRoutes(); err != nil {
			panic(err)
		}
	}
	for t := range p.Tiles {
		r := p.Tiles[t].Routes
		rng.Shuffle(len(r), func(i, j int) { r[i], r[j] = r[j], r[i] })
		// The field a route's kind ignores round-trips too.
		for i := range r {
			if rng.IntN(4) == 0 {
				if r[i].Kind == chip.RouteRate || r[i].Kind == chip.RouteError {
					r[i].Projection = in(-5, 5)
				} else {
					r[i].Population = in(-5, 5)
				}
			}
		}
	}

	l := &p.Learning
	l.Optimizer = chip.OptimizerKind(rng.IntN(3))
	for _, pl := range []*chip.ParamLearning{&l.Weights, &l.Biases, &l.TauM} {
		pl.On = rng.IntN(2) == 0
		pl.LR = reg("lr", -24, 0)
		pl.Eps = reg("adam_eps", -30, 0)
	}
	decay := fmtOf("decay")
	l.Momentum, l.Beta1, l.Beta2 = in64(0, 1<<decay.Frac-1), in64(0, 1<<decay.Frac-1), in64(0, 1<<decay.Frac-1)
	if l.TauM.On || rng.IntN(2) == 0 {
		l.TauMMin = in64(tauOne, 2*tauOne)
	}
	if p.Validate() != nil {
		return nil
	}
	return p
}

// bigProgram fills a rows×cols mesh of n×n tiles: an input population of n neurons on
// tile 0 and a chain of hidden populations, one per tile, each fed by a full n×n block
// from the previous one. 4×4 tiles of 256 gives 15 blocks, 983,040 weights.
func bigProgram(rows, cols, n int) *chip.Program {
	cfg := fixtureConfig(rows, cols, n, n, 256)
	p := &chip.Program{Name: "big", Config: cfg, Seed: 1, Dt: 1, Contexts: 1}
	rng := rand.New(rand.NewPCG(1, 2))
	p.Tiles = make([]chip.Tile, rows*cols)
	for t := range p.Tiles {
		q := chip.Population{Name: fmt.Sprintf("p%d", t), Size: n, Role: chip.RoleHidden, Activation: fixedpoint.Tanh,
			Gamma: chip.Reg{Raw: 1 << 12}, Bias: true}
		switch t {
		case 0:
			q.Role, q.Activation, q.Gamma, q.Bias = chip.RoleInput, 0, chip.Reg{}, false
		case len(p.Tiles) - 1:
			q.Role = chip.RoleOutput
		}
		if q.Role != chip.RoleInput {
			q.TauM, q.TauR, q.B = make([]int64, n), make([]int64, n), make([]int64, n)
			for i := range n {
				q.TauM[i], q.TauR[i], q.B[i] = 4<<16+int64(i), 1<<16, rng.Int64N(1<<24)-1<<23
			}
		}
		p.Populations = append(p.Populations, q)
		for i := range n {
			p.Tiles[t].Slots = append(p.Tiles[t].Slots, chip.NeuronRef{Population: t, Neuron: i})
		}
		if t > 0 {
			p.Projections = append(p.Projections, chip.Projection{Source: t - 1, Target: t})
			w := make([]int64, n*n)
			for i := range w {
				w[i] = rng.Int64N(1<<30) - 1<<29
			}
			p.Tiles[t].Blocks = []chip.Block{{Projection: t - 1, Rows: n, Cols: n, Plastic: true, W: w}}
		}
	}
	p.Loss = chip.Loss{Kind: chip.LossMSE, Beta: chip.Reg{Raw: 1 << 15}}
	if err := p.DeriveRoutes(); err != nil {
		panic(err)
	}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return p
}

// firstDiff describes the first place where a and b differ ("" if they are deeply
// equal), for readable round-trip failures.
func firstDiff(a, b any) string {
	return diffValue("Program", reflect.ValueOf(a), reflect.ValueOf(b))
}

func diffValue(path string, a, b reflect.Value) string {
	if a.Kind() != b.Kind() {
		return path + ": kinds differ"
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return path + ": nil vs non-nil"
			}
			return ""
		}
		return diffValue(path, a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if d := diffValue(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: nil %v vs nil %v (len %d, %d)", path, a.IsNil(), b.IsNil(), a.Len(), b.Len())
		}
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: len %d vs %d", path, a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := diffValue(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf("%s: %v vs %v", path, a.Interface(), b.Interface())
	}
	return ""
}
