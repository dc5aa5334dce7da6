package train

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

// stepsOnly hides a backend's RunWindow, so the Classifier steps it one step at a time.
type stepsOnly struct{ Backend }

// TestChipWindowEqualsSteps: a classification epoch run in whole windows (one
// Device.Run per batch) equals the same epoch run step by step, bit for bit: every
// figure and every parameter.
func TestChipWindowEqualsSteps(t *testing.T) {
	data := smallData(t)
	cfg := smallRun(t, data)
	cfg.Backend = "chip"
	var hist [2][]Epoch
	var params [2]*network.Params
	for i := range 2 {
		r, err := NewRun(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if i == 1 {
			r.Classifier.Backend = stepsOnly{r.Classifier.Backend}
		}
		for range 2 {
			if _, err := r.Epoch(nil); err != nil {
				t.Fatal(err)
			}
		}
		hist[i], params[i] = r.History, r.Classifier.Backend.Params()
	}
	if err := sameEpochs(hist[0], hist[1]); err != nil {
		t.Error(err)
	}
	for p := range params[0].Weights {
		for i, w := range params[0].Weights[p] {
			if math.Float64bits(w) != math.Float64bits(params[1].Weights[p][i]) {
				t.Fatalf("projection %d weight %d: %v in windows, %v step by step", p, i, w, params[1].Weights[p][i])
			}
		}
	}
	init, _ := cfg.Net.InitParams()
	if init.Weights[0][0] == params[0].Weights[0][0] && init.Weights[1][0] == params[0].Weights[1][0] {
		t.Error("the weights did not learn; the test proves nothing")
	}
}

// TestChipLearningRate: SetLR writes the learning-rate registers as the compiler sets
// them (weights and biases lr, τm lr/dt for Adam); a rate the register cannot hold is
// refused at the next step, with the chip's registers unchanged.
func TestChipLearningRate(t *testing.T) {
	task, err := tasks.NewLagLine(1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewChip(task.Student, task.StudentParams, 2, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lrVar, _ := c.Compiled.Program.Config.Formats.Lookup("lr")
	value := func(r chip.Reg) float64 { return math.Ldexp(lrVar.ToFloat(r.Raw), r.Exp) }
	if c.LR() != tasks.LagLineLR {
		t.Fatalf("LR %v, want the network's %v", c.LR(), tasks.LagLineLR)
	}
	x := make([]float64, 2)
	for _, tc := range []struct {
		lr      float64
		wantErr string
	}{
		{5e-4, ""},
		{1.5e-8, ""},
		{0, ""},
		{1e300, "train: learning rate 1e+300 does not fit the chip's lr register (UQ1.15); keep it within the register's range"},
	} {
		before, _ := c.Device.LearningRegisters(c.ctx)
		c.SetLR(tc.lr)
		err := c.Step(x, nil)
		l, _ := c.Device.LearningRegisters(c.ctx)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("lr %g: error %v, want %s", tc.lr, err, tc.wantErr)
			}
			if l != before {
				t.Errorf("lr %g: the registers changed after a refused rate", tc.lr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("lr %g: %v", tc.lr, err)
		}
		w, tau := value(l.Weights.LR), value(l.TauM.LR)
		if math.Abs(w-tc.lr) > 1e-4*tc.lr || math.Abs(tau-tc.lr/task.Student.Dt) > 1e-4*tc.lr/task.Student.Dt || c.LR() != tc.lr {
			t.Errorf("lr %g: registers hold %g for weights and %g for τm (want %g), LR() %g", tc.lr, w, tau, tc.lr/task.Student.Dt, c.LR())
		}
	}
}

// TestChipParams: Params reads back what the network was compiled with, to the
// resolution of the formats (weights of w_mem, τm of tau_m), with the τm drawn in the
// parameters (not the network file's).
func TestChipParams(t *testing.T) {
	task, err := tasks.NewLagLine(3)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewChip(task.Student, task.StudentParams, 1, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := c.Params()
	want := task.StudentParams
	for i := range 2 {
		if d := math.Abs(p.Weights[i][0] - want.Weights[i][0]); d > 1e-6 {
			t.Errorf("W%d = %v, compiled %v", i, p.Weights[i][0], want.Weights[i][0])
		}
		if d := math.Abs(p.TauM[i+1][0] - want.TauM[i+1][0]); d > 1e-6 || want.TauM[i+1][0] == task.Student.Populations[i+1].TauM[0] {
			t.Errorf("τm%d = %v, compiled %v (the file's %v)", i, p.TauM[i+1][0], want.TauM[i+1][0], task.Student.Populations[i+1].TauM[0])
		}
	}
}

// TestChipErrors: bad device names, shapes and checkpoints get errors, never a panic.
func TestChipErrors(t *testing.T) {
	task, err := tasks.NewLagLine(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewChip(task.Student, task.StudentParams, 2, ChipOptions{Device: "tcp://x"}); err == nil ||
		err.Error() != `host: device "tcp://x": want emu, serial:///PATH[?baud=RATE] or a device path such as /dev/ttyUSB0` {
		t.Errorf("device: %v", err)
	}
	if _, err := NewChip(task.Student, task.StudentParams, 0, ChipOptions{}); err == nil || err.Error() != "train: 0 contexts; run at least 1" {
		t.Errorf("contexts: %v", err)
	}
	c, err := NewChip(task.Student, task.StudentParams, 2, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	other, err := NewChip(task.Student, task.StudentParams, 3, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ck3, err := other.AppendCheckpoint(nil)
	if err != nil {
		t.Fatal(err)
	}
	good, err := c.AppendCheckpoint(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"short input", c.Step(make([]float64, 1), nil), "train: chip step: 1 inputs; want 2 contexts × 1"},
		{"short target", c.Step(make([]float64, 2), make([]float64, 1)), "train: chip step: 1 targets; want 2 contexts × 1"},
		{"window", c.RunWindow(&Window{Steps: 2, X: make([]float64, 4), Out: make([]float64, 3)}), "train: chip window: room for 3 outputs; want 2 steps × 2"},
		{"window labels", c.RunWindow(&Window{Steps: 1, X: make([]float64, 2), Labels: []int{0}, Out: make([]float64, 2)}), "train: chip window: 1 labels; want one per context (2)"},
		{"float state", c.Restore([]byte("GLEMUGLE whatever")), "train: bad checkpoint: the backend state is not the chip's (wrong magic bytes); resume it with the backend it was trained on"},
		{"version", c.Restore(append([]byte("GLEMUCHP\x02\x00\x00\x00"), good[12:]...)), "train: bad checkpoint: chip state version 2, this glemu reads 1; resume it with the glemu that wrote it"},
		{"other contexts", c.Restore(ck3), "train: bad checkpoint: the chip state runs 3 contexts of 1 inputs and 1 outputs, this run 2 of 1 and 1"},
	} {
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, tc.err, tc.want)
		}
		if tc.name == "float state" && !errors.Is(tc.err, ErrCheckpoint) {
			t.Errorf("%s: does not match ErrCheckpoint", tc.name)
		}
	}
	if err := c.Restore(good); err != nil {
		t.Errorf("restoring its own state: %v", err)
	}
}

// TestLagLineOnChip (-long, about 25 s): the chip student recovers the teacher within 2 %
// in the default 70 000 learning steps (measured, seed 1: largest error 1.16 % and, with
// the compiler's later gradient scales, 1.47 %; the float reference: 0.013 %).
func TestLagLineOnChip(t *testing.T) {
	if !*long {
		t.Skip("70 000 chip steps on 100 contexts; run with -long")
	}
	task, student, teacher, err := NewLagLineBackends("chip", 1, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer Close(student)
	res, err := LagLine(task, student, teacher, lagLineSteps, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("W %v, τm %v; largest relative error %.3g; loss %.3g", res.W, res.TauM, res.RelErr(), res.Loss)
	if res.RelErr() > 0.02 {
		t.Errorf("the chip student is %.1f %% off the teacher (W %v, τm %v); want within 2 %%", 100*res.RelErr(), res.W, res.TauM)
	}
}

// TestChipImitationWindows: an imitation run whose chip student runs stretches of steps
// as windows (between records and at the warm-up's end, here not aligned) records the
// same parameters, losses and traces as the same run stepped one step at a time, bit
// for bit.
func TestChipImitationWindows(t *testing.T) {
	var runs [2]*Imitation
	for i := range 2 {
		task, student, teacher, err := NewLagLineBackends("chip", 2, ChipOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer Close(student)
		if i == 1 {
			student = stepsOnly{student}
		}
		runs[i] = &Imitation{Student: student, Teacher: teacher, Input: task.Input, Warmup: 1500, Steps: 2500,
			Names: LagLineNames, Read: readLagLine, Every: 1000, Window: 300}
		if err := runs[i].Run(nil); err != nil {
			t.Fatal(err)
		}
	}
	a, b := runs[0], runs[1]
	if fmt.Sprint(a.Records) != fmt.Sprint(b.Records) || fmt.Sprint(a.Start) != fmt.Sprint(b.Start) || fmt.Sprint(a.End) != fmt.Sprint(b.End) {
		t.Errorf("windows and single steps differ:\n%v\n%v", a.Records, b.Records)
	}
	if len(a.Records) != 5 || a.Records[4].Step != 4000 || len(a.Start.Steps) != 300 || a.Start.Steps[0] != 1500 {
		t.Errorf("records %v, start trace from step %v, %d steps", a.Records, a.Start.Steps[:1], len(a.Start.Steps))
	}
	if first, last := a.Records[0].Params, a.Records[4].Params; first[1] == last[1] {
		t.Error("W1 did not learn; the test proves nothing")
	}
}

// TestChipClosedDevice: a device that is gone (closed, or a board unplugged) makes
// steps, parameter reads, checkpoints and the loops over them return its error, never
// panic.
func TestChipClosedDevice(t *testing.T) {
	task, student, teacher, err := NewLagLineBackends("chip", 1, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := student.(*Chip)
	c.Close()
	if err := c.Step(make([]float64, c.Contexts()), nil); !errors.Is(err, host.ErrClosed) {
		t.Errorf("Step: %v", err)
	}
	if _, err := ReadParams(c); !errors.Is(err, host.ErrClosed) {
		t.Errorf("ReadParams: %v", err)
	}
	if _, err := c.AppendCheckpoint(nil); !errors.Is(err, host.ErrClosed) {
		t.Errorf("AppendCheckpoint: %v", err)
	}
	if _, err := LagLine(task, student, teacher, 10, nil); !errors.Is(err, host.ErrClosed) {
		t.Errorf("LagLine: %v", err)
	}
}

// FuzzChipRestore: any bytes given to Restore as a chip state are refused with an error
// or restored, never a panic; a refused state leaves the chip able to step.
func FuzzChipRestore(f *testing.F) {
	task, err := tasks.NewLagLine(1)
	if err != nil {
		f.Fatal(err)
	}
	c, err := NewChip(task.Student, task.StudentParams, 2, ChipOptions{})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	good, err := c.AppendCheckpoint(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte("GLEMUCHP\x01\x00\x00\x00"))
	x := make([]float64, 2)
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := c.Restore(b); err != nil {
			if err := c.Restore(good); err != nil {
				t.Fatalf("restoring the good state after a refused one: %v", err)
			}
		}
		if err := c.Step(x, nil); err != nil && !errors.Is(err, ErrCheckpoint) {
			t.Fatalf("step after Restore: %v", err)
		}
	})
}
