package network

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Problem is one problem Validate finds. Check names the kind of check that found it
// (one of the Check constants, or "" for the others), so that tools such as the
// compiler's design rules can file it under their own rule; Msg is the message, which
// names the item and the fix.
type Problem struct {
	Check string
	Msg   string
}

func (p *Problem) Error() string { return p.Msg }

// Kinds of check a Problem may name.
const (
	CheckTauBelowDt = "tau-below-dt" // a time constant below dt
	CheckActivation = "activation"   // a missing or unknown activation
	CheckDangling   = "dangling"     // a neuron population nothing projects into
	CheckShape      = "shape"        // weights or a mask whose shape does not match the populations
)

// Validate checks n and returns every problem at once (joined with errors.Join), each
// naming the item and the fix. A valid network can be stepped by every backend.
func (n *Network) Validate() error { return n.validate(nil) }

// validate skips the "population/field" problems in reported, which the decoder has
// already reported.
func (n *Network) validate(reported map[string]bool) error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, &Problem{Msg: fmt.Sprintf("network: "+format, args...)})
	}
	// addAs adds a problem of a named check (see Problem).
	addAs := func(check, format string, args ...any) {
		errs = append(errs, &Problem{Check: check, Msg: fmt.Sprintf("network: "+format, args...)})
	}
	if !finite(n.Dt) || n.Dt <= 0 {
		add("dt %v must be a positive number; set \"dt\" (the Euler time step, e.g. 0.01)", n.Dt)
	}
	switch n.Errors {
	case ErrorsProspective, ErrorsInstantaneous, "":
	default:
		add("errors %q is unknown; use %q or %q", n.Errors, ErrorsProspective, ErrorsInstantaneous)
	}

	// Populations.
	if len(n.Populations) == 0 {
		add("no populations; add at least one input and one output population")
	}
	seen := map[string]int{}
	inputs, outputs := 0, 0
	for qi := range n.Populations {
		p := &n.Populations[qi]
		name := p.Name
		if name == "" {
			add("population %d has no name; give it a unique \"name\"", qi)
			name = fmt.Sprintf("#%d", qi)
		} else if first, dup := seen[name]; dup {
			add("population %q: the name is used by populations %d and %d; give each population a unique name", name, first, qi)
		} else {
			seen[name] = qi
		}
		where := fmt.Sprintf("population %q: ", name)
		if p.Size <= 0 {
			add(where+"size %d must be positive", p.Size)
		} else if p.Size > MaxPopulationSize {
			add(where+"size %d exceeds the maximum %d; split the population", p.Size, MaxPopulationSize)
		}
		if p.Size <= 0 || p.Size > MaxPopulationSize {
			reported = markSized(reported, p.Name)
		}
		if p.Input {
			inputs++
			if p.Output {
				add(where + "a population cannot be both input and output; add a neuron population as the output")
			}
			var extra []string
			if p.Activation != "" {
				extra = append(extra, "activation")
			}
			if p.Bias {
				extra = append(extra, "bias")
			}
			if p.Gamma != 0 {
				extra = append(extra, "gamma")
			}
			if p.TauM != nil {
				extra = append(extra, "tau_m")
			}
			if p.TauR != nil {
				extra = append(extra, "tau_r")
			}
			if p.BiasInit != nil {
				extra = append(extra, "bias_init")
			}
			if c := p.Chip; c != nil && c.StateExp != nil {
				extra = append(extra, "chip.state_exp")
			}
			if c := p.Chip; c != nil && c.ErrorExp != nil {
				extra = append(extra, "chip.error_exp")
			}
			if len(extra) > 0 {
				add(where+"an input population has only a size; remove %s", strings.Join(extra, ", "))
			}
			n.validateChip(p, where, add)
			continue
		}
		if p.Output {
			outputs++
		}
		n.validateChip(p, where, add)
		switch {
		case p.Activation == "":
			addAs(CheckActivation, where+"missing activation; set one of %s", strings.Join(Activations, ", "))
		case !slices.Contains(Activations, p.Activation):
			addAs(CheckActivation, where+"activation %q is unknown; use one of %s", p.Activation, strings.Join(Activations, ", "))
		}
		if !finite(p.Gamma) {
			add(where+"gamma %v is not a finite number", p.Gamma)
		}
		for _, tau := range []struct {
			field  string
			values []float64
		}{{"tau_m", p.TauM}, {"tau_r", p.TauR}} {
			if reported[p.Name+"/"+tau.field] {
				continue
			}
			if tau.values == nil {
				add(where+"missing %s; give a number, one per neuron, or groups", tau.field)
				continue
			}
			if p.Size > 0 && len(tau.values) != p.Size {
				add(where+"%s has %d values for %d neurons; give one per neuron", tau.field, len(tau.values), p.Size)
				continue
			}
			if i, bad := firstBad(tau.values, func(v float64) bool { return !finite(v) }); bad > 0 {
				add(where+"%s%s is %v%s; time constants must be finite numbers", tau.field, index(i, tau.values), tau.values[i], more(bad, tau.values))
				continue
			}
			if finite(n.Dt) && n.Dt > 0 {
				if i, bad := firstBad(tau.values, func(v float64) bool { return v < n.Dt }); bad > 0 {
					addAs(CheckTauBelowDt, where+"%s%s %v is below dt %v%s; raise %s or lower dt", tau.field, index(i, tau.values), tau.values[i], n.Dt, more(bad, tau.values), tau.field)
				}
			}
		}
		if p.BiasInit != nil && !reported[p.Name+"/bias_init"] {
			if !p.Bias {
				add(where + "bias_init without bias; set \"bias\": true or remove bias_init")
			} else if p.Size > 0 && len(p.BiasInit) != p.Size {
				add(where+"bias_init has %d values for %d neurons; give one per neuron", len(p.BiasInit), p.Size)
			} else if i, bad := firstBad(p.BiasInit, func(v float64) bool { return !finite(v) }); bad > 0 {
				add(where+"bias_init%s is %v%s; biases must be finite numbers", index(i, p.BiasInit), p.BiasInit[i], more(bad, p.BiasInit))
			}
		}
	}
	if len(n.Populations) > 0 && inputs == 0 {
		add("no input population; mark the population that receives x with \"input\": true")
	}
	if len(n.Populations) > 0 && outputs == 0 {
		add("no output population; mark the population that receives the target with \"output\": true")
	}

	// Projections.
	if len(n.Projections) == 0 && len(n.Populations) > 0 {
		add("no projections; connect the input to the output with at least one projection")
	}
	into := make([]int, len(n.Populations))
	for pi := range n.Projections {
		p := &n.Projections[pi]
		where := fmt.Sprintf("projection %d (%s → %s): ", pi, p.Source, p.Target)
		s, okS := n.PopulationIndex(p.Source)
		t, okT := n.PopulationIndex(p.Target)
		if p.Source == "" {
			add(where + "missing source; name the population it comes from")
		} else if !okS {
			add(where+"source %q is not a population; use one of %s", p.Source, n.populationNames())
		}
		if p.Target == "" {
			add(where + "missing target; name the population it goes to")
		} else if !okT {
			add(where+"target %q is not a population; use one of %s", p.Target, n.populationNames())
		}
		if okT && n.Populations[t].Input {
			add(where+"target %q is an input population, which has no dynamics; project into a neuron population", p.Target)
		}
		if okT {
			into[t]++
		}
		if p.Weights != nil && okS && okT && n.Populations[s].Size > 0 && n.Populations[t].Size > 0 {
			rows, cols := n.Populations[t].Size, n.Populations[s].Size
			if len(p.Weights) != rows {
				addAs(CheckShape, where+"weights has %d rows; want %d (one per target neuron, each with %d source weights)", len(p.Weights), rows, cols)
			} else {
				for i, row := range p.Weights {
					if len(row) != cols {
						addAs(CheckShape, where+"weights row %d has %d values; want %d (one per source neuron)", i, len(row), cols)
						break
					}
				}
			}
			for i, row := range p.Weights {
				if j, bad := firstBad(row, func(v float64) bool { return !finite(v) }); bad > 0 {
					add(where+"weights[%d][%d] is %v; weights must be finite numbers", i, j, row[j])
					break
				}
			}
		}
		if p.Mask != nil && okS && okT {
			n.validateMask(pi, n.Populations[t].Size, n.Populations[s].Size, where, add, addAs)
		}
	}
	for qi, p := range n.Populations {
		if first := seen[p.Name]; !p.Input && into[qi] == 0 && p.Name != "" && first == qi {
			addAs(CheckDangling, "population %q: nothing projects into it; add a projection with \"target\": %q or remove the population", p.Name, p.Name)
		}
	}

	// Loss.
	switch n.Loss.Kind {
	case LossMSE:
	case LossCrossEntropy:
		if outputs > 1 {
			add("loss cross_entropy needs exactly one output population, the network has %d; use mse or mark one output", outputs)
		}
	case "":
		add("missing loss kind; set \"loss\": {\"kind\": %q or %q, \"beta\": 1}", LossMSE, LossCrossEntropy)
	default:
		add("loss kind %q is unknown; use %q or %q", n.Loss.Kind, LossMSE, LossCrossEntropy)
	}
	if !finite(n.Loss.Beta) || n.Loss.Beta <= 0 {
		add("loss beta %v must be a positive number; set the nudging strength (1 is usual)", n.Loss.Beta)
	}

	// Learning.
	l := &n.Learning
	learns := l.Weights || l.Biases || l.TauM
	o := &l.Optimizer
	switch o.Kind {
	case OptimizerSGD, OptimizerMomentum, OptimizerAdam:
	case "":
		if learns {
			add("learning: missing optimizer kind; use %q, %q or %q", OptimizerSGD, OptimizerMomentum, OptimizerAdam)
		}
	default:
		add("learning: optimizer %q is unknown; use %q, %q or %q", o.Kind, OptimizerSGD, OptimizerMomentum, OptimizerAdam)
	}
	if !finite(o.LR) || o.LR < 0 {
		add("learning: lr %v must be a number ≥ 0", o.LR)
	}
	if o.Kind == OptimizerMomentum && (!finite(o.Momentum) || o.Momentum < 0 || o.Momentum >= 1) {
		add("learning: momentum %v must be in [0, 1)", o.Momentum)
	}
	if o.Kind == OptimizerAdam {
		if !finite(o.Beta1) || o.Beta1 < 0 || o.Beta1 >= 1 {
			add("learning: beta1 %v must be in [0, 1)", o.Beta1)
		}
		if !finite(o.Beta2) || o.Beta2 < 0 || o.Beta2 >= 1 {
			add("learning: beta2 %v must be in [0, 1)", o.Beta2)
		}
		if !finite(o.Eps) || o.Eps <= 0 {
			add("learning: eps %v must be positive", o.Eps)
		}
	}
	if !isUnset(l.TauMMin) && (!finite(l.TauMMin) || l.TauMMin < 0) {
		add("learning: tau_m_min %v must be a number ≥ 0 (it defaults to dt)", l.TauMMin)
	} else if finite(n.Dt) && l.TauMMin > 0 && l.TauMMin < n.Dt {
		add("learning: tau_m_min %v is below dt %v; raise it to at least dt", l.TauMMin, n.Dt)
	}
	if p := l.Plateau; p != nil {
		if !finite(p.Factor) || p.Factor <= 0 || p.Factor >= 1 {
			add("learning: plateau factor %v must be in (0, 1)", p.Factor)
		}
		if p.Patience < 0 {
			add("learning: plateau patience %d must be ≥ 0", p.Patience)
		}
		if !isUnset(p.Threshold) && (!finite(p.Threshold) || p.Threshold < 0) {
			add("learning: plateau threshold %v must be a number ≥ 0", p.Threshold)
		}
	}
	return errors.Join(errs...)
}

