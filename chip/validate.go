package chip

import (
	"fmt"
	"math"
	"sort"

	"github.com/glemu/glemu/fixedpoint"
)

// maxPopulationSize bounds a population (as network.MaxPopulationSize does).
const maxPopulationSize = 1 << 24

// maxTermBits bounds the width of a partial sum (or bias) after the left shift that
// aligns it with the others of its neuron: 32-bit sums may be 24 bits apart.
const maxTermBits = 56

// activations lists the φ units a population may use.
var activations = []fixedpoint.Func{fixedpoint.Identity, fixedpoint.ReLU, fixedpoint.Tanh, fixedpoint.Sigmoid,
	fixedpoint.HardSigmoid, fixedpoint.HardTanh, fixedpoint.Softplus}

func isActivation(f fixedpoint.Func) bool {
	for _, a := range activations {
		if a == f {
			return true
		}
	}
	return false
}

// Validate reports the first problem of the program, with a message that names the
// population, projection, tile or block and says what to change. A program that
// validates loads.
func (p *Program) Validate() error {
	c := &p.Config
	if err := c.Validate(); err != nil {
		return err
	}
	switch {
	case p.Contexts < 1 || p.Contexts > c.MaxContexts:
		return fmt.Errorf("chip: program: %d contexts; the chip runs 1 to %d (Config.MaxContexts)", p.Contexts, c.MaxContexts)
	case !(p.Dt > 0) || math.IsInf(p.Dt, 0):
		return fmt.Errorf("chip: program: dt = %g; give a positive, finite time step", p.Dt)
	case p.Errors > ErrorsInstantaneous:
		return fmt.Errorf("chip: program: unknown error mode %d; use ErrorsProspective or ErrorsInstantaneous", p.Errors)
	case len(p.Populations) == 0:
		return fmt.Errorf("chip: program: no populations; a program needs at least one")
	}
	if err := p.validatePopulations(); err != nil {
		return err
	}
	if err := p.validateProjections(); err != nil {
		return err
	}
	home, err := p.validateSlots()
	if err != nil {
		return err
	}
	if err := p.validateBlocks(); err != nil {
		return err
	}
	if err := p.checkRoutes(home); err != nil {
		return err
	}
	if err := p.validateLoss(home); err != nil {
		return err
	}
	if err := p.validateLearning(); err != nil {
		return err
	}
	return p.validateDatapath()
}

func checkReg(what string, r Reg, v fixedpoint.Var) error {
	if r.Raw < v.Format.Min() || r.Raw > v.Format.Max() {
		return fmt.Errorf("chip: program: %s mantissa %d does not fit %s (%d to %d); normalise it and move the rest into the exponent", what, r.Raw, v.Format, v.Format.Min(), v.Format.Max())
	}
	if r.Exp < -MaxExp || r.Exp > MaxExp {
		return fmt.Errorf("chip: program: %s exponent %d is outside ±%d", what, r.Exp, MaxExp)
	}
	return nil
}

func checkExp(what string, e int) error {
	if e < -MaxExp || e > MaxExp {
		return fmt.Errorf("chip: program: %s = %d is outside ±%d", what, e, MaxExp)
	}
	return nil
}

