package chiptest

import (
	"fmt"
	"math"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/network"
)

// Options place and quantize a network.
type Options struct {
	// Config is the chip to map onto; the zero value means chip.DefaultConfig() with a
	// mesh just large enough (a row of tiles, up to 16 columns per row).
	Config *chip.Config
	// Contexts is the number of contexts (0 means 1).
	Contexts int
	// Seed keys the stochastic rounding (0 means the network's seed).
	Seed uint64
	// MaxNeurons limits the neurons of one population on one tile (0: the tile size).
	MaxNeurons int
	// MaxCols limits the columns of one block (0: the tile's inputs per neuron).
	MaxCols int
	// TileOrder lists the tiles in the order the mapper fills them (nil: 0, 1, 2, …).
	TileOrder []int
	// Scale registers. A nil map entry uses Map's heuristic (see Scales).
	RateExp, StateExp, ErrorExp map[string]int
	WeightExp                   map[int]int
}

// Scales reports the scale registers Map chose for a network; see Map.
type Scales struct {
	RateExp, StateExp, ErrorExp []int // per population
	WeightExp, GradExp          []int // per projection
}

// Map builds a Program for net with parameters params (nil: net.InitParams()).
//
// Heuristic scale registers: RateExp 0 (rates within ±8); StateExp 0; ErrorExp
// ⌈log2(β·2·max τm/τr)⌉ − 4, so that e* = β(y − r) amplified by the prospective ratio
// fits err_bus's ±16·2^ErrorExp, shared by every population; WeightExp
// ⌈log2(16·max |w|)⌉ − 2, at most 0, so that weights may grow sixteenfold (trained
// MNIST-1D weights outgrow eightfold); gradient
// exponents ErrorExp(target) + RateExp(source) (weights), ErrorExp (biases),
// ErrorExp + StateExp (τm).
func Map(net *network.Network, params *network.Params, opt Options) (*chip.Program, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	if params == nil {
		var err error
		if params, err = net.InitParams(); err != nil {
			return nil, err
		}
	}
	if err := net.CheckParams(params); err != nil {
		return nil, err
	}
	cfg := chip.DefaultConfig()
	auto := opt.Config == nil
	if !auto {
		cfg = *opt.Config
		cfg.Formats = append(fixedpoint.Table(nil), cfg.Formats...)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	get := func(name string) fixedpoint.Var { v, _ := cfg.Formats.Lookup(name); return v }
	C := max(opt.Contexts, 1)
	p := &chip.Program{Name: net.Name, Seed: opt.Seed, Dt: net.Dt, Contexts: C}
	if p.Seed == 0 {
		p.Seed = net.Seed
	}
	if net.Errors == network.ErrorsInstantaneous {
		p.Errors = chip.ErrorsInstantaneous
	}
	sc := chooseScales(net, params, opt)

	// Populations.
	tau := get("tau_m")
	for qi, q := range net.Populations {
		cp := chip.Population{Name: q.Name, Size: q.Size, RateExp: sc.RateExp[qi], StateExp: sc.StateExp[qi], ErrorExp: sc.ErrorExp[qi]}
		switch {
		case q.Input:
			cp.Role = chip.RoleInput
		case q.Output:
			cp.Role = chip.RoleOutput
		}
		if !q.Input {
			a, err := activation(q.Activation)
			if err != nil {
				return nil, err
			}
			cp.Activation = a
			if cp.Gamma, err = chip.MakeReg(q.Gamma, get("gamma")); err != nil {
				return nil, fmt.Errorf("chiptest: population %q: %v", q.Name, err)
			}
			cp.BiasGradExp = cp.ErrorExp
			cp.TauGradExp = cp.ErrorExp + cp.StateExp
			for i := range q.Size {
				tm, err := quantize(params.TauM[qi][i]/net.Dt, tau.Format.Frac, tau.Format, "τm/dt")
				if err != nil {
					return nil, fmt.Errorf("chiptest: population %q neuron %d: %v", q.Name, i, err)
				}
				tr, err := quantize(params.TauR[qi][i]/net.Dt, tau.Format.Frac, tau.Format, "τr/dt")
				if err != nil {
					return nil, fmt.Errorf("chiptest: population %q neuron %d: %v", q.Name, i, err)
				}
				cp.TauM, cp.TauR = append(cp.TauM, tm), append(cp.TauR, tr)
			}
			if q.Bias {
				cp.Bias = true
				bf := get("b")
				for i, x := range params.Biases[qi] {
					raw, err := quantize(x, bf.Format.Frac-cp.StateExp, bf.Format, "bias")
					if err != nil {
						return nil, fmt.Errorf("chiptest: population %q neuron %d: %v", q.Name, i, err)
					}
					cp.B = append(cp.B, raw)
				}
			}
		}
		p.Populations = append(p.Populations, cp)
	}
	for pi := range net.Projections {
		s, t := net.Endpoints(pi)
		p.Projections = append(p.Projections, chip.Projection{Source: s, Target: t, WeightExp: sc.WeightExp[pi], GradExp: sc.GradExp[pi]})
	}

	// Placement.
	if err := place(p, net, params, &cfg, opt, auto); err != nil {
		return nil, err
	}
	p.Config = cfg

	// Loss and learning.
	var err error
	switch net.Loss.Kind {
	case network.LossMSE:
		p.Loss.Kind = chip.LossMSE
	case network.LossCrossEntropy:
		p.Loss.Kind = chip.LossCrossEntropy
	}
	if p.Loss.Beta, err = chip.MakeReg(net.Loss.Beta, get("beta")); err != nil {
		return nil, fmt.Errorf("chiptest: β: %v", err)
	}
	if err := learning(p, net, &cfg); err != nil {
		return nil, err
	}
	if err := p.DeriveRoutes(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// quantize rounds x·2^frac half-even into format f, or says why it does not fit.
func quantize(x float64, frac int, f fixedpoint.Format, what string) (int64, error) {
	raw := math.RoundToEven(math.Ldexp(x, frac))
	if math.IsNaN(raw) || raw < float64(f.Min()) || raw > float64(f.Max()) {
		return 0, fmt.Errorf("%s %g does not fit %s under its scale (raw %g, range %d…%d)", what, x, f, raw, f.Min(), f.Max())
	}
	return int64(raw), nil
}

func activation(name string) (fixedpoint.Func, error) {
	switch network.CanonicalActivation(name) {
	case "identity":
		return fixedpoint.Identity, nil
	case "relu":
		return fixedpoint.ReLU, nil
	case "tanh":
		return fixedpoint.Tanh, nil
	case "sigmoid":
		return fixedpoint.Sigmoid, nil
	case "softplus":
		return fixedpoint.Softplus, nil
	case "hard_sigmoid":
		return fixedpoint.HardSigmoid, nil
	case "hard_tanh":
		return fixedpoint.HardTanh, nil
	}
	return 0, fmt.Errorf("chiptest: unknown activation %q", name)
}

func chooseScales(net *network.Network, params *network.Params, opt Options) Scales {
	n := len(net.Populations)
	sc := Scales{RateExp: make([]int, n), StateExp: make([]int, n), ErrorExp: make([]int, n)}
	ratio := 1.0
	for qi, q := range net.Populations {
		if q.Input {
			continue
		}
		for i := range q.Size {
			ratio = max(ratio, params.TauM[qi][i]/params.TauR[qi][i])
		}
	}
	beta := net.Loss.Beta
	if !(beta > 0) {
		beta = 1
	}
	eExp := int(math.Ceil(math.Log2(beta*2*ratio))) - 4
	for qi, q := range net.Populations {
		sc.ErrorExp[qi] = eExp
		if v, ok := opt.RateExp[q.Name]; ok {
			sc.RateExp[qi] = v
		}
		if v, ok := opt.StateExp[q.Name]; ok {
			sc.StateExp[qi] = v
		}
		if v, ok := opt.ErrorExp[q.Name]; ok {
			sc.ErrorExp[qi] = v
		}
	}
	for pi := range net.Projections {
		s, t := net.Endpoints(pi)
		m := 0.0
		for _, w := range params.Weights[pi] {
			m = max(m, math.Abs(w))
		}
		we := 0
		if m > 0 {
			we = min(0, int(math.Ceil(math.Log2(16*m)))-2)
		}
		if v, ok := opt.WeightExp[pi]; ok {
			we = v
		}
		sc.WeightExp = append(sc.WeightExp, we)
		sc.GradExp = append(sc.GradExp, sc.ErrorExp[t]+sc.RateExp[s])
	}
	return sc
}

// place fills p.Tiles: every population in chunks of at most MaxNeurons on tiles of its
// own, in order; every projection's blocks on its target chunks' tiles (split into
// chunks of at most MaxCols columns), overflowing onto extra tiles that hold only
// crossbar rows when a tile's crossbar is full.
func place(p *chip.Program, net *network.Network, params *network.Params, cfg *chip.Config, opt Options, auto bool) error {
	N, F := cfg.NeuronsPerTile, cfg.InputsPerNeuron
	maxN := N
	if opt.MaxNeurons > 0 {
		maxN = min(maxN, opt.MaxNeurons)
	}
	maxC := F
	if opt.MaxCols > 0 {
		maxC = min(maxC, opt.MaxCols)
	}
	type tileUse struct {
		slots   []chip.NeuronRef
		blocks  []chip.Block
		colUsed int
	}
	var tiles []*tileUse
	newTile := func() *tileUse {
		t := &tileUse{}
		tiles = append(tiles, t)
		return t
	}
	type chunk struct {
		tile   *tileUse
		lo, hi int
	}
	chunks := make([][]chunk, len(net.Populations))
	for qi, q := range net.Populations {
		for lo := 0; lo < q.Size; lo += maxN {
			hi := min(lo+maxN, q.Size)
			t := newTile()
			for i := lo; i < hi; i++ {
				t.slots = append(t.slots, chip.NeuronRef{Population: qi, Neuron: i})
			}
			chunks[qi] = append(chunks[qi], chunk{t, lo, hi})
		}
	}
	// Cross-entropy: the output populations share one tile.
	if net.Loss.Kind == network.LossCrossEntropy {
		var outs []int
		total := 0
		for qi, q := range net.Populations {
			if q.Output {
				outs = append(outs, qi)
				total += q.Size
			}
		}
		if total > N {
			return fmt.Errorf("chiptest: cross-entropy needs its %d output neurons on one tile of %d slots", total, N)
		}
		if len(outs) > 1 || len(outs) == 1 && len(chunks[outs[0]]) > 1 {
			t := chunks[outs[0]][0].tile
			t.slots = nil
			for _, qi := range outs {
				for _, ch := range chunks[qi] {
					if ch.tile != t {
						ch.tile.slots = nil
					}
				}
				for i := range net.Populations[qi].Size {
					t.slots = append(t.slots, chip.NeuronRef{Population: qi, Neuron: i})
				}
				chunks[qi] = []chunk{{t, 0, net.Populations[qi].Size}}
			}
		}
	}
	for pi := range net.Projections {
		s, tq := net.Endpoints(pi)
		src := net.Populations[s]
		w := params.Weights[pi]
		wf, _ := cfg.Formats.Lookup("w_mem")
		for _, ch := range chunks[tq] {
			for c0 := 0; c0 < src.Size; c0 += maxC {
				c1 := min(c0+maxC, src.Size)
				cols := c1 - c0
				host := ch.tile
				if host.colUsed+cols > F {
					host = nil
					for _, t := range tiles[len(tiles)-1:] {
						if len(t.slots) == 0 && t.colUsed+cols <= F {
							host = t
						}
					}
					if host == nil {
						host = newTile()
					}
				}
				b := chip.Block{Projection: pi, Row0: ch.lo, Rows: ch.hi - ch.lo, Col0: c0, Cols: cols,
					CrossbarRow: 0, CrossbarCol: host.colUsed, Plastic: net.Projections[pi].IsPlastic()}
				for i := ch.lo; i < ch.hi; i++ {
					for j := c0; j < c1; j++ {
						raw, err := quantize(w[i*src.Size+j], wf.Format.Frac-p.Projections[pi].WeightExp, wf.Format, "weight")
						if err != nil {
							return fmt.Errorf("chiptest: projection %d (%s→%s) weight (%d, %d): %v", pi, net.Projections[pi].Source, net.Projections[pi].Target, i, j, err)
						}
						b.W = append(b.W, raw)
					}
				}
				host.colUsed += cols
				host.blocks = append(host.blocks, b)
			}
		}
	}
	// Drop tiles emptied by the cross-entropy gathering.
	var used []*tileUse
	for _, t := range tiles {
		if len(t.slots) > 0 || len(t.blocks) > 0 {
			used = append(used, t)
		}
	}
	if auto {
		cfg.Cols = min(len(used), 16)
		cfg.Rows = (len(used) + cfg.Cols - 1) / cfg.Cols
	}
	n := cfg.Rows * cfg.Cols
	if len(used) > n {
		return fmt.Errorf("chiptest: the network needs %d tiles; the %d×%d mesh has %d", len(used), cfg.Rows, cfg.Cols, n)
	}
	order := opt.TileOrder
	if order == nil {
		for i := range n {
			order = append(order, i)
		}
	}
	if len(order) < len(used) {
		return fmt.Errorf("chiptest: the tile order lists %d tiles; the network needs %d", len(order), len(used))
	}
	p.Tiles = make([]chip.Tile, n)
	seen := map[int]bool{}
	for k, t := range used {
		ti := order[k]
		if ti < 0 || ti >= n || seen[ti] {
			return fmt.Errorf("chiptest: tile order entry %d (%d) is not a distinct tile of the %d×%d mesh", k, ti, cfg.Rows, cfg.Cols)
		}
		seen[ti] = true
		p.Tiles[ti] = chip.Tile{Slots: t.slots, Blocks: t.blocks}
	}
	return nil
}

func learning(p *chip.Program, net *network.Network, cfg *chip.Config) error {
	l := net.Learning
	get := func(name string) fixedpoint.Var { v, _ := cfg.Formats.Lookup(name); return v }
	cl := &p.Learning
	switch l.Optimizer.Kind {
	case network.OptimizerMomentum:
		cl.Optimizer = chip.OptMomentum
	case network.OptimizerAdam:
		cl.Optimizer = chip.OptAdam
	}
	decay := get("decay")
	d := func(x float64) int64 { return int64(math.RoundToEven(math.Ldexp(x, decay.Format.Frac))) }
	cl.Momentum, cl.Beta1, cl.Beta2 = d(l.Optimizer.Momentum), d(l.Optimizer.Beta1), d(l.Optimizer.Beta2)
	lrf, epsf := get("lr"), get("adam_eps")
	dt := net.Dt
	tauLR := l.Optimizer.LR / (dt * dt)
	if cl.Optimizer == chip.OptAdam {
		tauLR = l.Optimizer.LR / dt
	}
	for _, k := range []struct {
		pl      *chip.ParamLearning
		on      bool
		lr, eps float64
	}{{&cl.Weights, l.Weights, l.Optimizer.LR, l.Optimizer.Eps}, {&cl.Biases, l.Biases, l.Optimizer.LR, l.Optimizer.Eps},
		{&cl.TauM, l.TauM, tauLR, l.Optimizer.Eps * dt}} {
		var err error
		k.pl.On = k.on
		if k.pl.LR, err = chip.MakeReg(k.lr, lrf); err != nil {
			return fmt.Errorf("chiptest: learning rate: %v", err)
		}
		if k.pl.Eps, err = chip.MakeReg(k.eps, epsf); err != nil {
			return fmt.Errorf("chiptest: Adam ε: %v", err)
		}
	}
	tau := get("tau_m")
	tmin := l.TauMMin
	if !(tmin > 0) {
		tmin = dt
	}
	raw, err := quantize(tmin/dt, tau.Format.Frac, tau.Format, "τm clamp/dt")
	if err != nil {
		return fmt.Errorf("chiptest: %v", err)
	}
	cl.TauMMin = max(raw, int64(1)<<tau.Format.Frac)
	return nil
}
