package compiler

import (
	"fmt"
	"math"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Quantization: the compiler bounds every population's rates, states (u domain) and
// errors (e domain), and every projection's weights, partial sums and gradients, then
// picks each scale register as the smallest exponent (the finest resolution) whose
// format still holds the bound. Bounds of bounded activations (tanh, sigmoid, hard
// ones) are their range; every other bound is measured by a short run of the float
// reference (learning off) and doubled for what the run did not see. The run uses the
// sample inputs and targets given in Options.Samples; without them, 32 steps of seeded
// inputs uniform in ±1 and seeded targets (random one-hot labels held for 16 steps for
// cross-entropy, uniform ±1 for MSE), and the input populations keep the rate format's
// full range (RateExp 0). Weights that learn get two more bits of headroom. Hints in
// the network file win over all of this.

// Headroom factors applied to bounds before choosing an exponent.
const (
	// headroomMeasured covers what a short run did not see: one bit.
	headroomMeasured = 2
	// headroomLearning covers weights that grow while learning: two bits.
	headroomLearning = 4
	// rangeSteps is the length of the ranging run without samples.
	rangeSteps = 32
)

// bounds are a population's maximum magnitudes.
type bounds struct {
	rate, state, err float64 // |r|, |u| and |ŭ|, |ĕ| and |v| and |inst_e|
}

// projBounds are a projection's maximum partial sums: |W·r| per target neuron and
// |Wᵀĕ| per source neuron.
type projBounds struct{ fwd, bwd float64 }

// fmtMax returns the largest magnitude a table variable holds at exponent 0.
func fmtMax(cfg *chip.Config, name string) float64 {
	v, ok := cfg.Formats.Lookup(name)
	if !ok {
		return 1
	}
	return v.Format.MaxFloat()
}

// needExp returns the smallest exponent e with bound ≤ max·2^e (0 for a zero bound).
func needExp(bound, max float64) int {
	if !(bound > 0) || math.IsInf(bound, 0) {
		if math.IsInf(bound, 1) {
			return chip.MaxExp
		}
		return 0
	}
	e := int(math.Ceil(math.Log2(bound / max)))
	for bound > max*math.Ldexp(1, e) {
		e++
	}
	for e > -chip.MaxExp && bound <= max*math.Ldexp(1, e-1) {
		e--
	}
	return e
}

func clampInt(x, lo, hi int) int { return min(max(x, lo), hi) }

// phiSaturation is how far a table φ unit's input must reach: beyond it φ is flat to
// within an LSB of r (tanh, sigmoid) or not at all (softplus: +Inf); 0 for comparator
// units, which read ŭ directly. A table unit reads ŭ through phi_in, which holds ŭ's
// real value (no scale register), so its range is fixed.
func phiSaturation(act string) float64 {
	switch network.CanonicalActivation(act) {
	case "tanh":
		return 8
	case "sigmoid":
		return 16
	case "softplus":
		return math.Inf(1)
	}
	return 0
}

// boundedActivation reports whether φ's range is within ±1.
func boundedActivation(act string) bool {
	switch network.CanonicalActivation(act) {
	case "tanh", "sigmoid", "hard_sigmoid", "hard_tanh":
		return true
	}
	return false
}

func maxAbs(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, math.Abs(x))
	}
	return m
}

// rangeData returns the inputs and targets of the ranging run.
func (pl *plan) rangeData() (xs, ys [][]float64) {
	if s := pl.opt.Samples; s != nil && len(s.Inputs) > 0 {
		return s.Inputs, s.Targets
	}
	n := pl.net
	w, o := n.InputWidth(), n.OutputWidth()
	g := network.NewStream(n.Seed, 5, 0)
	xs, ys = make([][]float64, rangeSteps), make([][]float64, rangeSteps)
	label := 0
	for k := range xs {
		xs[k] = make([]float64, w)
		for i := range xs[k] {
			xs[k][i] = g.Uniform(1)
		}
		ys[k] = make([]float64, o)
		if n.Loss.Kind == network.LossCrossEntropy {
			if k%16 == 0 {
				label = int(g.Uint64() % uint64(max(1, o)))
			}
			if o > 0 {
				ys[k][label] = 1
			}
			continue
		}
		for i := range ys[k] {
			ys[k][i] = g.Uniform(1)
		}
	}
	return xs, ys
}

