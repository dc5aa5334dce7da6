package chip

import (
	"errors"
	"fmt"
	"math"

	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/trace"
)

// draw returns the stochastic-rounding draw of variable v of population owner, context
// k, neuron i at the current step, or 0 when v does not round stochastically.
func (c *Chip) draw(v fixedpoint.Var, owner, k, i int) uint64 {
	if v.Rounding != fixedpoint.Stochastic {
		return 0
	}
	return fixedpoint.NewStream(c.seed, streamKey(v.Name, owner), uint64(k), c.steps).Draw(uint64(i))
}

// ErrShape is returned (wrapped) when a slice has the wrong length.
var ErrShape = errors.New("chip: wrong length")

// Contexts is the number of contexts C.
func (c *Chip) Contexts() int { return c.contexts }

// InputWidth and OutputWidth are the lengths of one context's input and of its output
// and target vectors.
func (c *Chip) InputWidth() int  { return c.inWidth }
func (c *Chip) OutputWidth() int { return c.outWidth }

// Steps is the number of steps taken.
func (c *Chip) Steps() uint64 { return c.steps }

// Program returns a copy of the loaded program with the current parameters (weights,
// biases, τm) in place of the loaded ones.
func (c *Chip) Program() *Program {
	p := cloneProgram(&c.prog)
	for t := range p.Tiles {
		for k := range p.Tiles[t].Blocks {
			copy(p.Tiles[t].Blocks[k].W, c.tiles[t].blocks[k].wMem)
		}
	}
	for qi, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		copy(p.Populations[qi].TauM, q.tauM)
		if q.bias {
			copy(p.Populations[qi].B, q.b)
		}
	}
	return p
}

// SetInput quantizes the input of the next step, x (C × InputWidth, row-major: context
// k's input at k·InputWidth), into each input population's rate_bus format (half-even,
// saturating; saturations are counted as host events).
func (c *Chip) SetInput(x []float64) error {
	if len(x) != c.contexts*c.inWidth {
		return fmt.Errorf("%w: input has %d values, want %d contexts × %d", ErrShape, len(x), c.contexts, c.inWidth)
	}
	f := &c.f
	for _, q := range c.inputs {
		for k := range c.contexts {
			row := x[k*c.inWidth+q.inOff : k*c.inWidth+q.inOff+q.size]
			for i, v := range row {
				q.rateBus[k*q.size+i] = int16(hostVar(f.rateBus).FromFloat(math.Ldexp(v, -q.rExp), 0, &c.hostCnt))
			}
		}
	}
	return nil
}

// hostVar is v with half-even rounding: the host quantizes deterministically.
func hostVar(v fixedpoint.Var) fixedpoint.Var {
	v.Rounding = fixedpoint.HalfEven
	return v
}

// SetInputRaw sets the input of the next step as raw rate_bus values (C × InputWidth),
// each within the format's range.
func (c *Chip) SetInputRaw(x []int64) error {
	if len(x) != c.contexts*c.inWidth {
		return fmt.Errorf("%w: input has %d values, want %d contexts × %d", ErrShape, len(x), c.contexts, c.inWidth)
	}
	bf := c.f.rateBus.Format
	for i, v := range x {
		if v < bf.Min() || v > bf.Max() {
			return fmt.Errorf("chip: input value %d (index %d) does not fit rate_bus %s", v, i, bf)
		}
	}
	for _, q := range c.inputs {
		for k := range c.contexts {
			for i := range q.size {
				q.rateBus[k*q.size+i] = int16(x[k*c.inWidth+q.inOff+i])
			}
		}
	}
	return nil
}