// validateChip checks a population's chip hints; the compiler checks them against the
// chip.
func (n *Network) validateChip(p *Population, where string, add func(string, ...any)) {
	c := p.Chip
	if c == nil {
		return
	}
	seen := map[int]bool{}
	for _, t := range c.Tiles {
		switch {
		case t < 0:
			add(where+"chip tile %d is not a tile; tiles are numbered from 0, row-major", t)
		case seen[t]:
			add(where+"chip tile %d is listed twice; list each tile once", t)
		}
		seen[t] = true
	}
}

// validateMask checks projection pi's mask against its rows × cols weights.
func (n *Network) validateMask(pi, rows, cols int, where string, add func(string, ...any), addAs func(string, string, ...any)) {
	m := n.Projections[pi].Mask
	switch {
	case m.Rows != nil && m.Density != 0:
		add(where + `mask has both "density" and "rows"; give one of them`)
		return
	case m.Rows == nil && !(m.Density > 0 && m.Density <= 1):
		add(where+`mask density %v: give "density" in (0, 1] or the "rows" of source neurons each target reads`, m.Density)
		return
	case m.Rows != nil && m.Seed != nil:
		add(where + `mask seed keys only a density mask; remove it from a "rows" mask`)
	}
	if m.Rows != nil {
		if rows <= 0 || cols <= 0 {
			return
		}
		if len(m.Rows) != rows {
			addAs(CheckShape, where+"mask has %d rows; want %d (one list of source neurons per target neuron)", len(m.Rows), rows)
			return
		}
		for i, r := range m.Rows {
			for k, j := range r {
				if j < 0 || j >= cols {
					addAs(CheckShape, where+"mask row %d: source neuron %d is outside 0…%d", i, j, cols-1)
					return
				}
				if k > 0 && j <= r[k-1] {
					add(where+"mask row %d: source neuron %d follows %d; list each source once, in increasing order", i, j, r[k-1])
					return
				}
			}
		}
	}
	w := n.Projections[pi].Weights
	if w == nil || len(w) != rows || rows <= 0 || cols <= 0 {
		return
	}
	mask := n.MaskOf(pi)
	for i, row := range w {
		if len(row) != cols {
			return
		}
		for j, v := range row {
			if v != 0 && !mask[i*cols+j] {
				add(where+"weights[%d][%d] is %v where the mask has no synapse; set it to 0 or keep the synapse", i, j, v)
				return
			}
		}
	}
}