// measureBounds runs the float reference on the ranging data and returns the bounds.
func (pl *plan) measureBounds() ([]bounds, []projBounds, error) {
	n := pl.net
	frozen := *n
	frozen.Learning = network.Learning{TauMMin: n.Dt} // no gradients: the run only looks
	net, err := gle.New(&frozen, pl.params, 1)
	if err != nil {
		return nil, nil, err
	}
	bs := make([]bounds, len(n.Populations))
	pb := make([]projBounds, len(n.Projections))
	xs, ys := pl.rangeData()
	var fwd []float64
	samples := pl.opt.Samples != nil && len(pl.opt.Samples.Inputs) > 0
	for k, x := range xs {
		if len(x) != net.InputWidth() {
			return nil, nil, fmt.Errorf("compiler: sample input %d has %d values; the network takes %d", k, len(x), net.InputWidth())
		}
		var y []float64
		if ys != nil {
			y = ys[k]
			if len(y) != net.OutputWidth() {
				return nil, nil, fmt.Errorf("compiler: sample target %d has %d values; the network's output has %d", k, len(y), net.OutputWidth())
			}
		}
		// Forward partial sums from the committed rates this step reads.
		for _, q := range net.Projections {
			src, tgt := q.Source, q.Target
			if cap(fwd) < tgt.Size {
				fwd = make([]float64, tgt.Size)
			}
			f := fwd[:tgt.Size]
			blas64.Gemv(blas.NoTrans, 1, blas64.General{Rows: tgt.Size, Cols: src.Size, Stride: src.Size, Data: q.W},
				blas64.Vector{N: src.Size, Inc: 1, Data: src.R[:src.Size]}, 0, blas64.Vector{N: tgt.Size, Inc: 1, Data: f})
			pb[q.Index].fwd = max(pb[q.Index].fwd, maxAbs(f))
		}
		if err := net.Step(x, y); err != nil {
			return nil, nil, fmt.Errorf("compiler: ranging step %d: %w", k, err)
		}
		for q, p := range net.Populations {
			b := &bs[q]
			b.rate = max(b.rate, maxAbs(p.R))
			if p.Input {
				continue
			}
			b.state = max(b.state, maxAbs(p.U), maxAbs(p.UBreve))
			b.err = max(b.err, maxAbs(p.EBreve), maxAbs(p.V), maxAbs(p.InstE))
		}
		for _, q := range net.Projections {
			pb[q.Index].bwd = max(pb[q.Index].bwd, maxAbs(q.EBottom))
		}
	}
	for q, pop := range n.Populations {
		b := &bs[q]
		b.rate *= headroomMeasured
		b.state *= headroomMeasured
		b.err *= headroomMeasured
		switch {
		case pop.Input && !samples:
			b.rate = fmtMax(&pl.cfg, "rate_bus")
		case !pop.Input && boundedActivation(pop.Activation):
			b.rate = 1
		case pop.Input:
		case pop.Output && n.Loss.Kind == network.LossCrossEntropy && network.CanonicalActivation(pop.Activation) == "identity":
			// Logits: the softmax reads r − max r through exp_in, so logits need its
			// range and no more (a logit further below the largest has probability
			// below e^−range).
			b.rate = max(b.rate, fmtMax(&pl.cfg, "exp_in"))
		case pl.learnsInto(q):
			// Unbounded rates grow with the weights that drive them.
			b.rate *= headroomLearning
		}
	}
	grow := pl.errorGrowth(bs)
	for q := range bs {
		bs[q].err *= grow[q]
	}
	for p := range pb {
		pb[p].fwd *= headroomMeasured
		pb[p].bwd *= headroomMeasured
		if pl.learnsW(p) {
			pb[p].fwd *= headroomLearning
			pb[p].bwd *= headroomLearning
		}
		_, t := n.Endpoints(p)
		pb[p].bwd *= grow[t]
	}
	return bs, pb, nil
}

