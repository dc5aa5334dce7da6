package compiler

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/network"
)

// Options configure a compilation. The zero value compiles for chip.DefaultConfig with
// one context.
type Options struct {
	// Config is the chip to compile for; a zero Config (no mesh) means
	// chip.DefaultConfig().
	Config chip.Config
	// Contexts is the number of contexts C the program runs (default 1).
	Contexts int
	// Params are the parameters to compile (a trained network's); nil draws them with
	// network.InitParams.
	Params *network.Params
	// Samples, if set, are inputs (and optionally targets) of a short run of the float
	// reference whose measured ranges choose the scale registers.
	Samples *Samples
	// Seed keys the placement's annealing; a seed gives one placement.
	Seed uint64
	// AnnealMoves is the number of annealing moves: 0 chooses 2000 per group (at most
	// 200 000), a negative number switches annealing off.
	AnnealMoves int
	// StepRate, if positive, is the step rate (steps per second) the program must reach:
	// a link or tile too slow for it is a GLE014 error.
	StepRate float64
}

// Samples are the inputs (steps × input width, one context) and optionally targets
// (steps × output width) of the ranging run.
type Samples struct {
	Inputs, Targets [][]float64
}

// Result is a compiled network.
type Result struct {
	// Program is what gets loaded onto the chip (chip.New) or encoded (chip/image).
	Program *chip.Program
	// Manifest says what went where, with the formats and scales chosen.
	Manifest *Manifest
	// Report holds the figures a chip designer reads: tiles, utilisation, SQNR, links,
	// placement, cost.
	Report *Report
	// Findings are the warnings of the design rules (errors stop Compile with a
	// *CheckError).
	Findings []Finding
}

// plan is one compilation's working state.
type plan struct {
	net     *network.Network
	cfg     chip.Config
	opt     Options
	params  *network.Params
	masks   [][]bool
	prog    *chip.Program
	fs      findings
	bounds  []bounds
	pbounds []projBounds
	groups  []*group
}

func (pl *plan) contexts() int { return max(1, pl.opt.Contexts) }

// Check runs every design rule on n for the chip of opts and returns all findings,
// errors and warnings, in rule order. Rules that need a mapping (fan-in, tiles, pins,
// saturation, links) run when the graph itself is valid.
func Check(n *network.Network, opts Options) []Finding {
	res, err := Compile(n, opts)
	var ce *CheckError
	switch {
	case errors.As(err, &ce):
		return ce.Findings
	case err != nil:
		return []Finding{{Rule: "GLE001", Severity: Error, Message: strings.TrimPrefix(err.Error(), "compiler: ")}}
	}
	return res.Findings
}

// Compile maps n onto the chip of opts: it runs the design rules, chooses the scale
// registers, partitions, places and routes, and returns the program with its manifest
// and report. When a design rule fails it returns a *CheckError holding every finding.
func Compile(n *network.Network, opts Options) (*Result, error) {
	if n == nil {
		return nil, errors.New("compiler: no network; load one with network.Load")
	}
	pl := &plan{net: n, opt: opts, cfg: opts.Config}
	if pl.cfg.Rows == 0 && pl.cfg.Cols == 0 {
		pl.cfg = chip.DefaultConfig()
	}
	if err := pl.cfg.Validate(); err != nil {
		return nil, fmt.Errorf("compiler: %w", err)
	}
	if opts.Contexts < 0 {
		return nil, fmt.Errorf("compiler: %d contexts; run at least 1", opts.Contexts)
	}
	networkFindings(n, &pl.fs)
	valid := !pl.fs.hasErrors()
	if valid && opts.Params != nil {
		// The parameters' time constants (learned τm, drawn τm) are the ones the chip
		// runs, not the file's: every rule and register below sees them.
		if err := n.CheckParams(opts.Params); err != nil {
			return nil, fmt.Errorf("compiler: %w", err)
		}
		n = withParamTaus(n, opts.Params)
		pl.net = n
	}
	pl.checkContexts()
	pl.checkTaus()
	pl.checkPins()
	pl.checkHints()
	if !valid {
		return nil, &CheckError{Findings: sortFindings(pl.fs)}
	}
	pl.params = opts.Params
	if pl.params == nil {
		var err error
		if pl.params, err = n.InitParams(); err != nil {
			return nil, fmt.Errorf("compiler: %w", err)
		}
	} else if err := n.CheckParams(pl.params); err != nil {
		return nil, fmt.Errorf("compiler: %w", err)
	}
	pl.masks = make([][]bool, len(n.Projections))
	for p := range n.Projections {
		pl.masks[p] = n.MaskOf(p)
	}
	pl.checkSoftmax()
	pl.checkFanIn()
	its, err := pl.items()
	if err != nil {
		return nil, err
	}
	pl.groups = pl.pack(its)
	pl.checkTiles()
	pl.lower()
	if err := pl.quantize(); err != nil {
		return nil, err
	}
	if pl.fs.hasErrors() {
		return nil, &CheckError{Findings: sortFindings(pl.fs)}
	}

	adj, _ := pl.trafficGraph(pl.groups)
	moves := opts.AnnealMoves
	if moves == 0 {
		moves = min(200000, 2000*len(pl.groups))
	}
	pm, pst := place(pl.groups, adj, pl.cfg.Rows, pl.cfg.Cols, opts.Seed, moves)
	blockStats, err := pl.buildTiles(pm)
	if err != nil {
		return nil, err
	}
	if err := pl.prog.DeriveRoutes(); err != nil {
		return nil, fmt.Errorf("compiler: internal error, please report: %w", err)
	}
	if err := pl.prog.Validate(); err != nil {
		return nil, fmt.Errorf("compiler: internal error, please report: %w", err)
	}
	links := linkLoads(pl.prog, pl.contexts())
	rep := pl.report(pm, pst, links, blockStats)
	if rep.Cost, err = costOf(pl.prog); err != nil {
		return nil, err
	}
	run, err := pl.runSQNR()
	if err != nil {
		return nil, err
	}
	for q := range rep.Layers {
		if !math.IsNaN(run[q]) {
			rep.Layers[q].RunSQNR = dBValue(run[q])
		}
	}
	pl.checkLinks(rep)
	if pl.fs.hasErrors() {
		return nil, &CheckError{Findings: sortFindings(pl.fs)}
	}
	fs := sortFindings(pl.fs)
	rep.Findings = fs
	return &Result{Program: pl.prog, Manifest: pl.manifest(pm), Report: rep, Findings: fs}, nil
}

