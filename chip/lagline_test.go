package chip_test

import (
	"flag"
	"math"
	"testing"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/tasks"
)

var (
	lagSteps   = flag.Int("lag-steps", tasks.LagLinePaperSteps, "learning steps of the long lag-line test")
	lagFormats = flag.String("lag-formats", "", "format overrides for the lag-line test, name=Qm.n,...")
	lagErrSR   = flag.Bool("lag-err-sr", true, "round ĕ onto the error bus stochastically in the lag-line test")
	lagRateExp = flag.Int("lag-rate-exp", 0, "RateExp of every population in the lag-line test")
)

type lagResult struct {
	w, tau [2]float64
	loss   float64 // mean squared output error over the last 4000 steps
}

// runLagLine runs the spec's lag-line task (teacher in gle, student on the chip, or on
// gle when cfg is nil) for warm-up plus steps learning steps.
func runLagLine(t testing.TB, cfg *chip.Config, steps int, report func(k int, r lagResult)) lagResult {
	task, err := tasks.NewLagLine(1)
	if err != nil {
		t.Fatal(err)
	}
	C := task.Contexts()
	teacher, err := gle.New(task.Teacher, task.TeacherParams, C)
	if err != nil {
		t.Fatal(err)
	}
	var student *chip.Chip
	var ref *gle.Net
	if cfg != nil {
		// The teacher's weights reach 2 (and the student overshoots): ±4.
		p, err := chiptest.Map(task.Student, task.StudentParams, chiptest.Options{Contexts: C, Config: cfg, WeightExp: map[int]int{0: 0, 1: 0},
			RateExp: map[string]int{"x": *lagRateExp, "l0": *lagRateExp, "l1": *lagRateExp}})
		if err != nil {
			t.Fatal(err)
		}
		if student, err = chip.New(p); err != nil {
			t.Fatal(err)
		}
		student.SetLearning(false)
	} else if ref, err = gle.New(task.Student, task.StudentParams, C); err != nil {
		t.Fatal(err)
	}
	x := make([]float64, C)
	y := make([]float64, C)
	out := make([]float64, C)
	var res lagResult
	var sse float64
	n := 0
	read := func() {
		if student != nil {
			for i := range 2 {
				w, _ := student.Weights(i, nil)
				tm, _ := student.State(i+1, "tau_m", nil)
				res.w[i], res.tau[i] = w[0], tm[0]
			}
		} else {
			for i := range 2 {
				res.w[i], res.tau[i] = ref.Projections[i].W[0], ref.Populations[i+1].TauM[0]
			}
		}
	}
	total := tasks.LagLineWarmupSteps + steps
	for k := range total {
		if k == tasks.LagLineWarmupSteps && student != nil {
			student.SetLearning(true)
		}
		task.Input(x, k)
		if err := teacher.Step(x, nil); err != nil {
			t.Fatal(err)
		}
		copy(y, teacher.Out)
		if student != nil {
			if err := student.StepWith(x, y); err != nil {
				t.Fatal(err)
			}
			out = student.Output(out)
		} else {
			if k < tasks.LagLineWarmupSteps {
				lr := ref.LR
				ref.LR = 0
				err = ref.Step(x, y)
				ref.LR = lr
			} else {
				err = ref.Step(x, y)
			}
			if err != nil {
				t.Fatal(err)
			}
			copy(out, ref.Out)
		}
		if k >= total-4000 {
			for i := range out {
				sse += (out[i] - y[i]) * (out[i] - y[i])
				n++
			}
		}
		if report != nil && (k+1-tasks.LagLineWarmupSteps)%(steps/10) == 0 && k >= tasks.LagLineWarmupSteps {
			read()
			report(k+1-tasks.LagLineWarmupSteps, res)
		}
	}
	read()
	res.loss = sse / float64(max(n, 1))
	if student != nil {
		t.Log(student.Health())
		for i := range 3 {
			for _, v := range []string{"e_breve", "u", "r", "b"} {
				if x, err := student.State(i, v, nil); err == nil {
					lo, hi := x[0], x[0]
					for _, y := range x {
						lo, hi = min(lo, y), max(hi, y)
					}
					t.Logf("pop %d %s in [%.4g, %.4g]", i, v, lo, hi)
				}
			}
		}
	}
	return res
}

// TestLagLineConverges: the lag-line student recovers the teacher's W = (1, 2) and
// τm = (1, 2) when it learns on the chip (Adam lr 1e-4, β = 0.01, 400 000 steps), as it
// does on gle.
func TestLagLineConverges(t *testing.T) {
	if !*long {
		t.Skip("long: run with -long")
	}
	cfg := chip.DefaultConfig()
	applyFormats(t, &cfg, *lagFormats)
	if *lagErrSR {
		setRounding(&cfg, "err_bus", fixedpoint.Stochastic)
	}
	t0 := time.Now()
	rc := runLagLine(t, &cfg, *lagSteps, func(k int, r lagResult) {
		t.Logf("chip step %d: W %.4f %.4f τm %.4f %.4f", k, r.w[0], r.w[1], r.tau[0], r.tau[1])
	})
	t.Logf("chip: %v", time.Since(t0))
	rg := runLagLine(t, nil, *lagSteps, nil)
	t.Logf("chip: W %.4f %.4f, τm %.4f %.4f, final MSE %.3g", rc.w[0], rc.w[1], rc.tau[0], rc.tau[1], rc.loss)
	t.Logf("gle:  W %.4f %.4f, τm %.4f %.4f, final MSE %.3g", rg.w[0], rg.w[1], rg.tau[0], rg.tau[1], rg.loss)
	for i := range 2 {
		want := float64(i + 1)
		if math.Abs(rc.w[i]-want) > 0.05*want || math.Abs(rc.tau[i]-want) > 0.05*want {
			t.Errorf("layer %d: the chip learned W %.4f, τm %.4f; the teacher has %g, %g", i, rc.w[i], rc.tau[i], want, want)
		}
	}
}
