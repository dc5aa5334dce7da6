package compiler

import (
	"fmt"
	"math"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/network"
)

// The design rules that know the chip. Each adds findings; none stops the others.

func (pl *plan) checkContexts() {
	if c := pl.contexts(); c > pl.cfg.MaxContexts {
		pl.fs.errorf("contexts", fmt.Sprintf("run at most %d contexts or enlarge the context memory (MaxContexts)", pl.cfg.MaxContexts),
			"%d contexts; the chip's context memory holds %d", c, pl.cfg.MaxContexts)
	}
}

// checkTaus: τ/dt must fit tau_m (1 to its maximum), τm/τr tau_m_tau_r, τr/τm
// tau_r_tau_m.
func (pl *plan) checkTaus() {
	n := pl.net
	if !(n.Dt > 0) || math.IsInf(n.Dt, 0) {
		return
	}
	tau, ratio, inv := pl.format("tau_m"), pl.format("tau_m_tau_r"), pl.format("tau_r_tau_m")
	for _, q := range n.Populations {
		if q.Input || len(q.TauM) != q.Size || len(q.TauR) != q.Size {
			continue
		}
		type limit struct {
			what  string
			value func(i int) float64
			max   float64
			fix   string
			fmtNm string
		}
		for _, l := range []limit{
			{"τm/dt", func(i int) float64 { return q.TauM[i] / n.Dt }, tau.MaxFloat(), "lower tau_m or raise dt", "tau_m"},
			{"τr/dt", func(i int) float64 { return q.TauR[i] / n.Dt }, tau.MaxFloat(), "lower tau_r or raise dt", "tau_m"},
			{"τm/τr", func(i int) float64 { return q.TauM[i] / q.TauR[i] }, ratio.MaxFloat(), "raise tau_r (or lower tau_m)", "tau_m_tau_r"},
			{"τr/τm", func(i int) float64 { return q.TauR[i] / q.TauM[i] }, inv.MaxFloat(), "lower tau_r (or raise tau_m)", "tau_r_tau_m"},
		} {
			at, worstV, cnt := -1, 0.0, 0
			for i := range q.Size {
				v := l.value(i)
				if v > l.max+pl.format(l.fmtNm).Resolution()/2 {
					cnt++
					if v > worstV {
						at, worstV = i, v
					}
				}
			}
			if cnt == 0 {
				continue
			}
			more := ""
			if cnt > 1 {
				more = fmt.Sprintf(" (and %d more)", cnt-1)
			}
			pl.fs.errorf("tau-range", l.fix+" or widen "+l.fmtNm,
				"population %q: %s = %.4g at neuron %d%s is beyond the %s format's %.4g", q.Name, l.what, worstV, at, more, l.fmtNm, l.max)
		}
	}
}

// checkPins: pinned tiles exist; a pinned population fits its tiles.
func (pl *plan) checkPins() {
	nt := pl.cfg.Tiles()
	N := pl.cfg.NeuronsPerTile
	for _, q := range pl.net.Populations {
		h := q.Chip
		if h == nil || len(h.Tiles) == 0 {
			continue
		}
		for _, t := range h.Tiles {
			if t >= nt {
				pl.fs.errorf("pin", fmt.Sprintf("use tiles 0 to %d, or a larger mesh", nt-1),
					"population %q is pinned to tile %d; the %d×%d mesh has tiles 0 to %d", q.Name, t, pl.cfg.Rows, pl.cfg.Cols, nt-1)
			}
		}
		if q.Size > N*len(h.Tiles) {
			pl.fs.errorf("pin", fmt.Sprintf("pin it to at least %d tiles", (q.Size+N-1)/N),
				"population %q has %d neurons; its %d pinned tiles hold %d", q.Name, q.Size, len(h.Tiles), N*len(h.Tiles))
		}
	}
}

// checkHints: scale hints within the datapath's ranges.
func (pl *plan) checkHints() {
	rf, uf := pl.format("r"), pl.format("u")
	check := func(what string, e *int, lo, hi int) {
		if e != nil && (*e < lo || *e > hi) {
			pl.fs.errorf("scale-hint", fmt.Sprintf("use %d to %d, or leave it out to let the compiler choose", lo, hi), "%s = %d is outside what the datapath accepts", what, *e)
		}
	}
	for _, q := range pl.net.Populations {
		h := q.Chip
		if h == nil {
			continue
		}
		check(fmt.Sprintf("population %q: rate_exp", q.Name), h.RateExp, -rf.Int, rf.Frac)
		check(fmt.Sprintf("population %q: state_exp", q.Name), h.StateExp, -uf.Int, uf.Frac)
		check(fmt.Sprintf("population %q: error_exp", q.Name), h.ErrorExp, -chip.MaxExp, chip.MaxExp)
	}
	for pi, p := range pl.net.Projections {
		if h := p.Chip; h != nil {
			check(fmt.Sprintf("projection %d (%s → %s): weight_exp", pi, p.Source, p.Target), h.WeightExp, -chip.MaxExp, chip.MaxExp)
		}
	}
}

