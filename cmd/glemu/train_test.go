package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
	"github.com/glemu/glemu/train"
)

// TestTrainLagLine: the command prints the learned parameters against the teacher's.
// (That the student converges is train's test; this one checks the report.)
func TestTrainLagLine(t *testing.T) {
	dir := t.TempDir()
	out, err := execute(t, "train", "--task", "lagline", "--steps", "1000", "--seed", "2", "--backend", "float",
		"--log", filepath.Join(dir, "l.jsonl"), "--plot", filepath.Join(dir, "l.png"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 {
		t.Fatalf("want 7 lines, got:\n%s", out)
	}
	if !regexp.MustCompile(`^lag-line on the float backend, seed 2: 5000 warm-up \+ 1000 learning steps, 100 contexts, dt 0\.01 \(\d+\.\d s\)$`).MatchString(lines[0]) {
		t.Errorf("header %q", lines[0])
	}
	for i, name := range []string{"W0", "W1", "tau_m0", "tau_m1"} {
		if !regexp.MustCompile(`^` + name + `\s+[12]\.0000\s+\d\.\d{4}\s+-?\d+\.\d{4}\s+\d+\.\d{3}%$`).MatchString(lines[2+i]) {
			t.Errorf("row %q", lines[2+i])
		}
	}
	if !strings.Contains(lines[6], "not yet within 2 % of the teacher; train longer (--steps)") {
		t.Errorf("after 1000 steps the verdict should be 'not yet': %q", lines[6])
	}
	logLines := readLines(t, filepath.Join(dir, "l.jsonl"))
	if len(logLines) != 6 { // one per 1000 of the 6000 steps
		t.Fatalf("%d log lines", len(logLines))
	}
	var rec struct {
		Step   int                `json:"step"`
		Time   float64            `json:"time"`
		MSE    float64            `json:"mse"`
		Params map[string]float64 `json:"params"`
	}
	if err := json.Unmarshal([]byte(logLines[5]), &rec); err != nil || rec.Step != 6000 || rec.Time != 60 || len(rec.Params) != 4 || rec.Params["W1"] == 0 {
		t.Errorf("log line %s: %+v %v", logLines[5], rec, err)
	}
	isPNG(t, filepath.Join(dir, "l.png"))
}

// TestTrainLagLineChip: on the chip (the default) the report adds the formats, the
// health report and the cost figures.
func TestTrainLagLineChip(t *testing.T) {
	out, err := execute(t, "train", "--task", "lagline", "--steps", "1000", "--seed", "2")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 11 || !regexp.MustCompile(`^lag-line on the chip \(emu\) backend, seed 2: 5000 warm-up \+ 1000 learning steps, 100 contexts, dt 0\.01 \(\d+\.\d s\)$`).MatchString(lines[0]) ||
		!strings.HasPrefix(lines[7], "chip: 1 of 16 tiles (4x4 mesh); formats w Q") || !strings.HasPrefix(lines[8], "chip health: 6,000 steps run on 100 contexts.") ||
		!strings.HasPrefix(lines[len(lines)-2], "chip cost (learning): ") {
		t.Errorf("output:\n%s", out)
	}
}

func TestTrainLagNet(t *testing.T) {
	out, err := execute(t, "train", "--task", "lagnet", "--steps", "3000", "--backend", "float")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 11 || !strings.HasPrefix(lines[0], "lag-net on the float backend, seed 1 (teacher's weights drawn with seed 1, student's with 2): 2000 warm-up + 3000 learning steps") ||
		!strings.HasPrefix(lines[2], "W0[0,0] ") || !strings.HasPrefix(lines[10], "output MSE against the teacher: ") {
		t.Errorf("output:\n%s", out)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func isPNG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 10000 {
		t.Errorf("%s is not a plot (%d bytes)", path, len(b))
	}
}

// small is a quick MNIST-1D run: width 6, 8 contexts, 10 training and 5 test samples.
var small = []string{"train", "--task", "mnist1d", "--width", "6", "--contexts", "8", "--train-samples", "10", "--test-samples", "5"}

func args(extra ...string) []string { return append(append([]string(nil), small...), extra...) }

// TestTrainMNIST1D: one line per epoch, a JSON line per epoch in --log, a plot, a
// checkpoint; resumed, the run continues exactly as the uninterrupted one; eval of the
// checkpoint reproduces the last epoch's test figures.
// On the chip (the default) the header names the device and the formats, and the
// summary ends with the chip's health report and cost figures.
func TestTrainMNIST1D(t *testing.T) {
	for _, backend := range []string{"chip", "float"} {
		t.Run(backend, func(t *testing.T) { testTrainMNIST1D(t, backend) })
	}
}

func testTrainMNIST1D(t *testing.T, backend string) {
	dir := t.TempDir()
	p := func(s string) string { return filepath.Join(dir, s) }
	args := func(extra ...string) []string {
		a := args(extra...)
		if backend == "float" {
			a = append(a, "--backend", "float")
		}
		return a
	}
	out, err := execute(t, args("--epochs", "3", "--log", p("whole.jsonl"), "--plot", p("c.png"))...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	name := "float"
	if backend == "chip" {
		name = "chip (emu)"
		if len(lines) < 10 || !regexp.MustCompile(`^chip: \d+ of 16 tiles \(4x4 mesh\); formats w Q\d+\.\d+, w_mem Q\d+\.\d+, r Q`).MatchString(lines[1]) ||
			!strings.HasPrefix(lines[7], "chip health: ") ||
			!regexp.MustCompile(`^chip cost \(learning\): \d+ cycles per step \(critical tile \d+\), at most [\d.e+]+ steps/s, [\d.]+ nJ per step, \d+ synaptic ops per step$`).MatchString(lines[len(lines)-2]) ||
			!strings.HasPrefix(lines[len(lines)-1], "chip cost (inference): ") {
			t.Fatalf("chip lines missing:\n%s", out)
		}
		lines = append(lines[:1], lines[2:7]...)
	}
	if len(lines) != 6 {
		t.Fatalf("want 6 lines, got:\n%s", out)
	}
	if lines[0] != "mnist1d: mnist1d-gle-w6, 292 parameters, on the "+name+" backend; seed 1, 8 contexts, 10+5 samples of 360 steps, 1080 steps per epoch" {
		t.Errorf("header %q", lines[0])
	}
	epoch := regexp.MustCompile(`^epoch   1/3  lr 0\.001  train loss \d\.\d{4} acc [ \d]{3}\.\d %  test loss \d\.\d{4} acc [ \d]{3}\.\d %  \d+ steps/s  \d+\.\d s  \(paper: 13\.5 %\)$`)
	if !epoch.MatchString(lines[1]) {
		t.Errorf("epoch line %q", lines[1])
	}
	if !strings.HasPrefix(lines[4], "mnist1d on the "+name+" backend, seed 1: 3 epochs (3 this run, ") {
		t.Errorf("summary %q", lines[4])
	}
	whole := readLines(t, p("whole.jsonl"))
	if len(whole) != 3 {
		t.Fatalf("%d log lines", len(whole))
	}
	var e train.Epoch
	if err := json.Unmarshal([]byte(whole[2]), &e); err != nil || e.Epoch != 3 || e.Test.Samples != 5 || e.Train.Samples != 10 || e.Steps != 1080 || e.LR != 1e-3 {
		t.Errorf("log line %s: %+v %v", whole[2], e, err)
	}
	isPNG(t, p("c.png"))

	// 2 epochs with a checkpoint, then resumed to 3 with the flags taken from it; the
	// log is rewritten from the checkpoint (its old content is thrown away).
	if _, err := execute(t, args("--epochs", "2", "--checkpoint", p("ck"), "--log", p("part.jsonl"))...); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("part.jsonl"), []byte("junk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = execute(t, "train", "--resume", p("ck"), "--epochs", "3", "--log", p("part.jsonl"), "--checkpoint", p("ck"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "resumed "+p("ck")+" after epoch 2: its test pass replayed bit for bit; lr 0.001\n") {
		t.Errorf("resume output:\n%s", out)
	}
	part := readLines(t, p("part.jsonl"))
	if len(part) != 3 {
		t.Fatalf("%d log lines after resuming", len(part))
	}
	for i := range whole {
		var a, b train.Epoch
		_ = json.Unmarshal([]byte(whole[i]), &a)
		_ = json.Unmarshal([]byte(part[i]), &b)
		if a.Train != b.Train || a.Test != b.Test || a.LR != b.LR || a.NextLR != b.NextLR {
			t.Errorf("epoch %d: uninterrupted %+v, resumed %+v", i+1, a, b)
		}
	}

	out, err = execute(t, "eval", "--checkpoint", p("ck"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "these equal the figures the run recorded for epoch 3") {
		t.Errorf("eval --checkpoint:\n%s", out)
	}
	out, err = execute(t, "eval", "--net", filepath.Join(p("ck"), train.TrainedFile), "--contexts", "5", "--test-samples", "5", "--backend", backend)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^test accuracy \d+\.\d\d % \(\d of 5\), test loss \d\.\d{6} \(cross-entropy per step\)$`).MatchString(out) {
		t.Errorf("eval --net:\n%s", out)
	}
}

func TestTrainErrors(t *testing.T) {
	dir := t.TempDir()
	p := func(s string) string { return filepath.Join(dir, s) }
	// A network with 3 outputs, and a checkpoint of the width-6 network.
	nw, _ := tasks.MNIST1DNetwork(6, 1)
	nw.Populations[7].Size = 3
	nw.Populations[7].TauM, nw.Populations[7].TauR = []float64{1, 1, 1}, []float64{1, 1, 1}
	if err := network.Save(p("three.json"), nw); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, args("--epochs", "1", "--checkpoint", p("ck"))...); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, args("--epochs", "1", "--checkpoint", p("fck"), "--backend", "float")...); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args    []string
		want    string
		isUsage bool
	}{
		{[]string{"train", "--task", "mnist2d"}, `unknown task "mnist2d"; use --task mnist1d, lagline or lagnet`, true},
		{[]string{"train", "--net", p("three.json")}, `train: network "mnist1d-gle-w6" has 3 outputs, but mnist1d has 10 classes; give it one output per class`, false},
		{[]string{"train", "--epochs", "-1"}, "--epochs -1: give a number of epochs ≥ 0", true},
		{[]string{"train", "--backend", "float", "--device", "emu"}, "--device emu selects the chip backend's device; it cannot be used with --backend float", true},
		{[]string{"train", "--task", "lagline", "--backend", "float", "--device", "emu"}, "--device emu selects the chip backend's device; it cannot be used with --backend float", true},
		{[]string{"train", "--resume", p("fck"), "--device", "emu"}, "--device emu selects the chip backend's device; checkpoint " + p("fck") + " ran on the float backend", true},
		{[]string{"train", "--resume", p("fck"), "--backend", "chip"}, "train: checkpoint " + p("fck") + " ran on the float backend, not chip; resume it with --backend float", false},
		{[]string{"train", "--device", "tcp://board"}, "--device tcp://board: want emu, serial:///PATH[?baud=RATE] or a device path such as /dev/ttyUSB0", true},
		{[]string{"train", "--device", "serial:///dev/x?baud=abc"}, `host: device "serial:///dev/x?baud=abc": baud "abc" is not a positive integer`, true},
		{[]string{"train", "--task", "lagnet", "--device", "tcp://board"}, "--device tcp://board: want emu, serial:///PATH[?baud=RATE] or a device path such as /dev/ttyUSB0", true},
		{[]string{"eval", "--net", p("three.json"), "--device", "com3"}, "--device com3: want emu, serial:///PATH[?baud=RATE] or a device path such as /dev/ttyUSB0", true},
		{[]string{"train", "--backend", "float", "--device", "serial:///dev/ttyUSB0"}, "--device serial:///dev/ttyUSB0 selects the chip backend's device; it cannot be used with --backend float", true},
		{args("--width", "7", "--resume", p("ck")), `train: checkpoint ` + p("ck") + ` is of network "mnist1d-gle-w6" with 292 parameters, not of the one asked for, "mnist1d-gle-w7" with 374 parameters; resume with the task, network and flags it was trained with`, false},
		{args("--lr", "0.01", "--resume", p("ck")), `train: checkpoint ` + p("ck") + ` is of network "mnist1d-gle-w6" with 292 parameters, not of the one asked for, "mnist1d-gle-w6" with 292 parameters (the same name, other settings); resume with the task, network and flags it was trained with`, false},
		{[]string{"train", "--resume", p("ck"), "--seed", "2"}, `train: checkpoint ` + p("ck") + ` ran with seed 1, not 2; resume it with --seed 1`, false},
		{args("--checkpoint", p("ck")), "--checkpoint " + p("ck") + " already holds a run's checkpoint; continue it with --resume " + p("ck") + ", or give another directory", true},
		{[]string{"train", "--resume", p("ck"), "--checkpoint", p("ck") + "/", "--epochs", "2", "--seed", "1"}, "", false},
		{[]string{"train", "--resume", p("nothing")}, `train: no checkpoint in ` + p("nothing") + ` (want checkpoint.glemu there); give the --checkpoint directory of a run`, false},
		{[]string{"train", "--backend", "gpu"}, `unknown backend "gpu"; use --backend float or chip`, true},
		{[]string{"train", "--contexts", "0"}, "--contexts 0: give a number of contexts ≥ 1", true},
		{[]string{"train", "--workers", "0"}, "--workers 0: give a number of workers ≥ 1", true},
		{[]string{"train", "--error-bus", "float"}, `unknown error bus "float"; use --error-bus block or static`, true},
		{[]string{"train", "--backend", "float", "--error-bus", "static"}, "--error-bus static chooses the chip's error bus; it cannot be used with --backend float", true},
		{[]string{"train", "--resume", p("ck"), "--error-bus", "static"}, "--error-bus static with --resume: the checkpoint's program already chose its error bus; leave --error-bus out", true},
		{[]string{"train", "--backend", "float", "--workers", "2"}, "--workers 2 sets the chip emulator's goroutines; it cannot be used with --backend float", true},
		{[]string{"train", "--resume", p("fck"), "--workers", "2"}, "--workers 2 sets the chip emulator's goroutines; checkpoint " + p("fck") + " ran on the float backend", true},
		{[]string{"train", "--device", "serial:///dev/ttyUSB0", "--workers", "2"}, "--workers 2 sets the emulator's goroutines; device serial:///dev/ttyUSB0 steps on its own (leave --workers out)", true},
		{[]string{"train", "--width", "2"}, "tasks: MNIST-1D width 2; give 3 … 4096 units per hidden layer (the paper: 53)", true},
		{[]string{"train", "--width", "60", "--net", p("three.json")}, "--width builds the paper's network; it cannot be used with --net", true},
		{[]string{"train", "--optimizer", "sgd"}, `unknown optimizer "sgd"; use --optimizer adam or momentum`, true},
		{[]string{"train", "--lr", "-1"}, "--lr -1: give a learning rate ≥ 0", true},
		{[]string{"train", "--steps", "5"}, "--steps is for the lag tasks; MNIST-1D trains for --epochs", true},
		{[]string{"train", "--task", "lagline", "--steps", "-5"}, "--steps -5: give a number of learning steps ≥ 0", true},
		{[]string{"train", "--task", "lagline", "--epochs", "3"}, "--epochs is for --task mnist1d; the lag tasks train for --steps and have no checkpoints", true},
		{[]string{"train", "--task", "lagnet", "--lr", "0.1"}, "--optimizer, --lr and --net are for --task mnist1d; the lag tasks use the spec's settings", true},
		{[]string{"train", "--epochs", "1", "--plot", p("no/such/dir/c.png")}, "train: --plot: open " + p("no/such/dir/c.png") + ": no such file or directory", false},
		{[]string{"eval"}, "give one of --checkpoint DIR and --net FILE", true},
		{[]string{"eval", "--checkpoint", p("ck"), "--contexts", "3"}, "--contexts is for --net; a checkpoint runs as it was trained", true},
		{[]string{"eval", "--net", p("three.json")}, `train: network "mnist1d-gle-w6" has 3 outputs, but mnist1d has 10 classes; give it one output per class`, false},
		{[]string{"eval", "--net", p("three.json"), "--backend", "float", "--device", "emu"}, "--device emu selects the chip backend's device; it cannot be used with --backend float", true},
		{[]string{"eval", "--checkpoint", p("fck"), "--device", "emu"}, "--device emu selects the chip backend's device; checkpoint " + p("fck") + " ran on the float backend", true},
	}
	for _, c := range cases {
		out, err := execute(t, c.args...)
		if c.want == "" {
			if err != nil {
				t.Errorf("glemu %s: %v", strings.Join(c.args, " "), err)
			}
			continue
		}
		if err == nil || err.Error() != c.want || errors.As(err, new(usageError)) != c.isUsage {
			t.Errorf("glemu %s:\n got %v (usage %v)\nwant %s (usage %v)", strings.Join(c.args, " "), err, errors.As(err, new(usageError)), c.want, c.isUsage)
		}
		if strings.Contains(out, "epoch") {
			t.Errorf("glemu %s: work started before the error:\n%s", strings.Join(c.args, " "), out)
		}
	}
}

// TestTrainOnFirmwareSim: the same run on the emulator and on the firmware simulator
// behind a real pty (--device PATH) learns the same, bit for bit: every epoch's figures
// and the checkpointed chip state; and a run checkpointed on the emulator and resumed
// on the firmware simulator equals both.
func TestTrainOnFirmwareSim(t *testing.T) {
	path := startSim(t)
	dir := t.TempDir()
	p := func(s string) string { return filepath.Join(dir, s) }
	var logs [2][]string
	var states [2][]byte
	for i, dev := range []string{"emu", path} {
		ck := p(fmt.Sprintf("ck%d", i))
		out, err := execute(t, args("--epochs", "2", "--train-samples", "8", "--test-samples", "8", "--device", dev, "--log", p("l.jsonl"), "--checkpoint", ck)...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "on the chip ("+dev+") backend") {
			t.Errorf("output does not name the device %s:\n%s", dev, out)
		}
		for _, l := range readLines(t, p("l.jsonl")) {
			var e train.Epoch
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatal(err)
			}
			e.Seconds, e.StepsPerSecond = 0, 0
			b, _ := json.Marshal(e)
			logs[i] = append(logs[i], string(b))
		}
		c, err := train.ReadCheckpoint(ck)
		if err != nil {
			t.Fatal(err)
		}
		states[i] = c.State
	}
	if strings.Join(logs[0], "\n") != strings.Join(logs[1], "\n") {
		t.Errorf("the emulator and the firmware simulator trained differently:\n%s\n%s", strings.Join(logs[0], "\n"), strings.Join(logs[1], "\n"))
	}
	if !bytes.Equal(states[0], states[1]) {
		t.Error("the checkpointed chip states differ")
	}
	// A run checkpointed on the emulator resumes on the board, bit for bit.
	if _, err := execute(t, args("--epochs", "1", "--train-samples", "8", "--test-samples", "8", "--checkpoint", p("ck2"))...); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, "train", "--resume", p("ck2"), "--epochs", "2", "--device", path, "--log", p("l2.jsonl")); err != nil {
		t.Fatal(err)
	}
	var resumed []string
	for _, l := range readLines(t, p("l2.jsonl")) {
		var e train.Epoch
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		e.Seconds, e.StepsPerSecond = 0, 0
		b, _ := json.Marshal(e)
		resumed = append(resumed, string(b))
	}
	if strings.Join(logs[0], "\n") != strings.Join(resumed, "\n") {
		t.Errorf("resumed on the firmware simulator:\n%s\nuninterrupted on the emulator:\n%s", strings.Join(resumed, "\n"), strings.Join(logs[0], "\n"))
	}
}

// TestTrainWorkers: --workers changes how the emulator steps, never what it learns: the
// per-epoch figures of 1 and 2 workers are identical.
func TestTrainWorkers(t *testing.T) {
	dir := t.TempDir()
	figures := func(workers string) []string {
		log := filepath.Join(dir, "w"+workers+".jsonl")
		if _, err := execute(t, args("--epochs", "2", "--workers", workers, "--log", log)...); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var e struct {
				Epoch       int
				LR          float64
				NextLR      float64 `json:"next_lr"`
				Train, Test json.RawMessage
			}
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %v %v %s %s", e.Epoch, e.LR, e.NextLR, e.Train, e.Test))
		}
		return out
	}
	one, two := figures("1"), figures("2")
	if len(one) != 2 || strings.Join(one, "\n") != strings.Join(two, "\n") {
		t.Errorf("1 worker:\n%s\n2 workers:\n%s", strings.Join(one, "\n"), strings.Join(two, "\n"))
	}
}

// TestTrainErrorBus: --error-bus static trains the chip with one scale per population:
// the header says which bus, and the figures differ from the block bus's.
func TestTrainErrorBus(t *testing.T) {
	run := func(bus string) (header, epoch string) {
		out, err := execute(t, args("--epochs", "1", "--error-bus", bus)...)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(out, "\n")
		return lines[1], lines[2]
	}
	hb, eb := run("block")
	hs, es := run("static")
	if !strings.HasSuffix(hb, "; error bus block") || !strings.HasSuffix(hs, "; error bus static") {
		t.Errorf("headers:\n%s\n%s", hb, hs)
	}
	// The epoch lines without their speed figures.
	figures := regexp.MustCompile(`\s+\d+ steps/s .*$`)
	if figures.ReplaceAllString(eb, "") == figures.ReplaceAllString(es, "") {
		t.Errorf("block and static buses trained alike:\n%s\n%s", eb, es)
	}
}
