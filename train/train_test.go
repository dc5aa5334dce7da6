package train

import (
	"flag"
	"testing"

	"github.com/glemu/glemu/tasks"
)

var long = flag.Bool("long", false, "run long tests")

// lagLineSteps is the shortened schedule of the default test: 70 000 learning steps
// (700 time units) after the 5 000-step warm-up. Measured over seeds 1–5 the largest
// relative error of W and τm is 5–10 % after 50 000 learning steps, ≤ 0.3 % after
// 60 000 and ≤ 0.01 % after 70 000, where it stays through the paper's 400 000.
const lagLineSteps = 70000

func TestLagLineStudentRecoversTeacher(t *testing.T) {
	seeds, steps := []uint64{1}, lagLineSteps
	if *long {
		seeds, steps = []uint64{1, 2, 3}, tasks.LagLinePaperSteps
	}
	for _, seed := range seeds {
		task, student, teacher, err := NewLagLineBackends("float", seed, ChipOptions{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := LagLine(task, student, teacher, steps, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d, %d+%d steps: W %v → %v, τm %v → %v; largest relative error %.2g; loss %.3g",
			seed, res.WarmupSteps, res.Steps, res.InitialW, res.W, res.InitialTauM, res.TauM, res.RelErr(), res.Loss)
		if res.RelErr() > 0.02 {
			t.Errorf("seed %d: the student is %.1f %% off the teacher (W %v, τm %v); want within 2 %%", seed, 100*res.RelErr(), res.W, res.TauM)
		}
		// It did learn: the draws from U(0, 1) start far from the teacher.
		start := LagLineResult{W: res.InitialW, TauM: res.InitialTauM, TeacherW: res.TeacherW, TeacherTauM: res.TeacherTauM}
		if start.RelErr() < 0.3 {
			t.Errorf("seed %d starts only %.2g off the teacher; the test proves nothing", seed, start.RelErr())
		}
	}
}

// TestWarmupDoesNotLearn: during the warm-up the student's parameters stay put.
func TestWarmupDoesNotLearn(t *testing.T) {
	task, student, teacher, err := NewLagLineBackends("float", 7, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := LagLine(task, student, teacher, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.W != res.InitialW || res.TauM != res.InitialTauM {
		t.Errorf("parameters changed during warm-up: %v %v → %v %v", res.InitialW, res.InitialTauM, res.W, res.TauM)
	}
}

func TestBackends(t *testing.T) {
	if _, _, _, err := NewLagLineBackends("gpu", 1, ChipOptions{}); err == nil || err.Error() != `train: unknown backend "gpu"; use float or chip` {
		t.Errorf("unknown backend: %v", err)
	}
	task, s, te, _ := NewLagLineBackends("float", 1, ChipOptions{})
	if _, err := LagLine(task, s, te, -1, nil); err == nil {
		t.Error("negative steps accepted")
	}
}

// TestMNIST1DLearnsLong (-long, about 5 minutes): the paper's network and settings,
// seed 1, for 5 epochs. Measured: test accuracy 10.4, 21.3, 17.7, 17.7, 33.1 % (the
// paper's mean after 5 epochs: 37.7 %, varying a lot between seeds); asserted: ≥ 25 %
// after epoch 5, from chance (10 %) at the start.
func TestMNIST1DLearnsLong(t *testing.T) {
	if !*long {
		t.Skip("trains the paper's network for 5 epochs; run with -long")
	}
	data, err := tasks.NewMNIST1D()
	if err != nil {
		t.Fatal(err)
	}
	nw, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRun(Config{Task: "mnist1d", Net: nw, Data: data, Backend: "float", Seed: 1, Contexts: tasks.MNIST1DContexts})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		e, err := r.Epoch(nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("epoch %d: train %.1f %%, test %.1f %% (loss %.4f), %.0f s", e.Epoch, 100*e.Train.Accuracy, 100*e.Test.Accuracy, e.Test.Loss, e.Seconds)
	}
	if acc := r.History[4].Test.Accuracy; acc < 0.25 {
		t.Errorf("test accuracy %.1f %% after 5 epochs; want ≥ 25 %%", 100*acc)
	}
}