func (p *Program) validatePopulations() error {
	c := &p.Config
	tau, ratio, inv := c.formatOf("tau_m"), c.formatOf("tau_m_tau_r"), c.formatOf("tau_r_tau_m")
	one := int64(1) << tau.Format.Frac
	b, gamma := c.formatOf("b"), c.formatOf("gamma")
	names := map[string]bool{}
	for qi := range p.Populations {
		q := &p.Populations[qi]
		pre := fmt.Sprintf("chip: program: population %d (%q)", qi, q.Name)
		switch {
		case q.Name == "":
			return fmt.Errorf("chip: program: population %d has no name; name every population", qi)
		case names[q.Name]:
			return fmt.Errorf("%s: the name is used twice; give each population its own", pre)
		case q.Size < 1 || q.Size > maxPopulationSize:
			return fmt.Errorf("%s: size %d; use 1 to %d", pre, q.Size, maxPopulationSize)
		case q.Role > RoleOutput:
			return fmt.Errorf("%s: unknown role %d; use RoleHidden, RoleInput or RoleOutput", pre, q.Role)
		}
		names[q.Name] = true
		for _, e := range []struct {
			name string
			v    int
		}{{"RateExp", q.RateExp}, {"StateExp", q.StateExp}, {"ErrorExp", q.ErrorExp}, {"BiasGradExp", q.BiasGradExp}, {"TauGradExp", q.TauGradExp}} {
			if err := checkExp(fmt.Sprintf("population %q %s", q.Name, e.name), e.v); err != nil {
				return err
			}
		}
		if q.Role == RoleInput {
			if q.Bias || q.TauM != nil || q.TauR != nil || q.B != nil {
				return fmt.Errorf("%s: an input population has no bias and no time constants; leave Bias, B, TauM and TauR empty", pre)
			}
			continue
		}
		if !isActivation(q.Activation) {
			return fmt.Errorf("%s: activation %s is not a φ unit; use identity, relu, tanh, sigmoid, hard-sigmoid, hard-tanh or softplus", pre, q.Activation)
		}
		if err := checkReg(fmt.Sprintf("population %q γ", q.Name), q.Gamma, gamma); err != nil {
			return err
		}
		if len(q.TauM) != q.Size || len(q.TauR) != q.Size {
			return fmt.Errorf("%s: %d τm and %d τr values for %d neurons; give one of each per neuron", pre, len(q.TauM), len(q.TauR), q.Size)
		}
		for i := range q.Size {
			tm, tr := q.TauM[i], q.TauR[i]
			for _, t := range []struct {
				name string
				v    int64
			}{{"τm", tm}, {"τr", tr}} {
				if t.v < one {
					return fmt.Errorf("%s: neuron %d: %s = %g·dt is below dt; time constants must be at least dt", pre, i, t.name, tau.ToFloat(t.v))
				}
				if t.v > tau.Format.Max() {
					return fmt.Errorf("%s: neuron %d: %s = %d raw does not fit tau_m %s (at most %g·dt); use a larger dt or widen tau_m", pre, i, t.name, t.v, tau.Format, tau.Format.MaxFloat())
				}
			}
			// The ratios must fit their formats (within rounding).
			if float64(tm)/float64(tr) > ratio.Format.MaxFloat()+ratio.Format.Resolution()/2 {
				return fmt.Errorf("%s: neuron %d: τm/τr = %g does not fit tau_m_tau_r %s (at most %g); raise τr or widen tau_m_tau_r", pre, i, float64(tm)/float64(tr), ratio.Format, ratio.Format.MaxFloat())
			}
			if float64(tr)/float64(tm) > inv.Format.MaxFloat()+inv.Format.Resolution()/2 {
				return fmt.Errorf("%s: neuron %d: τr/τm = %g does not fit tau_r_tau_m %s (at most %g); lower τr or widen tau_r_tau_m", pre, i, float64(tr)/float64(tm), inv.Format, inv.Format.MaxFloat())
			}
		}
		if q.Bias != (q.B != nil) || q.Bias && len(q.B) != q.Size {
			return fmt.Errorf("%s: Bias is %v with %d bias values for %d neurons; give one per neuron exactly when Bias is set", pre, q.Bias, len(q.B), q.Size)
		}
		for i, x := range q.B {
			if x < b.Format.Min() || x > b.Format.Max() {
				return fmt.Errorf("%s: neuron %d: bias %d raw does not fit b %s; raise the population's StateExp", pre, i, x, b.Format)
			}
		}
	}
	return nil
}