// checkSoftmax: a cross-entropy output lives on one tile.
func (pl *plan) checkSoftmax() {
	n := pl.net
	if n.Loss.Kind != network.LossCrossEntropy {
		return
	}
	N := pl.cfg.NeuronsPerTile
	for _, q := range n.Populations {
		if !q.Output {
			continue
		}
		if q.Size > N {
			pl.fs.errorf("softmax-tile", fmt.Sprintf("use tiles of at least %d neurons, fewer classes, or mse", q.Size),
				"cross-entropy output %q has %d neurons; the softmax runs on one tile of %d", q.Name, q.Size, N)
		}
		if h := q.Chip; h != nil && len(h.Tiles) > 1 {
			pl.fs.errorf("softmax-tile", "pin it to one tile", "cross-entropy output %q is pinned to %d tiles; the softmax runs on one", q.Name, len(h.Tiles))
		}
	}
}

// checkFanIn: the crossbars a population's fan-in needs (row chunks × column chunks)
// must exist on the mesh.
func (pl *plan) checkFanIn() {
	n := pl.net
	N, F, nt := pl.cfg.NeuronsPerTile, pl.cfg.InputsPerNeuron, pl.cfg.Tiles()
	for q, pop := range n.Populations {
		fan := n.FanIn(q)
		if pop.Input || fan == 0 {
			continue
		}
		rowsK := (pop.Size + N - 1) / N
		colsK := (fan + F - 1) / F
		if colsK < 2 || rowsK*colsK <= nt {
			continue // no split of the fan-in, or one that fits (GLE008 counts the rest)
		}
		what := fmt.Sprintf("population %q", pop.Name)
		if in := n.Incoming(q); len(in) == 1 {
			p := n.Projections[in[0]]
			what = fmt.Sprintf("projection %d (%s → %s)", in[0], p.Source, p.Target)
		}
		fix := fmt.Sprintf("use a mesh of at least %d tiles", rowsK*colsK)
		if per := nt / rowsK; per >= 1 {
			fix += fmt.Sprintf(", or crossbars of at least %d inputs (InputsPerNeuron)", (fan+per-1)/per)
		}
		pl.fs.errorf("fan-in", fix,
			"%s: fan-in %d into %d neurons needs %d crossbars of %d×%d even after splitting (%d row × %d column chunks); the mesh has %d tiles",
			what, fan, pop.Size, rowsK*colsK, N, F, rowsK, colsK, nt)
	}
}

// checkTiles: the groups must fit the mesh; pinned groups their tiles.
func (pl *plan) checkTiles() {
	N, F, nt := pl.cfg.NeuronsPerTile, pl.cfg.InputsPerNeuron, pl.cfg.Tiles()
	if len(pl.groups) > nt {
		side := int(math.Ceil(math.Sqrt(float64(len(pl.groups)))))
		pl.fs.errorf("tiles", fmt.Sprintf("use a mesh of at least %d tiles (e.g. %d×%d), or larger tiles (NeuronsPerTile, InputsPerNeuron)", len(pl.groups), side, side),
			"the network needs %d tiles; the %d×%d mesh has %d", len(pl.groups), pl.cfg.Rows, pl.cfg.Cols, nt)
	}
	for _, g := range pl.groups {
		if g.pinned < 0 || g.pinned >= nt {
			continue
		}
		if g.slots > N || g.rows > N || g.cols > F {
			pl.fs.errorf("pin", "pin fewer populations to it", "tile %d is asked to hold %d neurons, %d crossbar rows and %d columns; it has %d, %d and %d",
				g.pinned, g.slots, g.rows, g.cols, N, N, F)
		}
	}
}

