package host

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/host/command"
)

// Target says what a step does with the target (the output error's reference).
type Target = command.TargetMode

const (
	// TargetNone: no target (inference): the output error is 0.
	TargetNone = command.TargetNone
	// TargetValues: Input.Y is the target.
	TargetValues = command.TargetValues
	// TargetLabels: Input.Labels are class labels, one per context (a one-hot target,
	// as chip.Chip.SetLabels sets it).
	TargetLabels = command.TargetLabels
	// TargetHold: the previous step's target stays.
	TargetHold = command.TargetHold
)

// Input is one step's input and target, which a Source fills. Its slices have their
// lengths set by the Device and keep what the Source left in them at the previous step.
type Input struct {
	X      []float64 // C × InputWidth: context k's input at k·InputWidth
	Y      []float64 // C × OutputWidth, read with TargetValues
	Labels []int     // C labels, read with TargetLabels
	Target Target
}

// Source streams a run's inputs and targets: Next fills in for step k of the run.
type Source interface {
	Next(k int, in *Input) error
}

// SourceFunc is a function as a Source.
type SourceFunc func(k int, in *Input) error

func (f SourceFunc) Next(k int, in *Input) error { return f(k, in) }

// ChipSource adapts a chip.Source (such as chip.Chip.TraceSource's CSV streams) to
// Run: its inputs, and its target on the steps it reports one (none on the others).
func ChipSource(src chip.Source) Source {
	return SourceFunc(func(k int, in *Input) error {
		target, err := src.Next(k, in.X, in.Y)
		in.Target = TargetNone
		if target {
			in.Target = TargetValues
		}
		return err
	})
}

// Output is one step's output, handed to a Sink.
type Output struct {
	// Values is the output reported at the step, dequantized (C × OutputWidth); Raw the
	// same as raw r values. Both are valid only during the Sink's call.
	Values []float64
	Raw    []int64
}

// Sink receives a run's outputs: Sink(k, out) for step k of the run. An error stops
// the run (the Device tells the board) and is returned by Run.
type Sink func(k int, out *Output) error

// Run takes n steps with inputs and targets from src (nil: the inputs and the target
// stay as they are) and hands every step's output to sink (nil: outputs are not sent
// back, which saves the line for a training loop that reads only counters and
// weights). Probes set with SetProbes are written every step.
//
// On a board, src runs ahead of sink by as much as the link's window holds, on another
// goroutine: the inputs stream in while the outputs stream back and the line stays
// full. If the link fails, the error is a *RunError naming the last step whose results
// came back, matching ErrTimeout or ErrDisconnected.
func (d *Device) Run(ctx context.Context, n int, src Source, sink Sink) error {
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	if err := d.needProgram(); err != nil {
		return err
	}
	if n < 0 || n > math.MaxUint32 {
		return fmt.Errorf("host: run: %d steps; run 0 to %d steps at a time", n, uint32(math.MaxUint32))
	}
	lay := &d.lay
	j := &runJob{n: n, lay: lay}
	if src != nil {
		j.flags |= command.RunInputs | command.RunTargets
		in := &Input{X: make([]float64, lay.Contexts*lay.InputWidth), Y: make([]float64, lay.Contexts*lay.OutputWidth), Labels: make([]int, lay.Contexts)}
		var x, y []int64
		j.produce = func(k int, st *command.StepIn) error {
			if err := src.Next(k, in); err != nil {
				return err
			}
			if len(in.X) != lay.Contexts*lay.InputWidth {
				return fmt.Errorf("host: run: step %d: the source left %d inputs; want %d contexts × %d", k, len(in.X), lay.Contexts, lay.InputWidth)
			}
			x = d.q.input(x, in.X)
			st.X, st.Mode = x, in.Target
			switch in.Target {
			case TargetValues:
				if len(in.Y) != lay.Contexts*lay.OutputWidth {
					return fmt.Errorf("host: run: step %d: the source left %d targets; want %d contexts × %d", k, len(in.Y), lay.Contexts, lay.OutputWidth)
				}
				y = d.q.target(y, in.Y)
				st.Y = y
			case TargetLabels:
				if len(in.Labels) != lay.Contexts {
					return fmt.Errorf("host: run: step %d: the source left %d labels for %d contexts", k, len(in.Labels), lay.Contexts)
				}
				for c, l := range in.Labels {
					if l < 0 || l >= lay.OutputWidth {
						return fmt.Errorf("host: run: step %d: label %d of context %d is outside 0…%d", k, l, c, lay.OutputWidth-1)
					}
				}
				st.Labels = in.Labels
			case TargetNone, TargetHold:
			default:
				return fmt.Errorf("host: run: step %d: unknown target mode %d", k, in.Target)
			}
			return nil
		}
	}
	if sink != nil {
		j.flags |= command.RunOutputs
		out := &Output{}
		j.consume = func(k int, raw []int64) error {
			out.Raw = raw
			out.Values = d.q.output(out.Values, raw)
			return sink(k, out)
		}
	}
	if d.probes != nil {
		j.flags |= command.RunProbes
		j.probes = d.probes
	}
	return d.runJob(ctx, j)
}