// errorGrowth returns, per population, how much its errors may grow while the weights
// learn: an error reaches a population through Wᵀ of every projection on its way from
// the output, and each learning W may grow by headroomLearning, or by what is left of
// the way to the largest weight it can use (see reach), whichever is less, so errors
// get the product of those factors over the worst path from the output (loops counted
// once per population), up to maxErrorGrowth. In the spec's MNIST-1D network the error
// scales a ranging run from the parameters after 8 epochs asks for exceed the initial
// ones by 0, 2, 4, 8, 7, 10 and 9 bits from the output down to h0, where this gives 0, 2,
// 4, 6, 8, 10, 10; compiled from trained parameters, whose weights have grown, it adds
// less.
func (pl *plan) errorGrowth(bs []bounds) []float64 {
	n := pl.net
	g := make([]float64, len(n.Populations))
	for q := range g {
		g[q] = 1
	}
	for range len(n.Populations) {
		changed := false
		for p := range n.Projections {
			if !pl.learnsW(p) {
				continue
			}
			s, t := n.Endpoints(p)
			f := float64(headroomLearning)
			if w, r := maxAbs(pl.params.Weights[p]), bs[s].rate; w > 0 && r > 0 {
				f = min(f, max(1, reach(n.Populations[t].Activation, bs[t].rate)/r/w))
			}
			if x := min(g[t]*f, maxErrorGrowth); x > g[s] {
				g[s] = x
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	return g
}

// maxErrorGrowth caps errorGrowth: 10 bits, the most any MNIST-1D layer's error scale
// grew in 8 epochs. Beyond it the errors' resolution costs more than their range gains:
// with h0's error scale 3 bits above what the trained state needs, x→h0's updates
// agree with the float reference's to cosine 0.74 instead of 0.93.
const maxErrorGrowth = 1 << 10

// learnsInto reports whether any projection into population q learns its weights.
func (pl *plan) learnsInto(q int) bool {
	for _, p := range pl.net.Incoming(q) {
		if pl.learnsW(p) {
			return true
		}
	}
	return false
}

// learnsW reports whether projection p's weights learn.
func (pl *plan) learnsW(p int) bool {
	return pl.net.Learning.Weights && pl.net.Projections[p].IsPlastic()
}

// errorRange is the largest error the e domain holds at ErrorExp 0: the narrowest of
// v, e_breve, inst_e and eps_in, and on the static bus err_bus too (it holds ĕ at the
// population's one scale). The block bus shifts ĕ onto the bus by up to
// width(e_breve) − width(err_bus) bits per step, so there the e domain's formats alone
// bound it. Scale choice and the saturation check both use it.
func errorRange(cfg *chip.Config) float64 {
	e := min(fmtMax(cfg, "e_breve"), fmtMax(cfg, "v"), fmtMax(cfg, "inst_e"), fmtMax(cfg, "eps_in"))
	if cfg.ErrorBus == chip.ErrorBusStatic {
		e = min(e, fmtMax(cfg, "err_bus"))
	}
	return e
}

// chooseScales sets every scale register of the program's populations and projections.
func (pl *plan) chooseScales(bs []bounds) {
	n, cfg, prog := pl.net, &pl.cfg, pl.prog
	rMax := min(fmtMax(cfg, "r"), fmtMax(cfg, "rate_bus"))
	uMax := min(fmtMax(cfg, "u"), fmtMax(cfg, "u_breve"), fmtMax(cfg, "b"))
	eMax, busMax := errorRange(cfg), fmtMax(cfg, "err_bus")
	wMax := min(fmtMax(cfg, "w"), fmtMax(cfg, "w_mem"))
	gMax := min(fmtMax(cfg, "grad"), fmtMax(cfg, "adam_m"))
	// Gradients are means over the contexts. A hidden population's error bound is set
	// by rare spikes (a new sample's error, sharpened by every prospective layer on its
	// way down) whose signs differ from context to context, so the mean's bound shrinks
	// like 1/√C; an output's error e* is bounded by β and is the teaching signal itself,
	// alike in every context.
	cs := make([]float64, len(n.Populations))
	for q, pop := range n.Populations {
		cs[q] = 1
		if !pop.Output {
			cs[q] = math.Sqrt(float64(pl.contexts()))
		}
	}
	macMax, mactMax := fmtMax(cfg, "mac"), fmtMax(cfg, "mac_t")
	rFmt := pl.format("r")
	uFmt := pl.format("u")
	for q, pop := range n.Populations {
		pp := &prog.Populations[q]
		b := bs[q]
		pp.RateExp = clampInt(needExp(b.rate, rMax), -rFmt.Int, rFmt.Frac)
		if pop.Input {
			if h := pop.Chip; h != nil && h.RateExp != nil {
				pp.RateExp = *h.RateExp
			}
			continue
		}
		sb := needExp(b.state, uMax)
		pp.StateExp = clampInt(sb, -uFmt.Int, uFmt.Frac)
		pp.ErrorExp = clampInt(needExp(b.err, eMax), -chip.MaxExp, chip.MaxExp)
		pp.BiasGradExp = clampInt(gradExp(b.err/cs[q], gMax, n), -chip.MaxExp, chip.MaxExp)
		pp.TauGradExp = clampInt(gradExp(2*b.err*b.state/cs[q], gMax, n), -chip.MaxExp, chip.MaxExp)
		if h := pop.Chip; h != nil {
			if h.RateExp != nil {
				pp.RateExp = *h.RateExp
			}
			if h.StateExp != nil {
				pp.StateExp = *h.StateExp
			}
			if h.ErrorExp != nil {
				pp.ErrorExp = *h.ErrorExp
			}
		}
	}
	for p := range n.Projections {
		s, t := n.Endpoints(p)
		pr := &prog.Projections[p]
		wb := maxAbs(pl.params.Weights[p])
		if pl.learnsW(p) {
			wb *= headroomLearning
			// Learning weights grow far beyond their initial values (MNIST-1D's grow
			// twentyfold in ten epochs): let a weight reach what one weight can use,
			// driving its target to the end of its range from the source's largest rate.
			if r := bs[s].rate; r > 0 {
				wb = max(wb, reach(n.Populations[t].Activation, bs[t].rate)/r)
			}
		}
		if wb == 0 {
			wb = 1 / math.Sqrt(float64(max(1, n.FanIn(t))))
		}
		pr.WeightExp = clampInt(needExp(wb, wMax), -chip.MaxExp, chip.MaxExp)
		// The partial sums must not wrap their accumulators: raise the weight exponent
		// (coarser weights) rather than risk a wrap.
		pr.WeightExp = max(pr.WeightExp, needExp(pl.pbounds[p].fwd, macMax)-prog.Populations[s].RateExp)
		if !n.Populations[s].Input { // no error flows into an input
			pr.WeightExp = max(pr.WeightExp, needExp(macTBound(cfg, pl.pbounds[p].bwd, bs[t].err, busMax, prog.Populations[t].ErrorExp), mactMax)-prog.Populations[t].ErrorExp)
		}
		pr.WeightExp = clampInt(pr.WeightExp, -chip.MaxExp, chip.MaxExp)
		pr.GradExp = clampInt(gradExp(bs[t].err*bs[s].rate/cs[t], gMax, n), -chip.MaxExp, chip.MaxExp)
		if h := n.Projections[p].Chip; h != nil && h.WeightExp != nil {
			pr.WeightExp = *h.WeightExp
		}
	}
	pl.stateHeadroom(bs)
	pl.alignSums()
}

// stateMargin is how many bits finer than its rate's LSB a population's u keeps at
// least when stateHeadroom coarsens StateExp.
const stateMargin = 4

// stateHeadroom raises each population's StateExp so that u, ŭ and b hold the largest
// sum their inputs can form: Σ over incoming projections of fan-in × weight range ×
// source rate bound. The u-domain formats are 32 bits wide, so this costs nothing the
// rates can see as long as u's LSB stays stateMargin bits finer than r's; the measured
// bound of a short run does not foresee how far learning drives the sums (MNIST-1D's
// tanh layers reach ŭ of 2.4 after one epoch where the ranging run saw 0.5).
func (pl *plan) stateHeadroom(bs []bounds) {
	n, prog := pl.net, pl.prog
	uFmt, rFmt := pl.format("u"), pl.format("r")
	wMax, rbMax := fmtMax(&pl.cfg, "w"), fmtMax(&pl.cfg, "rate_bus")
	uMax := min(fmtMax(&pl.cfg, "u"), fmtMax(&pl.cfg, "u_breve"), fmtMax(&pl.cfg, "b"))
	for q, pop := range n.Populations {
		if pop.Input || !pl.learnsInto(q) || (pop.Chip != nil && pop.Chip.StateExp != nil) {
			continue
		}
		pp := &prog.Populations[q]
		worst := 0.0
		for _, p := range n.Incoming(q) {
			s, _ := n.Endpoints(p)
			r := min(bs[s].rate, math.Ldexp(rbMax, prog.Populations[s].RateExp))
			worst += float64(n.Populations[s].Size) * math.Ldexp(wMax, prog.Projections[p].WeightExp) * r
		}
		e := min(needExp(worst, uMax), pp.RateExp+uFmt.Frac-rFmt.Frac-stateMargin)
		pp.StateExp = clampInt(max(pp.StateExp, e), -uFmt.Int, uFmt.Frac)
	}
}

// reach is how far a population's input must go to drive its rate to the end of its
// range: φ's saturation for table units, 1 for the hard ones, the rate bound for the
// unbounded ones.
func reach(act string, rate float64) float64 {
	if s := phiSaturation(act); s > 0 && !math.IsInf(s, 1) {
		return s
	}
	switch network.CanonicalActivation(act) {
	case "hard_sigmoid", "hard_tanh":
		return 1
	}
	return rate
}

// maxSumSpread is how far apart (bits) the binary points of the partial sums the chip
// adds into one neuron may be (chip.Program.Validate).
const maxSumSpread = 24

// macTScale is the largest |ĕ| of a target (ErrorExp e, errors up to errBound) in units
// of 2^e that the transposed accumulator mac_t must hold with the projection's weights:
// errBound/2^e with the static bus. The block bus puts each step's largest |ĕ| near the
// top of the bus (up to busMax bus units, whatever the step's shift), so a sum
// Σ|w||ĕ| that reaches bwd when the errors reach errBound meets mac_t's range as if the
// errors always filled the bus: busMax·2^e·bwd/errBound instead of bwd.
func macTBound(cfg *chip.Config, bwd, errBound, busMax float64, e int) float64 {
	if cfg.ErrorBus == chip.ErrorBusStatic || !(errBound > 0) {
		return bwd
	}
	return bwd * busMax * math.Ldexp(1, e) / errBound
}

// alignSums keeps the partial sums added into one neuron within maxSumSpread bits of
// each other: forward sums into a population (WeightExp + the source's RateExp) and
// transposed sums into a source (WeightExp + the target's ErrorExp). The finest is made
// coarser: the projection's WeightExp for forward sums, the target's ErrorExp for
// transposed ones (errors that small lose little).
func (pl *plan) alignSums() {
	n, prog := pl.net, pl.prog
	// The block error bus moves each target's transposed sums by up to its shift range
	// from step to step: the spread it may add is kept free.
	eSpread := maxSumSpread
	if pl.cfg.ErrorBus == chip.ErrorBusBlock {
		eSpread -= pl.format("e_breve").Width() - pl.format("err_bus").Width()
	}
	for range 4 * (len(n.Projections) + 1) {
		changed := false
		for q := range n.Populations {
			lo, hi, lp := math.MaxInt, math.MinInt, -1
			elo, ehi, ep := math.MaxInt, math.MinInt, -1
			for p, pr := range prog.Projections {
				if pr.Target == q {
					k := pr.WeightExp + prog.Populations[pr.Source].RateExp
					if k < lo {
						lo, lp = k, p
					}
					hi = max(hi, k)
				}
				if pr.Source == q {
					k := pr.WeightExp + prog.Populations[pr.Target].ErrorExp
					if k < elo {
						elo, ep = k, p
					}
					ehi = max(ehi, k)
				}
			}
			if lp >= 0 && hi-lo > maxSumSpread {
				prog.Projections[lp].WeightExp += hi - lo - maxSumSpread
				changed = true
			}
			if ep >= 0 && ehi-elo > eSpread {
				prog.Populations[prog.Projections[ep].Target].ErrorExp += ehi - elo - eSpread
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// gradExp picks a gradient exponent for gradients up to g: grad and adam_m hold g (a
// momentum buffer g/(1−μ)); adam_v holds g² at twice the exponent and may saturate on
// the rarest, largest gradients (it has fewer integer bits than g²), which only
// lengthens those steps: sizing the exponent for them costs every ordinary gradient
// bits of √v, and with them Adam's step (in the spec's MNIST-1D network after 8
// epochs, h0→h1's updates agreed with the float reference's to cosine 0.45 with the
// exponent sized for adam_v and 0.97 six bits finer).
func gradExp(g, gMax float64, n *network.Network) int {
	o := n.Learning.Optimizer
	if o.Kind == network.OptimizerMomentum && o.Momentum < 1 {
		return needExp(g/(1-o.Momentum), gMax)
	}
	return needExp(g, gMax)
}

func (pl *plan) format(name string) fixedpoint.Format {
	v, _ := pl.cfg.Formats.Lookup(name)
	return v.Format
}

// toRaw converts x to a raw value of format f under exponent e (half-even, saturating)
// and reports whether it saturated.
func toRaw(x float64, f fixedpoint.Format, e int) (int64, bool) {
	y := math.Ldexp(x, -e)
	raw := f.FromFloat(y)
	sat := y > f.MaxFloat()+f.Resolution()/2 || y < f.MinFloat()-f.Resolution()/2
	return raw, sat
}

// quantizer converts many values into one format under one exponent: toRaw without
// the per-call set-up.
type quantizer struct {
	scale    float64 // 2^(Frac − e)
	min, max int64
}

func newQuantizer(f fixedpoint.Format, e int) quantizer {
	return quantizer{scale: math.Ldexp(1, f.Frac-e), min: f.Min(), max: f.Max()}
}

// raw rounds x half-even into the format and saturates; sat reports a saturation.
func (q quantizer) raw(x float64) (raw int64, sat bool) {
	y := math.RoundToEven(x * q.scale)
	switch {
	case y >= float64(q.max):
		return q.max, y > float64(q.max)
	case y <= float64(q.min):
		return q.min, y < float64(q.min)
	}
	return int64(y), false
}

// value is the value of a raw number.
func (q quantizer) value(raw int64) float64 { return float64(raw) / q.scale }

// fromRaw is toRaw's inverse.
func fromRaw(raw int64, f fixedpoint.Format, e int) float64 {
	return math.Ldexp(f.ToFloat(raw), e)
}

// reg quantizes x into a register of table variable name with chip.MakeReg (the
// mantissa with the most bits). ok is false when x cannot be held: it underflows to 0,
// overflows the exponent range or is negative in an unsigned register.
func (pl *plan) reg(x float64, name string) (chip.Reg, bool) {
	v, _ := pl.cfg.Formats.Lookup(name)
	r, err := chip.MakeReg(x, v)
	if err != nil {
		return chip.Reg{}, false
	}
	if r.Exp < -chip.MaxExp || r.Exp > chip.MaxExp {
		return chip.Reg{}, false
	}
	if x != 0 && r.Raw == 0 {
		return r, false
	}
	return r, true
}

// regValue is the value a register holds.
func (pl *plan) regValue(r chip.Reg, name string) float64 {
	return fromRaw(r.Raw, pl.format(name), r.Exp)
}

// sqnr returns 10·log10(Σx² / Σ(x−q)²) in dB, or +Inf when the quantization is exact.
func sqnr(signal, noise float64) float64 {
	if noise == 0 {
		return math.Inf(1)
	}
	if signal == 0 {
		return math.Inf(-1)
	}
	return 10 * math.Log10(signal/noise)
}