// sortFindings orders findings by rule, keeping each rule's own order.
func sortFindings(fs findings) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, r := range rules {
		for _, f := range fs {
			if f.Rule == r.ID {
				out = append(out, f)
			}
		}
	}
	return out
}

// activationFunc maps a network activation to the chip's φ unit.
func activationFunc(name string) fixedpoint.Func {
	switch network.CanonicalActivation(name) {
	case "relu":
		return fixedpoint.ReLU
	case "tanh":
		return fixedpoint.Tanh
	case "sigmoid":
		return fixedpoint.Sigmoid
	case "softplus":
		return fixedpoint.Softplus
	case "hard_sigmoid":
		return fixedpoint.HardSigmoid
	case "hard_tanh":
		return fixedpoint.HardTanh
	}
	return fixedpoint.Identity
}

// lower fills the program's populations, projections, loss and learning registers.
func (pl *plan) lower() {
	n := pl.net
	prog := &chip.Program{
		Name: n.Name, Config: pl.cfg, Seed: n.Seed, Dt: n.Dt, Contexts: pl.contexts(),
		Tiles: make([]chip.Tile, pl.cfg.Tiles()),
	}
	if n.Errors == network.ErrorsInstantaneous {
		prog.Errors = chip.ErrorsInstantaneous
	}
	tau := pl.format("tau_m")
	for _, q := range n.Populations {
		pp := chip.Population{Name: q.Name, Size: q.Size, Role: chip.RoleHidden}
		switch {
		case q.Input:
			pp.Role = chip.RoleInput
		case q.Output:
			pp.Role = chip.RoleOutput
		}
		if !q.Input {
			pp.Activation = activationFunc(q.Activation)
			pp.Bias = q.Bias
			g, ok := pl.reg(q.Gamma, "gamma")
			if !ok {
				pl.fs.errorf("registers", "lower γ or widen the gamma format", "population %q: γ = %g is not representable in the gamma register (%s, exponents ±%d)", q.Name, q.Gamma, pl.format("gamma"), chip.MaxExp)
			}
			pp.Gamma = g
			pp.TauM = make([]int64, q.Size)
			pp.TauR = make([]int64, q.Size)
			for i := range q.Size {
				pp.TauM[i] = tau.FromFloat(q.TauM[i] / n.Dt)
				pp.TauR[i] = tau.FromFloat(q.TauR[i] / n.Dt)
			}
		}
		prog.Populations = append(prog.Populations, pp)
	}
	for p := range n.Projections {
		s, t := n.Endpoints(p)
		prog.Projections = append(prog.Projections, chip.Projection{Source: s, Target: t})
	}
	switch n.Loss.Kind {
	case network.LossMSE:
		prog.Loss.Kind = chip.LossMSE
	case network.LossCrossEntropy:
		prog.Loss.Kind = chip.LossCrossEntropy
	}
	beta, ok := pl.reg(n.Loss.Beta, "beta")
	if !ok {
		pl.fs.errorf("registers", "choose β within the beta register's range", "β = %g is not representable in the beta register (%s, exponents ±%d)", n.Loss.Beta, pl.format("beta"), chip.MaxExp)
	}
	prog.Loss.Beta = beta
	pl.prog = prog
	pl.lowerLearning()
}