// runJob runs j on the backend and keeps the step count. Called with d.mu held.
func (d *Device) runJob(ctx context.Context, j *runJob) error {
	j.start = d.steps
	err := d.b.run(ctx, j)
	d.steps = j.start + uint64(j.done)
	if j.chipSteps != 0 || err == nil {
		d.steps = j.chipSteps
	}
	if err == nil {
		if j.probes != nil {
			return j.probes.flush()
		}
		return nil
	}
	var re *RunError
	if errors.As(err, &re) {
		return err
	}
	// The run stopped early: learn how far the chip got.
	if regs, rerr := d.b.readRegs(ctx, command.RegSteps); rerr == nil {
		d.steps = regs[0].Steps
	}
	if j.userErr != nil {
		return j.userErr
	}
	return d.fail("run", err)
}

// Step runs one step with input x (C × InputWidth) and target y (C × OutputWidth; nil
// for none), and returns its output in out (C × OutputWidth, dequantized). Over a
// serial line each Step is a round trip; Run streams many steps far faster.
func (d *Device) Step(ctx context.Context, x, y, out []float64) ([]float64, error) {
	src := SourceFunc(func(_ int, in *Input) error {
		copy(in.X, x)
		in.Target = TargetNone
		if y != nil {
			if len(y) != len(in.Y) {
				return fmt.Errorf("host: step: %d targets; want %d", len(y), len(in.Y))
			}
			copy(in.Y, y)
			in.Target = TargetValues
		}
		if len(x) != len(in.X) {
			return fmt.Errorf("host: step: %d inputs; want %d", len(x), len(in.X))
		}
		return nil
	})
	err := d.Run(ctx, 1, src, func(_ int, o *Output) error {
		out = append(out[:0], o.Values...)
		return nil
	})
	return out, err
}

// Batch is a run held in memory: Steps steps of inputs and targets, and room for the
// outputs.
type Batch struct {
	Steps int
	// X holds Steps × C × InputWidth inputs, step-major (nil: zero inputs if there
	// are targets, else the inputs stay as they are).
	X []float64
	// Y holds Steps × C × OutputWidth targets; or Labels Steps × C class labels; both
	// nil: no target.
	Y      []float64
	Labels []int
	// Out, if not nil, receives Steps × C × OutputWidth outputs.
	Out []float64
}

// RunBatch runs the steps of b.
func (d *Device) RunBatch(ctx context.Context, b *Batch) error {
	sh := d.Shape()
	nx, ny := sh.Contexts*sh.InputWidth, sh.Contexts*sh.OutputWidth
	switch {
	case b.X != nil && len(b.X) != b.Steps*nx:
		return fmt.Errorf("host: run: Batch.X has %d values; want %d steps × %d", len(b.X), b.Steps, nx)
	case b.Y != nil && len(b.Y) != b.Steps*ny:
		return fmt.Errorf("host: run: Batch.Y has %d values; want %d steps × %d", len(b.Y), b.Steps, ny)
	case b.Y == nil && b.Labels != nil && len(b.Labels) != b.Steps*sh.Contexts:
		return fmt.Errorf("host: run: Batch.Labels has %d labels; want %d steps × %d contexts", len(b.Labels), b.Steps, sh.Contexts)
	case b.Out != nil && len(b.Out) != b.Steps*ny:
		return fmt.Errorf("host: run: Batch.Out has room for %d values; want %d steps × %d", len(b.Out), b.Steps, ny)
	}
	var src Source
	if b.X != nil || b.Y != nil || b.Labels != nil {
		src = SourceFunc(func(k int, in *Input) error {
			if b.X != nil {
				copy(in.X, b.X[k*nx:])
			}
			switch {
			case b.Y != nil:
				copy(in.Y, b.Y[k*ny:])
				in.Target = TargetValues
			case b.Labels != nil:
				copy(in.Labels, b.Labels[k*sh.Contexts:])
				in.Target = TargetLabels
			default:
				in.Target = TargetNone
			}
			return nil
		})
	}
	var sink Sink
	if b.Out != nil {
		sink = func(k int, o *Output) error {
			copy(b.Out[k*ny:], o.Values)
			return nil
		}
	}
	return d.Run(ctx, b.Steps, src, sink)
}