func (p *Program) validateProjections() error {
	for pi, pr := range p.Projections {
		pre := fmt.Sprintf("chip: program: projection %d", pi)
		if pr.Source < 0 || pr.Source >= len(p.Populations) || pr.Target < 0 || pr.Target >= len(p.Populations) {
			return fmt.Errorf("%s: source %d or target %d is not a population index (0 to %d)", pre, pr.Source, pr.Target, len(p.Populations)-1)
		}
		if p.Populations[pr.Target].Role == RoleInput {
			return fmt.Errorf("%s (%s→%s): the target is an input population, which has no dynamics; project into a neuron population", pre, p.Populations[pr.Source].Name, p.Populations[pr.Target].Name)
		}
		if err := checkExp(pre+" WeightExp", pr.WeightExp); err != nil {
			return err
		}
		if err := checkExp(pre+" GradExp", pr.GradExp); err != nil {
			return err
		}
	}
	// The forward sums into a population (and its bias) and the transposed sums into a
	// source are aligned by left shifts into 64 bits: every term, shifted, must stay
	// within maxTermBits so that up to 2^(62−maxTermBits) of them add without overflow.
	c := &p.Config
	fw, fr, fe := c.formatOf("w").Format.Frac, c.formatOf("rate_bus").Format.Frac, c.formatOf("err_bus").Format.Frac
	bf := c.formatOf("b").Format
	// The block error bus moves a target's transposed sums by up to its shift range
	// (width(e_breve) − width(err_bus) bits) from step to step, each target on its own:
	// two of them may drift that much further apart than their registers say.
	drift := 0
	if c.ErrorBus == ErrorBusBlock {
		drift = max(c.formatOf("e_breve").Format.Width()-c.formatOf("err_bus").Format.Width(), 0)
	}
	for qi, q := range p.Populations {
		type term struct{ frac, width int }
		var fwd, bwd []term
		for _, pr := range p.Projections {
			if pr.Target == qi {
				fwd = append(fwd, term{fw + fr - pr.WeightExp - p.Populations[pr.Source].RateExp, 32})
			}
			if pr.Source == qi {
				bwd = append(bwd, term{fw + fe - pr.WeightExp - p.Populations[pr.Target].ErrorExp, 32})
			}
		}
		if q.Bias {
			fwd = append(fwd, term{bf.Frac - q.StateExp, bf.Width()})
		}
		for k, ts := range [][]term{fwd, bwd} {
			top := math.MinInt
			for _, t := range ts {
				top = max(top, t.frac)
			}
			extra := 0
			if k == 1 && len(ts) > 1 {
				extra = drift
			}
			for _, t := range ts {
				if t.width+top-t.frac+extra > maxTermBits {
					if extra > 0 && t.width+top-t.frac <= maxTermBits {
						return fmt.Errorf("chip: program: population %q: the scale registers of its outgoing projections put their transposed sums %d bits apart, and the block error bus may move them %d bits further; aligned in 64 bits they would overflow, bring the projections' WeightExp (and the targets' ErrorExp) closer or use Config.ErrorBus = ErrorBusStatic", q.Name, top-t.frac, extra)
					}
					return fmt.Errorf("chip: program: population %q: the scale registers of its projections (and its bias) put their partial sums %d bits apart; aligned in 64 bits they would overflow, bring the projections' WeightExp (and the sources' RateExp, targets' ErrorExp, its StateExp) closer", q.Name, top-t.frac)
				}
			}
		}
	}
	return nil
}