// markSized marks every per-neuron field of population name as reported: with no
// valid size there is nothing to check them against.
func markSized(reported map[string]bool, name string) map[string]bool {
	if reported == nil {
		reported = map[string]bool{}
	}
	for _, f := range []string{"tau_m", "tau_r", "bias_init"} {
		reported[name+"/"+f] = true
	}
	return reported
}

func (n *Network) populationNames() string {
	names := make([]string, 0, len(n.Populations))
	for _, p := range n.Populations {
		names = append(names, fmt.Sprintf("%q", p.Name))
	}
	if len(names) == 0 {
		return "(none defined)"
	}
	return strings.Join(names, ", ")
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// firstBad returns the index of the first value for which bad is true and how many such
// values there are.
func firstBad(values []float64, bad func(float64) bool) (first, count int) {
	first = -1
	for i, v := range values {
		if bad(v) {
			if first < 0 {
				first = i
			}
			count++
		}
	}
	return first, count
}

// index formats "[i]" unless every value is the same (then the file gave one number).
func index(i int, values []float64) string {
	if uniform(values) {
		return ""
	}
	return fmt.Sprintf("[%d]", i)
}

func uniform(values []float64) bool {
	for _, v := range values {
		if math.Float64bits(v) != math.Float64bits(values[0]) {
			return false
		}
	}
	return true
}

// more counts the other offending neurons, unless all share one value.
func more(bad int, values []float64) string {
	if bad > 1 && !uniform(values) {
		return fmt.Sprintf(" (and %d more neurons)", bad-1)
	}
	return ""
}