// SetTarget quantizes the target of the next step, y (C × OutputWidth), into each
// output population's r format; the output error of the next steps is formed from it
// until ClearTarget. For cross-entropy, y holds probabilities (a one-hot row per
// context; see SetLabels).
func (c *Chip) SetTarget(y []float64) error {
	if len(y) != c.contexts*c.outWidth {
		return fmt.Errorf("%w: target has %d values, want %d contexts × %d", ErrShape, len(y), c.contexts, c.outWidth)
	}
	rv := hostVar(c.f.r)
	for _, q := range c.outputs {
		for k := range c.contexts {
			for i := range q.size {
				j := k*c.outWidth + q.outOff + i
				c.target[j] = rv.FromFloat(math.Ldexp(y[j], -q.rExp), 0, &c.hostCnt)
			}
		}
	}
	c.hasTarget = true
	return nil
}

// SetTargetRaw sets the target as raw r values (C × OutputWidth).
func (c *Chip) SetTargetRaw(y []int64) error {
	if len(y) != c.contexts*c.outWidth {
		return fmt.Errorf("%w: target has %d values, want %d contexts × %d", ErrShape, len(y), c.contexts, c.outWidth)
	}
	rf := c.f.r.Format
	for i, v := range y {
		if v < rf.Min() || v > rf.Max() {
			return fmt.Errorf("chip: target value %d (index %d) does not fit r %s", v, i, rf)
		}
	}
	copy(c.target, y)
	c.hasTarget = true
	return nil
}

// SetLabels sets a one-hot target from one class label per context (cross-entropy
// training).
func (c *Chip) SetLabels(labels []int) error {
	if len(labels) != c.contexts {
		return fmt.Errorf("%w: %d labels for %d contexts", ErrShape, len(labels), c.contexts)
	}
	for k, l := range labels {
		if l < 0 || l >= c.outWidth {
			return fmt.Errorf("chip: label %d of context %d is outside 0…%d", l, k, c.outWidth-1)
		}
	}
	clear(c.target)
	for _, q := range c.outputs {
		one := int64(1) << (c.f.r.Format.Frac - q.rExp)
		for k, l := range labels {
			if l >= q.outOff && l < q.outOff+q.size {
				c.target[k*c.outWidth+l] = min(one, c.f.r.Format.Max())
			}
		}
	}
	c.hasTarget = true
	return nil
}

// ClearTarget removes the target: e* = 0 from the next step on (inference).
func (c *Chip) ClearTarget() { c.hasTarget = false }

// Output writes the output reported at the last step (the output populations' rates
// committed before it, dequantized; C × OutputWidth) into dst and returns it.
func (c *Chip) Output(dst []float64) []float64 {
	dst = grow(dst, len(c.out))
	w := c.outWidth
	for _, q := range c.outputs {
		for k := range c.contexts {
			for i := range q.size {
				j := k*w + q.outOff + i
				dst[j] = math.Ldexp(c.f.r.ToFloat(c.out[j]), q.rExp)
			}
		}
	}
	return dst
}

// OutputRaw writes the output reported at the last step as raw r values.
func (c *Chip) OutputRaw(dst []int64) []int64 {
	if cap(dst) < len(c.out) {
		dst = make([]int64, len(c.out))
	}
	dst = dst[:len(c.out)]
	copy(dst, c.out)
	return dst
}

func grow(dst []float64, n int) []float64 {
	if cap(dst) < n {
		return make([]float64, n)
	}
	return dst[:n]
}

// Step with data: StepWith sets x and y (nil: no target) and steps.
func (c *Chip) StepWith(x, y []float64) error {
	if err := c.SetInput(x); err != nil {
		return err
	}
	if y == nil {
		c.ClearTarget()
	} else if err := c.SetTarget(y); err != nil {
		return err
	}
	return c.Step()
}

// Source streams inputs and targets: Next fills x (C × InputWidth) and y
// (C × OutputWidth) for step k and reports whether y holds a target.
type Source interface {
	Next(k int, x, y []float64) (target bool, err error)
}