// validateSlots checks that every neuron lives in exactly one slot and returns each
// population's home tiles.
func (p *Program) validateSlots() ([][]int, error) {
	c := &p.Config
	if len(p.Tiles) != c.Tiles() {
		return nil, fmt.Errorf("chip: program: %d tiles for a %d×%d mesh; give exactly %d", len(p.Tiles), c.Rows, c.Cols, c.Tiles())
	}
	home := make([][]int, len(p.Populations))
	for qi, q := range p.Populations {
		home[qi] = make([]int, q.Size)
		for i := range home[qi] {
			home[qi][i] = -1
		}
	}
	for t := range p.Tiles {
		tl := &p.Tiles[t]
		if len(tl.Slots) > c.NeuronsPerTile {
			return nil, fmt.Errorf("chip: program: tile %d: %d neurons in %d slots (Config.NeuronsPerTile); move some to another tile", t, len(tl.Slots), c.NeuronsPerTile)
		}
		for s, ref := range tl.Slots {
			if ref.Population < 0 || ref.Population >= len(p.Populations) || ref.Neuron < 0 || ref.Neuron >= p.Populations[ref.Population].Size {
				return nil, fmt.Errorf("chip: program: tile %d slot %d names neuron %d of population %d, which does not exist", t, s, ref.Neuron, ref.Population)
			}
			h := &home[ref.Population][ref.Neuron]
			if *h >= 0 {
				return nil, fmt.Errorf("chip: program: neuron %d of population %q lives in two slots (tiles %d and %d); place it once", ref.Neuron, p.Populations[ref.Population].Name, *h, t)
			}
			*h = t
		}
	}
	for qi, hs := range home {
		for i, h := range hs {
			if h < 0 {
				return nil, fmt.Errorf("chip: program: neuron %d of population %q has no slot; place every neuron on a tile", i, p.Populations[qi].Name)
			}
		}
	}
	return home, nil
}

type rect struct{ r0, r1, c0, c1 int }

func (a rect) overlaps(b rect) bool { return a.r0 < b.r1 && b.r0 < a.r1 && a.c0 < b.c1 && b.c0 < a.c1 }

func (p *Program) validateBlocks() error {
	c := &p.Config
	wm := c.formatOf("w_mem")
	area := make([]int, len(p.Projections))
	var byProj = make([][]rect, len(p.Projections))
	for t := range p.Tiles {
		var cells []rect
		for bi, b := range p.Tiles[t].Blocks {
			pre := fmt.Sprintf("chip: program: tile %d block %d", t, bi)
			if b.Projection < 0 || b.Projection >= len(p.Projections) {
				return fmt.Errorf("%s: projection %d does not exist", pre, b.Projection)
			}
			pr := p.Projections[b.Projection]
			src, tgt := p.Populations[pr.Source], p.Populations[pr.Target]
			pre = fmt.Sprintf("%s (projection %d, %s→%s)", pre, b.Projection, src.Name, tgt.Name)
			switch {
			case b.Rows < 1 || b.Cols < 1:
				return fmt.Errorf("%s: %d×%d weights; a block has at least 1 row and 1 column", pre, b.Rows, b.Cols)
			case b.Row0 < 0 || b.Row0+b.Rows > tgt.Size:
				return fmt.Errorf("%s: rows %d…%d are outside target %q (%d neurons)", pre, b.Row0, b.Row0+b.Rows-1, tgt.Name, tgt.Size)
			case b.Col0 < 0 || b.Col0+b.Cols > src.Size:
				return fmt.Errorf("%s: columns %d…%d are outside source %q (%d neurons)", pre, b.Col0, b.Col0+b.Cols-1, src.Name, src.Size)
			case b.Cols > c.InputsPerNeuron:
				return fmt.Errorf("%s: %d inputs per neuron; a tile's crossbar accepts at most %d (Config.InputsPerNeuron), split the projection across blocks", pre, b.Cols, c.InputsPerNeuron)
			case b.Rows > c.NeuronsPerTile:
				return fmt.Errorf("%s: %d rows; a tile's crossbar has %d (Config.NeuronsPerTile), split the projection across blocks", pre, b.Rows, c.NeuronsPerTile)
			case b.CrossbarRow < 0 || b.CrossbarCol < 0 || b.CrossbarRow+b.Rows > c.NeuronsPerTile || b.CrossbarCol+b.Cols > c.InputsPerNeuron:
				return fmt.Errorf("%s: placed at crossbar row %d, column %d, it overruns the %d×%d crossbar", pre, b.CrossbarRow, b.CrossbarCol, c.NeuronsPerTile, c.InputsPerNeuron)
			case len(b.W) != b.Rows*b.Cols:
				return fmt.Errorf("%s: %d weights for %d×%d; give Rows·Cols, row-major", pre, len(b.W), b.Rows, b.Cols)
			}
			for k, w := range b.W {
				if w < wm.Format.Min() || w > wm.Format.Max() {
					return fmt.Errorf("%s: weight (%d, %d) = %d raw does not fit w_mem %s; raise the projection's WeightExp", pre, b.Row0+k/b.Cols, b.Col0+k%b.Cols, w, wm.Format)
				}
			}
			cell := rect{b.CrossbarRow, b.CrossbarRow + b.Rows, b.CrossbarCol, b.CrossbarCol + b.Cols}
			for oi, o := range cells {
				if o.overlaps(cell) {
					return fmt.Errorf("%s overlaps block %d in the crossbar; place blocks on distinct rows or columns", pre, oi)
				}
			}
			cells = append(cells, cell)
			r := rect{b.Row0, b.Row0 + b.Rows, b.Col0, b.Col0 + b.Cols}
			for _, o := range byProj[b.Projection] {
				if o.overlaps(r) {
					return fmt.Errorf("%s: its weights (rows %d…%d, columns %d…%d) are also held by another block; hold every weight once", pre, r.r0, r.r1-1, r.c0, r.c1-1)
				}
			}
			byProj[b.Projection] = append(byProj[b.Projection], r)
			area[b.Projection] += b.Rows * b.Cols
		}
	}
	for pi, pr := range p.Projections {
		if want := p.Populations[pr.Source].Size * p.Populations[pr.Target].Size; area[pi] != want {
			return fmt.Errorf("chip: program: projection %d (%s→%s): blocks hold %d of its %d weights; cover the whole matrix", pi, p.Populations[pr.Source].Name, p.Populations[pr.Target].Name, area[pi], want)
		}
	}
	return nil
}