// checkSaturation compares the bounds with what the chosen scales hold.
func (pl *plan) checkSaturation() {
	n, prog, cfg := pl.net, pl.prog, &pl.cfg
	rMax := min(fmtMax(cfg, "r"), fmtMax(cfg, "rate_bus"))
	phiMax := fmtMax(cfg, "phi_in")
	uMax := min(fmtMax(cfg, "u"), fmtMax(cfg, "u_breve"))
	eMax, busMax := errorRange(cfg), fmtMax(cfg, "err_bus")
	wMax := fmtMax(cfg, "w")
	macMax, mactMax := fmtMax(cfg, "mac"), fmtMax(cfg, "mac_t")
	const fix = "lower the scale hint or leave it out; with sample inputs (--samples) the compiler measures the range"
	for q, pop := range n.Populations {
		pp := &prog.Populations[q]
		b := pl.bounds[q]
		if lim := rMax * math.Ldexp(1, pp.RateExp); b.rate > lim {
			pl.fs.warnf("saturation", fix, "population %q: rates may reach %.3g, beyond ±%.3g at RateExp %d", pop.Name, b.rate, lim, pp.RateExp)
		}
		if pop.Input {
			continue
		}
		if lim := uMax * math.Ldexp(1, pp.StateExp); b.state > lim {
			pl.fs.warnf("saturation", fix, "population %q: states may reach %.3g, beyond ±%.3g at StateExp %d", pop.Name, b.state, lim, pp.StateExp)
		}
		if sat := phiSaturation(pop.Activation); min(b.state, sat) > phiMax {
			pl.fs.warnf("saturation", "scale the inputs or weights down, or widen phi_in", "population %q: ŭ may reach %.3g; the %s unit reads it in phi_in's ±%.3g, where %s is not yet flat", pop.Name, b.state, pop.Activation, phiMax, pop.Activation)
		}
		if scale := 2 * n.Loss.Beta * max(1, maxOutputRate(pl)); b.err > 1e4*scale {
			pl.fs.warnf("saturation", "check recurrent loops (their gain times τm/τr) and the learning rate; run the float reference to see it",
				"population %q: errors reach %.3g in a short run of the float reference, %.0f× the output error's scale: the error dynamics diverge, and the chip follows them into coarse errors", pop.Name, b.err/headroomMeasured, b.err/scale)
		}
		if lim := eMax * math.Ldexp(1, pp.ErrorExp); b.err > lim {
			pl.fs.warnf("saturation", fix, "population %q: errors may reach %.3g, beyond ±%.3g at ErrorExp %d", pop.Name, b.err, lim, pp.ErrorExp)
		}
	}
	for p := range n.Projections {
		s, t := n.Endpoints(p)
		pr := &prog.Projections[p]
		what := fmt.Sprintf("projection %d (%s → %s)", p, n.Projections[p].Source, n.Projections[p].Target)
		w := pl.params.Weights[p]
		if lim := wMax * math.Ldexp(1, pr.WeightExp); maxAbs(w) > lim {
			pl.fs.warnf("saturation", "lower the weight_exp hint or leave it out", "%s: weights up to %.3g saturate the crossbar's ±%.3g at WeightExp %d", what, maxAbs(w), lim, pr.WeightExp)
		}
		if fw, lim := pl.pbounds[p].fwd, macMax*math.Ldexp(1, pr.WeightExp+prog.Populations[s].RateExp); fw > lim {
			pl.fs.warnf("saturation", "raise the projection's weight_exp or the source's rate_exp", "%s: forward sums may reach %.3g and wrap the mac accumulator (±%.3g at WeightExp %d + RateExp %d)",
				what, fw, lim, pr.WeightExp, prog.Populations[s].RateExp)
		}
		if bw, lim := macTBound(cfg, pl.pbounds[p].bwd, pl.bounds[t].err, busMax, prog.Populations[t].ErrorExp), mactMax*math.Ldexp(1, pr.WeightExp+prog.Populations[t].ErrorExp); !n.Populations[s].Input && bw > lim {
			pl.fs.warnf("saturation", "raise the projection's weight_exp or the target's error_exp", "%s: transposed sums may reach %.3g and wrap the mac_t accumulator (±%.3g at WeightExp %d + ErrorExp %d)",
				what, bw, lim, pr.WeightExp, prog.Populations[t].ErrorExp)
		}
	}
}

// maxOutputRate is the largest rate bound of the output populations.
func maxOutputRate(pl *plan) float64 {
	m := 0.0
	for q, pop := range pl.net.Populations {
		if pop.Output {
			m = max(m, pl.bounds[q].rate)
		}
	}
	return m
}

// checkLinks: at a required step rate, every link and tile must keep up; without one,
// links that set the pace are reported.
func (pl *plan) checkLinks(rep *Report) {
	if pl.opt.StepRate <= 0 {
		return
	}
	budget := pl.cfg.ClockHz / pl.opt.StepRate
	if k := rep.Cost; float64(k.CyclesPerStep) > budget {
		pl.fs.errorf("link-bandwidth", fmt.Sprintf("lower the step rate to %.4g steps/s, or give the tiles more MAC units or a faster clock", k.MaxStepRate),
			"tile %d needs %d cycles per step (the chip's cost model); at %.4g steps/s a step has %.0f cycles", k.CriticalTile, k.CyclesPerStep, pl.opt.StepRate, budget)
	}
	for _, l := range rep.Links {
		if float64(l.Cycles) > budget {
			pl.fs.errorf("link-bandwidth", fmt.Sprintf("lower the step rate to %.4g steps/s, spread the populations (another seed or pins) or widen the links (LinkBits)", pl.cfg.ClockHz/float64(l.Cycles)),
				"link %d→%d carries %d words per step (%d cycles at %d bits per cycle); at %.4g steps/s a step has %.0f cycles",
				l.From, l.To, l.Words, l.Cycles, pl.cfg.LinkBits, pl.opt.StepRate, budget)
		}
	}
}
