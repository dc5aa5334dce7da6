package chip

import (
	"fmt"
	"math"
	"strings"

	"github.com/glemu/glemu/fixedpoint"
)

// StateVars lists the variables State reads, per neuron: committed state (u, v, r,
// r_prime, eps_in), values of the last step (u_breve, e_breve, inst_e, err_bus) and
// parameters (b, tau_m, tau_r, trim_tau, trim_offset, dt_tau_m, dt_tau_r, tau_r_tau_m,
// tau_m_tau_r). Input populations have only r.
var StateVars = []string{"u", "v", "r", "r_prime", "eps_in", "u_breve", "e_breve", "inst_e", "err_bus",
	"b", "tau_m", "tau_r", "trim_tau", "trim_offset", "dt_tau_m", "dt_tau_r", "tau_r_tau_m", "tau_m_tau_r"}

// settable lists the variables SetState writes.
var settable = map[string]bool{"u": true, "v": true, "r": true, "r_prime": true, "eps_in": true,
	"b": true, "tau_m": true, "trim_tau": true, "trim_offset": true}

// stateRef describes one variable of one population.
type stateRef struct {
	v        fixedpoint.Var
	raw      []int64 // nil for the int16 buses
	bus      []int16
	exp      int     // exponent register
	scale    float64 // extra factor of the float value (dt for τ)
	contexts bool    // C × size, else size
}

func (c *Chip) stateRef(pop int, name string) (*pop, stateRef, error) {
	if pop < 0 || pop >= len(c.pops) {
		return nil, stateRef{}, fmt.Errorf("chip: population %d does not exist (the program has %d)", pop, len(c.pops))
	}
	q := c.pops[pop]
	f := &c.f
	if q.role == RoleInput {
		if name != "r" {
			return nil, stateRef{}, fmt.Errorf("chip: population %q is an input; it has only r, not %q", q.name, name)
		}
		return q, stateRef{v: f.rateBus, bus: q.rateBus, exp: q.rExp, scale: 1, contexts: true}, nil
	}
	s := stateRef{scale: 1, contexts: true}
	switch name {
	case "u":
		s.v, s.raw, s.exp = f.u, q.u, q.sExp
	case "u_breve":
		s.v, s.raw, s.exp = f.uB, q.ub, q.sExp
	case "v":
		s.v, s.raw, s.exp = f.v, q.v, q.eExp
	case "e_breve":
		s.v, s.raw, s.exp = f.eB, q.eb, q.eExp
	case "inst_e":
		s.v, s.raw, s.exp = f.inst, q.inst, q.eExp
	case "eps_in":
		s.v, s.raw, s.exp = f.eps, q.eps, q.eExp
	case "err_bus":
		// The bus's values carry this step's shift (the block error bus).
		s.v, s.bus, s.exp = f.errBus, q.errBus, q.eExp+q.busShift-c.staticShift()
	case "r":
		s.v, s.raw, s.exp = f.r, q.r, q.rExp
	case "r_prime":
		s.v, s.raw = f.rp, q.rp
	default:
		s.contexts = false
		switch name {
		case "b":
			if !q.bias {
				return nil, stateRef{}, fmt.Errorf("chip: population %q has no bias", q.name)
			}
			s.v, s.raw, s.exp = f.b, q.b, q.sExp
		case "tau_m":
			s.v, s.raw, s.scale = f.tau, q.tauM, c.prog.Dt
		case "tau_r":
			s.v, s.raw, s.scale = f.tau, q.tauR, c.prog.Dt
		case "trim_tau":
			s.v, s.raw = f.trimTau, q.trimTau
		case "trim_offset":
			s.v, s.raw = f.trimOff, q.trimOff
		case "dt_tau_m":
			s.v, s.raw = f.dtm, q.dtm
		case "dt_tau_r":
			s.v, s.raw = f.dtr, q.dtr
		case "tau_r_tau_m":
			s.v, s.raw = f.rm, q.rm
		case "tau_m_tau_r":
			s.v, s.raw = f.mr, q.mr
		default:
			return nil, stateRef{}, fmt.Errorf("chip: no state variable %q; use one of %s", name, strings.Join(StateVars, ", "))
		}
	}
	return q, s, nil
}