// runJob is one Run as a backend executes it, in raw values.
type runJob struct {
	n       int
	flags   command.RunFlags
	lay     *command.Layout
	produce func(k int, in *command.StepIn) error // the step's record (RunInputs|RunTargets)
	consume func(k int, out []int64) error        // the step's outputs (RunOutputs)
	probes  *probeOut                             // RunProbes

	start     uint64 // the chip's step count before the run
	done      int    // steps whose results came back
	chipSteps uint64 // the chip's step count after the run, if the backend knows it
	userErr   error  // the Source's or the Sink's error, which stopped the run
}

// result hands step k's outputs and probe values to the sink and the probe writer.
func (j *runJob) result(k int, out []int64, vals []float64, raws []int64) error {
	if j.flags&command.RunOutputs != 0 && j.userErr == nil {
		if err := j.consume(k, out); err != nil {
			j.userErr = err
			return err
		}
	}
	if j.probes != nil {
		if err := j.probes.write(int(j.start)+k, vals, raws); err != nil {
			j.userErr = fmt.Errorf("host: run: write probes: %w", err)
			return j.userErr
		}
	}
	j.done = k + 1
	return nil
}

// quant is the host's side of the chip's port: it quantizes inputs and targets as
// chip.Chip.SetInput and SetTarget do (half-even, saturating, counting) and
// dequantizes outputs as chip.Chip.Output does, so that the Device sends raw values.
type quant struct {
	in, out       fixedpoint.Var
	inExp, outExp []int // per column of one context
	cnt           *fixedpoint.Counters
}

func newQuant(p *chip.Program, lay command.Layout, cnt *fixedpoint.Counters) *quant {
	q := &quant{in: lay.In, out: lay.Out, cnt: cnt}
	q.in.Rounding, q.out.Rounding = fixedpoint.HalfEven, fixedpoint.HalfEven
	for _, pop := range p.Populations {
		for range pop.Size {
			switch pop.Role {
			case chip.RoleInput:
				q.inExp = append(q.inExp, pop.RateExp)
			case chip.RoleOutput:
				q.outExp = append(q.outExp, pop.RateExp)
			}
		}
	}
	return q
}

func (q *quant) input(dst []int64, x []float64) []int64 {
	dst = growRaw(dst, len(x))
	w := len(q.inExp)
	for i, v := range x {
		dst[i] = q.in.FromFloat(math.Ldexp(v, -q.inExp[i%w]), 0, q.cnt)
	}
	return dst
}

func (q *quant) target(dst []int64, y []float64) []int64 {
	dst = growRaw(dst, len(y))
	w := len(q.outExp)
	for i, v := range y {
		dst[i] = q.out.FromFloat(math.Ldexp(v, -q.outExp[i%w]), 0, q.cnt)
	}
	return dst
}

func (q *quant) output(dst []float64, raw []int64) []float64 {
	if cap(dst) < len(raw) {
		dst = make([]float64, len(raw))
	}
	dst = dst[:len(raw)]
	w := len(q.outExp)
	for i, r := range raw {
		dst[i] = math.Ldexp(q.out.ToFloat(r), q.outExp[i%w])
	}
	return dst
}

func growRaw(s []int64, n int) []int64 {
	if cap(s) < n {
		return make([]int64, n)
	}
	return s[:n]
}
