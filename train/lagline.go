package train

import (
	"fmt"
	"math"

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
	// Loss is the mean squared output error over the last 1000 steps.
	Loss float64
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
	res := &LagLineResult{WarmupSteps: tasks.LagLineWarmupSteps, Steps: steps,
		TeacherW: tasks.LagLineTeacherW, TeacherTauM: tasks.LagLineTeacherTauM}
	p := student.Params()
	res.InitialW = [2]float64{p.Weights[0][0], p.Weights[1][0]}
	res.InitialTauM = [2]float64{p.TauM[1][0], p.TauM[2][0]}

	x := make([]float64, C)
	y := make([]float64, C)
	total := res.WarmupSteps + steps
	lossSum, lossN := 0.0, 0
	for k := range total {
		task.Input(x, k)
		if err := teacher.Step(x, nil); err != nil {
			return nil, err
		}
		copy(y, teacher.Output())
		student.SetLearning(k >= res.WarmupSteps)
		if err := student.Step(x, y); err != nil {
			return nil, err
		}
		if total-k <= 1000 {
			for c, o := range student.Output() {
				d := o - y[c]
				lossSum += d * d
				lossN++
			}
		}
		if progress != nil && (k+1)%1000 == 0 {
			progress(k+1, total)
		}
	}
	if progress != nil {
		progress(total, total)
	}
	p = student.Params()
	res.W = [2]float64{p.Weights[0][0], p.Weights[1][0]}
	res.TauM = [2]float64{p.TauM[1][0], p.TauM[2][0]}
	res.Loss = lossSum / float64(max(lossN, 1))
	return res, nil
}

// NewLagLineBackends builds the lag-line task for seed with its student on the backend
// called name and its teacher on the float reference.
func NewLagLineBackends(name string, seed uint64) (task *tasks.LagLine, student, teacher Backend, err error) {
	task, err = tasks.NewLagLine(seed)
	if err != nil {
		return nil, nil, nil, err
	}
	if student, err = NewBackend(name, task.Student, task.StudentParams, task.Contexts()); err != nil {
		return nil, nil, nil, err
	}
	if teacher, err = NewFloat(task.Teacher, task.TeacherParams, task.Contexts()); err != nil {
		return nil, nil, nil, err
	}
	return task, student, teacher, nil
}