func (s *stateRef) len() int {
	if s.bus != nil {
		return len(s.bus)
	}
	return len(s.raw)
}

func (s *stateRef) get(i int) int64 {
	if s.bus != nil {
		return int64(s.bus[i])
	}
	return s.raw[i]
}

// StateRaw writes variable name of population pop (an index in Program.Populations) as
// raw integers into dst and returns it: C × size for per-context variables (context k's
// neuron i at k·size + i), size for parameters.
func (c *Chip) StateRaw(pop int, name string, dst []int64) ([]int64, error) {
	_, s, err := c.stateRef(pop, name)
	if err != nil {
		return nil, err
	}
	n := s.len()
	if cap(dst) < n {
		dst = make([]int64, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = s.get(i)
	}
	return dst, nil
}

// State is StateRaw dequantized: raw·2^(exponent − fraction bits), τ in the network's
// time unit.
func (c *Chip) State(pop int, name string, dst []float64) ([]float64, error) {
	_, s, err := c.stateRef(pop, name)
	if err != nil {
		return nil, err
	}
	dst = grow(dst, s.len())
	for i := range dst {
		dst[i] = math.Ldexp(s.v.ToFloat(s.get(i)), s.exp) * s.scale
	}
	return dst, nil
}

// SetStateRaw writes variable name of population pop from raw integers (the layout of
// StateRaw). Settable: u, v, r, r_prime, eps_in (committed state), b, tau_m, trim_tau,
// trim_offset (the τ-derived constants are recomputed). Every value must fit its format.
func (c *Chip) SetStateRaw(pop int, name string, src []int64) error {
	q, s, err := c.stateRef(pop, name)
	if err != nil {
		return err
	}
	if !settable[name] {
		return fmt.Errorf("chip: %q cannot be set; settable are u, v, r, r_prime, eps_in, b, tau_m, trim_tau, trim_offset", name)
	}
	if len(src) != s.len() {
		return fmt.Errorf("%w: %d values for %s of population %q, want %d", ErrShape, len(src), name, q.name, s.len())
	}
	lo, hi := s.v.Format.Min(), s.v.Format.Max()
	if name == "tau_m" {
		lo = int64(1) << s.v.Format.Frac
	}
	for i, x := range src {
		if x < lo || x > hi {
			return fmt.Errorf("chip: %s of population %q, value %d: %d does not fit %s (%d to %d)", name, q.name, i, x, s.v.Format, lo, hi)
		}
	}
	if s.bus != nil {
		for i, x := range src {
			s.bus[i] = int16(x)
		}
		return nil
	}
	copy(s.raw, src)
	switch name {
	case "r":
		c.syncRateBus(q)
	case "tau_m", "trim_tau":
		c.deriveConstants(q, 0, q.size, nil)
	case "trim_offset":
		q.updatePhiAdjust()
	}
	return nil
}

// SetState is SetStateRaw from values, each rounded half-even (and saturated) into its
// format under its exponent; τ is given in the network's time unit.
func (c *Chip) SetState(pop int, name string, src []float64) error {
	_, s, err := c.stateRef(pop, name)
	if err != nil {
		return err
	}
	raw := make([]int64, len(src))
	v := hostVar(s.v)
	for i, x := range src {
		raw[i] = v.FromFloat(math.Ldexp(x/s.scale, -s.exp), 0, nil)
	}
	return c.SetStateRaw(pop, name, raw)
}

// syncRateBus puts q's committed rates on its rate bus.
func (c *Chip) syncRateBus(q *pop) {
	f := &c.f
	for j, x := range q.r {
		if f.rateBus.Format != f.r.Format {
			x = f.rateBus.Rescale(x, f.r.Format.Frac, 0, nil)
		}
		q.rateBus[j] = int16(x)
	}
}

// WeightsRaw writes projection p's weight memory (w_mem) as raw integers, target ×
// source row-major, into dst and returns it.
func (c *Chip) WeightsRaw(p int, dst []int64) ([]int64, error) {
	if p < 0 || p >= len(c.projs) {
		return nil, fmt.Errorf("chip: projection %d does not exist (the program has %d)", p, len(c.projs))
	}
	x := c.projs[p]
	n := x.src.size
	if cap(dst) < n*x.tgt.size {
		dst = make([]int64, n*x.tgt.size)
	}
	dst = dst[:n*x.tgt.size]
	for _, b := range x.blocks {
		for i := range b.rows {
			copy(dst[(b.row0+i)*n+b.col0:(b.row0+i)*n+b.col0+b.cols], b.wMem[i*b.cols:(i+1)*b.cols])
		}
	}
	return dst, nil
}

// CrossbarRaw writes what projection p's crossbar cells hold (format w), target ×
// source row-major.
func (c *Chip) CrossbarRaw(p int, dst []int64) ([]int64, error) {
	if p < 0 || p >= len(c.projs) {
		return nil, fmt.Errorf("chip: projection %d does not exist (the program has %d)", p, len(c.projs))
	}
	x := c.projs[p]
	n := x.src.size
	if cap(dst) < n*x.tgt.size {
		dst = make([]int64, n*x.tgt.size)
	}
	dst = dst[:n*x.tgt.size]
	for _, b := range x.blocks {
		for i := range b.rows {
			for j := range b.cols {
				dst[(b.row0+i)*n+b.col0+j] = int64(b.wX[i*b.cols+j])
			}
		}
	}
	return dst, nil
}

// SetWeightsRaw writes projection p's weight memory (target × source, row-major, each
// within w_mem's range) and rewrites its crossbar cells.
func (c *Chip) SetWeightsRaw(p int, w []int64) error {
	if p < 0 || p >= len(c.projs) {
		return fmt.Errorf("chip: projection %d does not exist (the program has %d)", p, len(c.projs))
	}
	x := c.projs[p]
	n := x.src.size
	if len(w) != n*x.tgt.size {
		return fmt.Errorf("%w: %d weights for projection %d, want %d×%d", ErrShape, len(w), p, x.tgt.size, n)
	}
	wf := c.f.wMem.Format
	for i, v := range w {
		if v < wf.Min() || v > wf.Max() {
			return fmt.Errorf("chip: weight %d of projection %d: %d does not fit w_mem %s", i, p, v, wf)
		}
	}
	for _, b := range x.blocks {
		for i := range b.rows {
			copy(b.wMem[i*b.cols:(i+1)*b.cols], w[(b.row0+i)*n+b.col0:(b.row0+i)*n+b.col0+b.cols])
		}
		c.writeCrossbar(b, 0, len(b.wMem), c.steps, &c.tiles[b.tile].cnt[cntW])
	}
	return nil
}

// SetWeights is SetWeightsRaw from values rounded half-even into w_mem under the
// projection's WeightExp (saturating).
func (c *Chip) SetWeights(p int, w []float64) error {
	if p < 0 || p >= len(c.projs) {
		return fmt.Errorf("chip: projection %d does not exist (the program has %d)", p, len(c.projs))
	}
	x := c.projs[p]
	raw := make([]int64, len(w))
	v := hostVar(c.f.wMem)
	for i, y := range w {
		raw[i] = v.FromFloat(math.Ldexp(y, -x.wExp), 0, nil)
	}
	return c.SetWeightsRaw(p, raw)
}

// PopulationIndex returns the index of the population called name.
func (c *Chip) PopulationIndex(name string) (int, bool) {
	for i, q := range c.pops {
		if q.name == name {
			return i, true
		}
	}
	return -1, false
}