// Run takes n steps with inputs and targets from src; after (if not nil) is called
// after every step with the step's index.
func (c *Chip) Run(n int, src Source, after func(k int) error) error {
	x := make([]float64, c.contexts*c.inWidth)
	y := make([]float64, c.contexts*c.outWidth)
	for k := range n {
		t, err := src.Next(k, x, y)
		if err != nil {
			return err
		}
		if err := c.SetInput(x); err != nil {
			return err
		}
		if t {
			if err := c.SetTarget(y); err != nil {
				return err
			}
		} else {
			c.ClearTarget()
		}
		if err := c.Step(); err != nil {
			return err
		}
		if after != nil {
			if err := after(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetLearning switches learning on or off; it stays off for kinds of parameters the
// program's Learning does not switch on.
func (c *Chip) SetLearning(on bool) {
	c.learnOn = on && (c.prog.Learning.Weights.On || c.prog.Learning.Biases.On || c.prog.Learning.TauM.On)
	c.cost = nil
}

// Learning reports whether learning is on.
func (c *Chip) Learning() bool { return c.learnOn }

// LearningRegisters returns the learning registers.
func (c *Chip) LearningRegisters() Learning { return c.prog.Learning }

// SetLearningRegisters replaces the learning registers (learning rates, ε, decays,
// which kinds learn, the τm clamp) between steps, e.g. for a schedule. The optimizer
// kind cannot change; Adam's bias-correction state is kept.
func (c *Chip) SetLearningRegisters(l Learning) error {
	if l.Optimizer != c.prog.Learning.Optimizer {
		return fmt.Errorf("chip: the optimizer is %s; it cannot change to %s on a loaded program", c.prog.Learning.Optimizer, l.Optimizer)
	}
	old := c.prog.Learning
	c.prog.Learning = l
	if err := c.prog.validateLearning(); err != nil {
		c.prog.Learning = old
		return err
	}
	c.cost = nil
	c.learnOn = c.learnOn && (l.Weights.On || l.Biases.On || l.TauM.On)
	return nil
}

// Weights writes projection p's weights (the weight memory w_mem, dequantized;
// target × source, row-major) into dst and returns it.
func (c *Chip) Weights(p int, dst []float64) ([]float64, error) {
	if p < 0 || p >= len(c.projs) {
		return nil, fmt.Errorf("chip: projection %d does not exist (the program has %d)", p, len(c.projs))
	}
	x := c.projs[p]
	n := x.src.size
	dst = grow(dst, n*x.tgt.size)
	for _, b := range x.blocks {
		for i := range b.rows {
			for j := range b.cols {
				dst[(b.row0+i)*n+b.col0+j] = math.Ldexp(c.f.wMem.ToFloat(b.wMem[i*b.cols+j]), x.wExp)
			}
		}
	}
	return dst, nil
}

// TraceSource feeds Run from CSV streams (trace.ReadStream): inputs holds
// InputWidth values per context and step, targets (nil: no target) OutputWidth; a
// stream of one context feeds every context; a short stream repeats.
func (c *Chip) TraceSource(inputs, targets *trace.Stream) (Source, error) {
	check := func(what string, s *trace.Stream, width int) error {
		if s.Width != width {
			return fmt.Errorf("chip: %s stream has %d columns, the program takes %d", what, s.Width, width)
		}
		if s.Contexts != 1 && s.Contexts != c.contexts {
			return fmt.Errorf("chip: %s stream has %d contexts, the chip runs %d (or give 1 for all)", what, s.Contexts, c.contexts)
		}
		if s.Steps < 1 {
			return fmt.Errorf("chip: %s stream is empty", what)
		}
		return nil
	}
	if inputs == nil {
		return nil, errors.New("chip: no input stream")
	}
	if err := check("input", inputs, c.inWidth); err != nil {
		return nil, err
	}
	if targets != nil {
		if err := check("target", targets, c.outWidth); err != nil {
			return nil, err
		}
	}
	return traceSource{inputs, targets}, nil
}

type traceSource struct{ in, tg *trace.Stream }

func (s traceSource) Next(k int, x, y []float64) (bool, error) {
	fill := func(dst []float64, st *trace.Stream) {
		row := st.Row(k)
		for i := 0; i < len(dst); i += len(row) {
			copy(dst[i:], row)
		}
	}
	fill(x, s.in)
	if s.tg == nil {
		return false, nil
	}
	fill(y, s.tg)
	return true, nil
}