func (p *Program) validateLoss(home [][]int) error {
	c := &p.Config
	switch p.Loss.Kind {
	case LossNone:
		return nil
	case LossMSE, LossCrossEntropy:
	default:
		return fmt.Errorf("chip: program: unknown loss %d; use LossNone, LossMSE or LossCrossEntropy", p.Loss.Kind)
	}
	if err := checkReg("β", p.Loss.Beta, c.formatOf("beta")); err != nil {
		return err
	}
	if p.OutputWidth() == 0 {
		return fmt.Errorf("chip: program: loss %s without an output population; mark one RoleOutput or use LossNone", p.Loss.Kind)
	}
	if p.Loss.Kind == LossCrossEntropy {
		tile := -1
		for qi, q := range p.Populations {
			if q.Role != RoleOutput {
				continue
			}
			for i, h := range home[qi] {
				if tile >= 0 && h != tile {
					return fmt.Errorf("chip: program: cross-entropy: output neuron %d of %q is on tile %d, others on tile %d; the softmax runs on one tile, place every output neuron there", i, q.Name, h, tile)
				}
				tile = h
			}
		}
	}
	return nil
}

func (p *Program) validateLearning() error {
	c := &p.Config
	l := &p.Learning
	if l.Optimizer > OptAdam {
		return fmt.Errorf("chip: program: unknown optimizer %d; use OptSGD, OptMomentum or OptAdam", l.Optimizer)
	}
	lr, eps, decay, tau := c.formatOf("lr"), c.formatOf("adam_eps"), c.formatOf("decay"), c.formatOf("tau_m")
	for _, k := range []struct {
		name string
		pl   ParamLearning
	}{{"weights", l.Weights}, {"biases", l.Biases}, {"τm", l.TauM}} {
		if err := checkReg("learning rate of "+k.name, k.pl.LR, lr); err != nil {
			return err
		}
		if err := checkReg("Adam ε of "+k.name, k.pl.Eps, eps); err != nil {
			return err
		}
	}
	one := int64(1) << decay.Format.Frac
	for _, d := range []struct {
		name string
		v    int64
	}{{"momentum", l.Momentum}, {"β1", l.Beta1}, {"β2", l.Beta2}} {
		if d.v < 0 || d.v >= one {
			return fmt.Errorf("chip: program: %s = %g; use a value in [0, 1)", d.name, decay.ToFloat(d.v))
		}
	}
	if l.TauM.On || l.TauMMin != 0 {
		if l.TauMMin < int64(1)<<tau.Format.Frac || l.TauMMin > tau.Format.Max() {
			return fmt.Errorf("chip: program: τm clamp = %g·dt; use a value from 1 (dt) to %g", tau.ToFloat(l.TauMMin), tau.Format.MaxFloat())
		}
	}
	return nil
}

