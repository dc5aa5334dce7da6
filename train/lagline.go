package train

import (
	"fmt"
	"math"

	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

// LagLineResult is what the lag-line student learned.
type LagLineResult struct {
	// WarmupSteps without learning, then Steps with learning.
	WarmupSteps, Steps int
	// Initial and learned student parameters, and the teacher's.
	InitialW, InitialTauM [2]float64
	W, TauM               [2]float64
	TeacherW, TeacherTauM [2]float64
	// Loss is the mean squared output error over the last 1000 steps (over the steps
	// since the last multiple of 1000 when the total is not one).
	Loss float64
	// Run is the imitation run, with its records and output traces (parameters
	// recorded: W0, W1, tau_m0, tau_m1).
	Run *Imitation
}

// RelErr returns the largest relative error of the learned W and τm against the
// teacher's.
func (r *LagLineResult) RelErr() float64 {
	e := 0.0
	for i := range 2 {
		e = max(e, math.Abs(r.W[i]-r.TeacherW[i])/math.Abs(r.TeacherW[i]))
		e = max(e, math.Abs(r.TauM[i]-r.TeacherTauM[i])/math.Abs(r.TeacherTauM[i]))
	}
	return e
}

// LagLineNames are the lag-line parameters an Imitation records.
var LagLineNames = []string{"W0", "W1", "tau_m0", "tau_m1"}

func readLagLine(p *network.Params, dst []float64) {
	dst[0], dst[1], dst[2], dst[3] = p.Weights[0][0], p.Weights[1][0], p.TauM[1][0], p.TauM[2][0]
}

// LagLine trains the lag-line student on student against the teacher on teacher: at
// every step the teacher is stepped with x_k first and its reported output is the
// student's target y_k. The first task-defined warm-up steps run without learning, then
// steps steps learn. progress, if not nil, is called every 1000 steps with the steps
// done and the total.
func LagLine(task *tasks.LagLine, student, teacher Backend, steps int, progress func(done, total int)) (*LagLineResult, error) {
	C := task.Contexts()
	if student.Contexts() != C || teacher.Contexts() != C {
		return nil, fmt.Errorf("train: lag-line needs %d contexts on both backends", C)
	}
	if steps < 0 {
		return nil, fmt.Errorf("train: %d steps; give a number ≥ 0", steps)
	}
	m := &Imitation{Student: student, Teacher: teacher, Input: task.Input, Warmup: tasks.LagLineWarmupSteps, Steps: steps,
		Names: LagLineNames, Read: readLagLine}
	if err := m.Run(progress); err != nil {
		return nil, err
	}
	first, last := m.Records[0].Params, m.Records[len(m.Records)-1]
	return &LagLineResult{WarmupSteps: m.Warmup, Steps: steps,
		TeacherW: tasks.LagLineTeacherW, TeacherTauM: tasks.LagLineTeacherTauM,
		InitialW: [2]float64{first[0], first[1]}, InitialTauM: [2]float64{first[2], first[3]},
		W: [2]float64{last.Params[0], last.Params[1]}, TauM: [2]float64{last.Params[2], last.Params[3]},
		Loss: last.Loss, Run: m}, nil
}

// NewLagLineBackends builds the lag-line task for seed with its student on the backend
// called name and its teacher on the float reference. The chip student's compiler
// ranges on the warm-up's inputs and the teacher's outputs (opt.Samples, if nil).
func NewLagLineBackends(name string, seed uint64, opt ChipOptions) (task *tasks.LagLine, student, teacher Backend, err error) {
	task, err = tasks.NewLagLine(seed)
	if err != nil {
		return nil, nil, nil, err
	}
	if name == "chip" && opt.Samples == nil {
		if opt.Samples, err = imitationSamples(task.Teacher, task.TeacherParams, task.Contexts(), task.Input, tasks.LagLineWarmupSteps); err != nil {
			return nil, nil, nil, err
		}
	}
	if student, err = NewBackend(name, lagLineChipHints(task.Student, name), task.StudentParams, task.Contexts(), opt); err != nil {
		return nil, nil, nil, err
	}
	if teacher, err = NewFloat(task.Teacher, task.TeacherParams, task.Contexts()); err != nil {
		return nil, nil, nil, err
	}
	return task, student, teacher, nil
}

// The lag-line student's scale registers on the chip, which the compiler cannot infer
// from the student's initial draws (W and τm below 1):
//
//   - lagLineWeightExp: ±4 in w (Q2.13 at exponent 0), because the teacher's weights
//     reach 2 and the student overshoots on the way; from the draws the compiler
//     chooses ±1 and clips the learned W1 at 1.
//   - lagLineErrorExp: the e domain at exponent −6 (ĕ, v, ε_in in Q7.24: ±2; on the
//     static error bus err_bus Q4.11: ±0.25), because the hidden unit's error grows
//     with W1 (ĕ0 = W1·r1′·ĕ1) tenfold while the student learns. From the initial
//     errors the compiler chooses exponent −13; on the static bus err_bus then
//     saturated as W1 grew and learning diverged (W → 2.5 and 4, 70 000 steps). With
//     the block bus (the default) the hint is kept; whether it is still needed there
//     has not been measured.
const (
	lagLineWeightExp = 0
	lagLineErrorExp  = -6
)

// lagLineChipHints returns the student network for backend: for the chip a copy with
// the lag-line scale hints on every projection and neuron population that does not set
// its own.
func lagLineChipHints(nw *network.Network, backend string) *network.Network {
	if backend != "chip" {
		return nw
	}
	out := *nw
	out.Projections = append([]network.Projection(nil), nw.Projections...)
	for i := range out.Projections {
		p := &out.Projections[i]
		hint := network.ProjectionChip{}
		if p.Chip != nil {
			hint = *p.Chip
		}
		if hint.WeightExp == nil {
			e := lagLineWeightExp
			hint.WeightExp = &e
		}
		p.Chip = &hint
	}
	out.Populations = append([]network.Population(nil), nw.Populations...)
	for i := range out.Populations {
		q := &out.Populations[i]
		hint := network.PopulationChip{}
		if q.Chip != nil {
			hint = *q.Chip
		}
		if q.Input {
			continue
		}
		if hint.ErrorExp == nil {
			e := lagLineErrorExp
			hint.ErrorExp = &e
		}
		q.Chip = &hint
	}
	return &out
}

// LagNetResult is what the lag-net student learned.
type LagNetResult struct {
	WarmupSteps, Steps int
	// Names of the weights (W<projection>[<target>,<source>]), with the student's
	// initial and learned values and the teacher's, in the same order.
	Names                     []string
	Initial, Learned, Teacher []float64
	// InitialLoss and Loss are the mean squared output error over the first and the
	// last 1000 learning steps.
	InitialLoss, Loss float64
	Run               *Imitation
}

// LagNet trains lag-net's student on student to imitate the teacher on teacher (one
// context each) for warm-up warm steps without learning and then steps learning steps,
// on the input tasks.LagNetInput.
func LagNet(task *tasks.LagNet, student, teacher Backend, warm, steps int, progress func(done, total int)) (*LagNetResult, error) {
	var names []string
	nw := task.Student
	for p := range nw.Projections {
		s, t := nw.Endpoints(p)
		for i := range nw.Populations[t].Size {
			for j := range nw.Populations[s].Size {
				names = append(names, fmt.Sprintf("W%d[%d,%d]", p, i, j))
			}
		}
	}
	read := func(p *network.Params, dst []float64) {
		k := 0
		for _, w := range p.Weights {
			k += copy(dst[k:], w)
		}
	}
	m := &Imitation{Student: student, Teacher: teacher, Warmup: warm, Steps: steps, Names: names, Read: read,
		Input: lagNetInput}
	if err := m.Run(progress); err != nil {
		return nil, err
	}
	teach := make([]float64, len(names))
	read(task.TeacherParams, teach)
	res := &LagNetResult{WarmupSteps: warm, Steps: steps, Names: names, Teacher: teach,
		Initial: m.Records[0].Params, Learned: m.Records[len(m.Records)-1].Params, Loss: m.Records[len(m.Records)-1].Loss, Run: m}
	res.InitialLoss = math.NaN()
	for _, r := range m.Records {
		if r.Step > warm {
			res.InitialLoss = r.Loss
			break
		}
	}
	return res, nil
}

// NewLagNetBackends builds lag-net for seed with its student on the backend called name
// and its teacher on the float reference, one context each. The chip student's compiler
// ranges on warm steps of the input and the teacher's outputs (opt.Samples, if nil).
func NewLagNetBackends(name string, seed uint64, warm int, opt ChipOptions) (task *tasks.LagNet, student, teacher Backend, err error) {
	if task, err = tasks.NewLagNet(seed); err != nil {
		return nil, nil, nil, err
	}
	if name == "chip" && opt.Samples == nil {
		if opt.Samples, err = imitationSamples(task.Teacher, task.TeacherParams, 1, lagNetInput, max(warm, 1)); err != nil {
			return nil, nil, nil, err
		}
	}
	if student, err = NewBackend(name, task.Student, task.StudentParams, 1, opt); err != nil {
		return nil, nil, nil, err
	}
	if teacher, err = NewFloat(task.Teacher, task.TeacherParams, 1); err != nil {
		return nil, nil, nil, err
	}
	return task, student, teacher, nil
}

// lagNetInput writes lag-net's input at step k into every context.
func lagNetInput(dst []float64, k int) {
	x := tasks.LagNetInput(float64(k) * tasks.LagNetDt)
	for c := range dst {
		dst[c] = x
	}
}

// imitationSamples runs a fresh float teacher for steps steps of input (contexts
// contexts) and returns context 0's inputs and the teacher's outputs as the compiler's
// ranging samples.
func imitationSamples(net *network.Network, params *network.Params, contexts int, input func(dst []float64, k int), steps int) (*compiler.Samples, error) {
	t, err := NewFloat(net, params, contexts)
	if err != nil {
		return nil, err
	}
	in, ow := net.InputWidth(), net.OutputWidth()
	x := make([]float64, contexts*in)
	s := &compiler.Samples{}
	for k := range steps {
		input(x, k)
		if err := t.Step(x, nil); err != nil {
			return nil, err
		}
		s.Inputs = append(s.Inputs, append([]float64(nil), x[:in]...))
		s.Targets = append(s.Targets, append([]float64(nil), t.Output()[:ow]...))
	}
	return s, nil
}