func (pl *plan) lowerLearning() {
	n := pl.net
	l := &n.Learning
	cl := &pl.prog.Learning
	switch l.Optimizer.Kind {
	case network.OptimizerMomentum:
		cl.Optimizer = chip.OptMomentum
	case network.OptimizerAdam:
		cl.Optimizer = chip.OptAdam
	}
	o := l.Optimizer
	dt := n.Dt
	tauLR := o.LR / (dt * dt)
	if o.Kind == network.OptimizerAdam {
		tauLR = o.LR / dt
	}
	for _, k := range []struct {
		name   string
		on     bool
		lr     float64
		eps    float64
		target *chip.ParamLearning
	}{
		{"weights", l.Weights, o.LR, o.Eps, &cl.Weights},
		{"biases", l.Biases, o.LR, o.Eps, &cl.Biases},
		{"τm", l.TauM, tauLR, dt * o.Eps, &cl.TauM},
	} {
		k.target.On = k.on
		if !k.on {
			continue
		}
		lr, ok := pl.reg(k.lr, "lr")
		if !ok {
			pl.fs.errorf("registers", "raise the learning rate or widen the lr register", "learning rate of %s %g is not representable in the lr register (%s, exponents ±%d)", k.name, k.lr, pl.format("lr"), chip.MaxExp)
		}
		k.target.LR = lr
		if o.Kind == network.OptimizerAdam {
			eps, ok := pl.reg(k.eps, "adam_eps")
			if !ok {
				pl.fs.errorf("registers", "raise eps or widen the adam_eps register", "Adam ε of %s %g is not representable in the adam_eps register (%s, exponents ±%d)", k.name, k.eps, pl.format("adam_eps"), chip.MaxExp)
			}
			k.target.Eps = eps
		}
	}
	decay := pl.format("decay")
	if o.Kind == network.OptimizerMomentum {
		cl.Momentum = decay.FromFloat(o.Momentum)
	}
	if o.Kind == network.OptimizerAdam {
		cl.Beta1, cl.Beta2 = decay.FromFloat(o.Beta1), decay.FromFloat(o.Beta2)
		for _, d := range []struct {
			name string
			v    float64
			raw  int64
		}{{"β1", o.Beta1, cl.Beta1}, {"β2", o.Beta2, cl.Beta2}} {
			if q := decay.ToFloat(d.raw); d.v > 0 && math.Abs(q-d.v) > 1e-6*d.v {
				pl.fs.warnf("registers", "widen the decay format", "Adam %s = %g is held as %g in the decay register (%s)", d.name, d.v, q, decay)
			}
		}
	}
	if l.TauM {
		tau := pl.format("tau_m")
		cl.TauMMin = max(tau.FromFloat(l.TauMMin/dt), int64(1)<<tau.Frac)
	}
}

// quantize bounds the network's values, chooses the scale registers, checks
// saturation and converts the biases.
func (pl *plan) quantize() error {
	var err error
	if pl.bounds, pl.pbounds, err = pl.measureBounds(); err != nil {
		return err
	}
	pl.chooseScales(pl.bounds)
	pl.checkSaturation()
	bf := pl.format("b")
	for q, pop := range pl.net.Populations {
		pp := &pl.prog.Populations[q]
		if !pop.Bias || pop.Input {
			continue
		}
		pp.B = make([]int64, pop.Size)
		sat := 0
		for i, b := range pl.params.Biases[q] {
			raw, s := toRaw(b, bf, pp.StateExp)
			pp.B[i] = raw
			if s {
				sat++
			}
		}
		if sat > 0 {
			pl.fs.warnf("saturation", "lower the population's state_exp hint or let the compiler choose it", "population %q: %d biases saturate the b format (%s) at StateExp %d", pop.Name, sat, bf, pp.StateExp)
		}
	}
	return nil
}

// withParamTaus returns a shallow copy of n whose populations carry the time constants
// of params (n and params are valid and agree in shape).
func withParamTaus(n *network.Network, params *network.Params) *network.Network {
	out := *n
	out.Populations = append([]network.Population(nil), n.Populations...)
	for q := range out.Populations {
		p := &out.Populations[q]
		if p.Input || q >= len(params.TauM) || q >= len(params.TauR) {
			continue
		}
		if len(params.TauM[q]) == p.Size {
			p.TauM = append([]float64(nil), params.TauM[q]...)
		}
		if len(params.TauR[q]) == p.Size {
			p.TauR = append([]float64(nil), params.TauR[q]...)
		}
	}
	return &out
}