// transfer is one neuron's worth of a route.
type transfer struct {
	kind     RouteKind
	id       int // population (rate, error) or projection (sums)
	neuron   int
	from, to int
}

// requiredTransfers lists every transfer the program's placement needs, sorted.
func (p *Program) requiredTransfers(home [][]int) []transfer {
	seen := map[transfer]bool{}
	var ts []transfer
	add := func(t transfer) {
		if t.from != t.to && !seen[t] {
			seen[t] = true
			ts = append(ts, t)
		}
	}
	for t := range p.Tiles {
		for _, b := range p.Tiles[t].Blocks {
			pr := p.Projections[b.Projection]
			srcInput := p.Populations[pr.Source].Role == RoleInput
			for j := b.Col0; j < b.Col0+b.Cols; j++ {
				h := home[pr.Source][j]
				add(transfer{RouteRate, pr.Source, j, h, t})
				if !srcInput {
					add(transfer{RouteErrorSum, b.Projection, j, t, h})
				}
			}
			for i := b.Row0; i < b.Row0+b.Rows; i++ {
				h := home[pr.Target][i]
				add(transfer{RouteSum, b.Projection, i, t, h})
				add(transfer{RouteError, pr.Target, i, h, t})
			}
		}
	}
	sortTransfers(ts)
	return ts
}

func sortTransfers(ts []transfer) {
	sort.Slice(ts, func(a, b int) bool {
		x, y := ts[a], ts[b]
		switch {
		case x.from != y.from:
			return x.from < y.from
		case x.kind != y.kind:
			return x.kind < y.kind
		case x.id != y.id:
			return x.id < y.id
		case x.to != y.to:
			return x.to < y.to
		}
		return x.neuron < y.neuron
	})
}

// DeriveRoutes fills every tile's Routes with the transfers its placement needs (each
// a maximal run of consecutive neurons), replacing what was there. The program's
// populations, projections, slots and blocks must be valid.
func (p *Program) DeriveRoutes() error {
	if err := p.Config.Validate(); err != nil {
		return err
	}
	if err := p.validatePopulations(); err != nil {
		return err
	}
	if err := p.validateProjections(); err != nil {
		return err
	}
	home, err := p.validateSlots()
	if err != nil {
		return err
	}
	if err := p.validateBlocks(); err != nil {
		return err
	}
	for t := range p.Tiles {
		p.Tiles[t].Routes = nil
	}
	ts := p.requiredTransfers(home)
	for k := 0; k < len(ts); {
		x := ts[k]
		e := k + 1
		for e < len(ts) && ts[e].from == x.from && ts[e].kind == x.kind && ts[e].id == x.id && ts[e].to == x.to && ts[e].neuron == ts[e-1].neuron+1 {
			e++
		}
		r := Route{Kind: x.kind, Lo: x.neuron, Hi: ts[e-1].neuron + 1, To: x.to}
		if x.kind == RouteRate || x.kind == RouteError {
			r.Population = x.id
		} else {
			r.Projection = x.id
		}
		p.Tiles[x.from].Routes = append(p.Tiles[x.from].Routes, r)
		k = e
	}
	return nil
}

func (p *Program) describeRoute(t int, r Route) string {
	what := ""
	switch r.Kind {
	case RouteRate, RouteError:
		name := "?"
		if r.Population >= 0 && r.Population < len(p.Populations) {
			name = p.Populations[r.Population].Name
		}
		what = fmt.Sprintf("%s of population %q", r.Kind, name)
	default:
		what = fmt.Sprintf("%s of projection %d", r.Kind, r.Projection)
	}
	return fmt.Sprintf("%s neurons %d…%d from tile %d to tile %d", what, r.Lo, r.Hi-1, t, r.To)
}

// checkRoutes compares the program's routes with the transfers its placement needs.
func (p *Program) checkRoutes(home [][]int) error {
	nt := len(p.Tiles)
	given := map[transfer]int{} // → route index + 1
	for t := range p.Tiles {
		for ri, r := range p.Tiles[t].Routes {
			pre := fmt.Sprintf("chip: program: tile %d route %d", t, ri)
			var limit int
			switch r.Kind {
			case RouteRate, RouteError:
				if r.Population < 0 || r.Population >= len(p.Populations) {
					return fmt.Errorf("%s: population %d does not exist", pre, r.Population)
				}
				limit = p.Populations[r.Population].Size
			case RouteSum, RouteErrorSum:
				if r.Projection < 0 || r.Projection >= len(p.Projections) {
					return fmt.Errorf("%s: projection %d does not exist", pre, r.Projection)
				}
				pr := p.Projections[r.Projection]
				if r.Kind == RouteSum {
					limit = p.Populations[pr.Target].Size
				} else {
					limit = p.Populations[pr.Source].Size
				}
			default:
				return fmt.Errorf("%s: unknown kind %d; use RouteRate, RouteSum, RouteError or RouteErrorSum", pre, r.Kind)
			}
			if r.To < 0 || r.To >= nt || r.To == t {
				return fmt.Errorf("%s: destination tile %d; use another tile of the mesh (0 to %d)", pre, r.To, nt-1)
			}
			if r.Lo < 0 || r.Hi > limit || r.Lo >= r.Hi {
				return fmt.Errorf("%s: neurons %d…%d; use a non-empty range within 0…%d", pre, r.Lo, r.Hi-1, limit-1)
			}
			id := r.Population
			if r.Kind == RouteSum || r.Kind == RouteErrorSum {
				id = r.Projection
			}
			for n := r.Lo; n < r.Hi; n++ {
				k := transfer{r.Kind, id, n, t, r.To}
				if given[k] != 0 {
					return fmt.Errorf("%s (%s) repeats neuron %d of route %d; send each value once", pre, p.describeRoute(t, r), n, given[k]-1)
				}
				given[k] = ri + 1
			}
		}
	}
	need := p.requiredTransfers(home)
	for _, x := range need {
		if given[x] == 0 {
			r := Route{Kind: x.kind, Lo: x.neuron, Hi: x.neuron + 1, To: x.to, Population: x.id, Projection: x.id}
			return fmt.Errorf("chip: program: tile %d lacks a route for %s; Program.DeriveRoutes fills every route", x.from, p.describeRoute(x.from, r))
		}
		delete(given, x)
	}
	if len(given) > 0 {
		var extra []transfer
		for k := range given {
			extra = append(extra, k)
		}
		sortTransfers(extra)
		x := extra[0]
		r := p.Tiles[x.from].Routes[given[x]-1]
		return fmt.Errorf("chip: program: tile %d route %d (%s) sends neuron %d, which no block there needs; Program.DeriveRoutes gives the exact routes", x.from, given[x]-1, p.describeRoute(x.from, r), x.neuron)
	}
	return nil
}
