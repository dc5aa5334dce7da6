package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"gonum.org/v1/plot/vg"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
	"github.com/glemu/glemu/train"
)

// defaultLagLineSteps is the shortest schedule shown to converge (train's tests): the
// student is within 0.01 % of the teacher after it.
const defaultLagLineSteps = 70000

// defaultLagNetSteps: 300 time units of learning.
const defaultLagNetSteps = 30000

type trainFlags struct {
	task, net, backend, device, optimizer string
	log, plot, checkpoint, resume         string
	width, epochs, contexts, steps        int
	workers                               int
	errorBus                              string
	busMode                               chip.ErrorBusMode // errorBus, parsed
	trainSamples, testSamples             int
	seed                                  uint64
	lr                                    float64
}

func init() {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train --task mnist1d|lagline|lagnet [flags]",
		Short: "Train a task (MNIST-1D, lag-line, lag-net) and report what was learned",
		Long: `train trains one of the GLE paper's tasks and reports what was learned.

It runs on the chip by default (--backend chip): the network is compiled, loaded onto
--device (emu, the built-in emulator; serial:///dev/ttyUSB0 for a board; or the path of
glemu firmware-sim's pty) and learns there; the run ends with the chip's health report
and the cost model's figures per step. --backend float runs the float64 reference.

mnist1d (the default): the paper's MNIST-1D network (1→53 identity, five 53→53 tanh,
53→10 linear; 14 956 parameters; --width changes the 53, e.g. 90 for the ≈42k variant)
or any network file (--net) with one input and 10 cross-entropy outputs, on the
4000/1000 MNIST-1D split with 360 steps per sample: each epoch trains on the reshuffled
training set with learning on, then measures the test set with learning off, then the
learning rate is halved after more than 2 epochs without a better test loss. One line
per epoch (a progress bar too on a terminal), --log writes them as JSON lines, --plot
draws the learning curves beside the paper's, --checkpoint saves every epoch and
--resume continues from a saved epoch, bit for bit.

lagline: two 1→1→1 softplus chains (spec section 6). The teacher has W = (1, 2) and
τm = (1, 2); the student starts from U(0, 1) draws and learns W and τm with Adam from the
teacher's output, on 100 contexts, after 5000 warm-up steps without learning. --steps
counts the learning steps (the paper runs 400000; the default is the shortest schedule
shown to converge).

lagnet: the 1→2→2→1 mixed LE/LI network (spec section 6) learning, with SGD and
momentum, to imitate a teacher of the same shape whose weights are drawn with another
seed, on the input sin(0.49t) + sin(1.07t) + sin(1.98t).

docs/training.md says what each flag does and what to expect.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrain(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.task, "task", "mnist1d", "the task: mnist1d, lagline or lagnet")
	fl.StringVar(&f.net, "net", "", "a network file to train instead of the task's network")
	fl.IntVar(&f.width, "width", tasks.MNIST1DWidth, "units per hidden layer of the MNIST-1D network (90: the ≈42k-parameter variant)")
	fl.StringVar(&f.backend, "backend", "chip", "the backend: chip (the network compiled and run through host.Device) or float (the float64 reference)")
	fl.StringVar(&f.errorBus, "error-bus", "block", "the chip's error bus: block (a shared exponent per population and step, the default) or static (one scale per population, the chip before the block bus)")
	fl.IntVar(&f.workers, "workers", defaultWorkers(), "goroutines the emulator steps the chip on (emu only; results are the same for any number; the default is 2 where Go has 2 or more CPUs)")
	fl.StringVar(&f.device, "device", host.EmulatorName, "the chip backend's device: emu (in process), serial://PORT[?baud=RATE] or a device path such as glemu firmware-sim's pty; only with --backend chip")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the initial weights and the per-epoch shuffles (lag tasks: of the task's draws)")
	fl.IntVar(&f.epochs, "epochs", tasks.MNIST1DEpochs, "epochs to train, counted from the first (a resumed run goes on up to this many)")
	fl.IntVar(&f.contexts, "contexts", tasks.MNIST1DContexts, "contexts stepped at once (the batch)")
	fl.StringVar(&f.optimizer, "optimizer", "", "adam or momentum (default: the task's; MNIST-1D and lag-line: adam, lag-net: momentum)")
	fl.Float64Var(&f.lr, "lr", 0, "learning rate, applied every step (default: the task's; MNIST-1D 1e-3)")
	fl.IntVar(&f.steps, "steps", 0, "lag tasks: learning steps after the warm-up (lagline: 70000, the paper 400000; lagnet: 30000)")
	fl.StringVar(&f.log, "log", "", "write one JSON line per epoch (lag tasks: per 1000 steps) to this file (resuming: the checkpoint's epochs first)")
	fl.StringVar(&f.plot, "plot", "", "write learning curves (lag tasks: traces and parameters) to this PNG file")
	fl.StringVar(&f.checkpoint, "checkpoint", "", "save a checkpoint and the trained network in this directory after every epoch")
	fl.StringVar(&f.resume, "resume", "", "continue the run checkpointed in this directory")
	fl.IntVar(&f.trainSamples, "train-samples", 0, "train on the first N training samples only (default: all 4000)")
	fl.IntVar(&f.testSamples, "test-samples", 0, "test on the first N test samples only (default: all 1000)")
	rootCmd.AddCommand(cmd)
}

// runTrain checks every flag, then trains.
func runTrain(cmd *cobra.Command, f trainFlags) error {
	changed := cmd.Flags().Changed
	switch f.task {
	case "mnist1d", "lagline", "lagnet":
	default:
		return usagef("unknown task %q; use --task mnist1d, lagline or lagnet", f.task)
	}
	switch f.backend {
	case "float":
		if changed("device") {
			return usagef("--device %s selects the chip backend's device; it cannot be used with --backend float", f.device)
		}
		if changed("workers") {
			return usagef("--workers %d sets the chip emulator's goroutines; it cannot be used with --backend float", f.workers)
		}
		if changed("error-bus") {
			return usagef("--error-bus %s chooses the chip's error bus; it cannot be used with --backend float", f.errorBus)
		}
	case "chip":
		if err := checkDevice(f.device); err != nil {
			return err
		}
		if changed("workers") && f.device != host.EmulatorName {
			return usagef("--workers %d sets the emulator's goroutines; device %s steps on its own (leave --workers out)", f.workers, f.device)
		}
	default:
		return usagef("unknown backend %q; use --backend float or chip", f.backend)
	}
	switch {
	case f.epochs < 0:
		return usagef("--epochs %d: give a number of epochs ≥ 0", f.epochs)
	case f.contexts < 1:
		return usagef("--contexts %d: give a number of contexts ≥ 1", f.contexts)
	case f.workers < 1:
		return usagef("--workers %d: give a number of workers ≥ 1", f.workers)
	case parseBus(&f) != nil:
		return usagef("unknown error bus %q; use --error-bus block or static", f.errorBus)
	case f.resume != "" && changed("error-bus"):
		return usagef("--error-bus %s with --resume: the checkpoint's program already chose its error bus; leave --error-bus out", f.errorBus)
	case f.steps < 0:
		return usagef("--steps %d: give a number of learning steps ≥ 0", f.steps)
	case f.lr < 0:
		return usagef("--lr %g: give a learning rate ≥ 0", f.lr)
	case f.trainSamples < 0 || f.testSamples < 0:
		return usagef("--train-samples %d, --test-samples %d: give numbers ≥ 1 (0: all)", f.trainSamples, f.testSamples)
	case f.optimizer != "" && f.optimizer != "adam" && f.optimizer != "momentum":
		return usagef("unknown optimizer %q; use --optimizer adam or momentum", f.optimizer)
	}
	if f.task == "mnist1d" {
		for _, name := range []string{"steps"} {
			if changed(name) {
				return usagef("--%s is for the lag tasks; MNIST-1D trains for --epochs", name)
			}
		}
		return trainMNIST1D(cmd, f)
	}
	for _, name := range []string{"epochs", "contexts", "width", "checkpoint", "resume", "train-samples", "test-samples"} {
		if changed(name) {
			return usagef("--%s is for --task mnist1d; the lag tasks train for --steps and have no checkpoints", name)
		}
	}
	return trainLag(cmd, f)
}

// mnist1dNetwork builds the network the flags ask for: --net's file or the paper's
// network of --width, with --optimizer and --lr applied.
func mnist1dNetwork(cmd *cobra.Command, f trainFlags) (*network.Network, error) {
	changed := cmd.Flags().Changed
	var nw *network.Network
	var err error
	if f.net != "" {
		if changed("width") {
			return nil, usagef("--width builds the paper's network; it cannot be used with --net")
		}
		if nw, err = network.Load(f.net); err != nil {
			return nil, err
		}
		if changed("seed") {
			nw.Seed = f.seed
		}
	} else if nw, err = tasks.MNIST1DNetwork(f.width, f.seed); err != nil {
		return nil, usageError{err}
	}
	applyOptimizer(nw, f, changed("lr"))
	return nw, nil
}

// applyOptimizer sets the optimizer --optimizer and --lr ask for.
func applyOptimizer(nw *network.Network, f trainFlags, lrChanged bool) {
	o := &nw.Learning.Optimizer
	switch f.optimizer {
	case "adam":
		if o.Kind != network.OptimizerAdam {
			*o = network.Optimizer{Kind: network.OptimizerAdam, LR: o.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
		}
	case "momentum":
		if o.Kind != network.OptimizerMomentum {
			*o = network.Optimizer{Kind: network.OptimizerMomentum, LR: o.LR, Momentum: 0.9}
		}
	}
	if lrChanged {
		o.LR = f.lr
	}
}

func trainMNIST1D(cmd *cobra.Command, f trainFlags) error {
	out := cmd.OutOrStdout()
	changed := cmd.Flags().Changed
	var ck *train.Checkpoint
	if f.resume != "" {
		var err error
		if ck, err = train.ReadCheckpoint(f.resume); err != nil {
			return err
		}
		// Flags not given take the checkpoint's values.
		r := ck.Record
		if !changed("seed") {
			f.seed = r.Seed
		}
		if !changed("contexts") {
			f.contexts = r.Contexts
		}
		if !changed("train-samples") {
			f.trainSamples = r.TrainSamples
		}
		if !changed("test-samples") {
			f.testSamples = r.TestSamples
		}
		if !changed("backend") {
			f.backend = r.Backend
		}
		if f.backend == "float" && changed("device") {
			return usagef("--device %s selects the chip backend's device; checkpoint %s ran on the float backend", f.device, f.resume)
		}
		if f.backend == "float" && changed("workers") {
			return usagef("--workers %d sets the chip emulator's goroutines; checkpoint %s ran on the float backend", f.workers, f.resume)
		}
	}
	if f.checkpoint != "" && (ck == nil || filepath.Clean(f.checkpoint) != filepath.Clean(f.resume)) {
		if _, err := os.Stat(filepath.Join(f.checkpoint, train.CheckpointFile)); err == nil {
			return usagef("--checkpoint %s already holds a run's checkpoint; continue it with --resume %s, or give another directory", f.checkpoint, f.checkpoint)
		}
	}
	var nw *network.Network
	if ck != nil && !changed("net") && !changed("width") && !changed("optimizer") && !changed("lr") {
		nw = ck.Network
	} else {
		var err error
		if nw, err = mnist1dNetwork(cmd, f); err != nil {
			return err
		}
	}
	data, err := tasks.NewMNIST1D()
	if err != nil {
		return err
	}
	train0, test0 := data.NumTrain(), data.NumTest()
	if f.trainSamples > 0 {
		train0 = f.trainSamples
	}
	if f.testSamples > 0 {
		test0 = f.testSamples
	}
	data = data.Head(train0, test0)
	cfg := train.Config{Task: "mnist1d", Net: nw, Data: data, Backend: f.backend, Seed: f.seed, Contexts: f.contexts,
		Chip: train.ChipOptions{Context: cmdContext(cmd), Device: f.device, Workers: emuWorkers(f), ErrorBus: f.busMode}}
	if err := train.CheckFits(nw, data); err != nil {
		return err
	}
	if ck != nil {
		if err := ck.Matches(cfg, f.resume); err != nil {
			return err
		}
	}
	// Open the outputs before any work, so a bad path fails now.
	var logFile *os.File
	writeLog := func(e train.Epoch) error {
		line, err := json.Marshal(e)
		if err == nil {
			_, err = logFile.Write(append(line, '\n'))
		}
		if err != nil {
			return fmt.Errorf("train: --log: %w", err)
		}
		return nil
	}
	if f.log != "" {
		if logFile, err = os.Create(f.log); err != nil {
			return fmt.Errorf("train: --log: %w", err)
		}
		defer logFile.Close()
		if ck != nil { // the checkpoint's history, whatever the old log holds
			for _, e := range ck.Record.History {
				if err := writeLog(e); err != nil {
					return err
				}
			}
		}
	}
	if f.plot != "" {
		if err := checkWritable(f.plot); err != nil {
			return err
		}
	}

	bar := newEpochBar(out)
	var run *train.Run
	if ck != nil {
		last := len(ck.Record.History)
		bar.start(fmt.Sprintf("resuming after epoch %d", last), train.Batches(data.NumTest(), f.contexts)*data.Length)
		done := 0
		run, err = train.Resume(cfg, ck, f.resume, func(steps int) { done += steps; bar.set(done) })
		bar.finish()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "resumed %s after epoch %d: its test pass replayed bit for bit; lr %g\n", f.resume, last, run.Classifier.Backend.LR())
	} else if run, err = train.NewRun(cfg); err != nil {
		return err
	}
	defer run.Close()
	fmt.Fprintf(out, "%s: %s, %d parameters, on the %s backend; seed %d, %d contexts, %d+%d samples of %d steps, %d steps per epoch\n",
		cfg.Task, nw.Name, nw.NumParams(), backendName(f.backend, f.device), f.seed, f.contexts, data.NumTrain(), data.NumTest(), data.Length, run.StepsPerEpoch())
	if c, ok := run.Classifier.Backend.(*train.Chip); ok {
		fmt.Fprintln(out, chipHeader(c))
	}
	start := time.Now()
	first := len(run.History) + 1
	for epoch := first; epoch <= f.epochs; epoch++ {
		bar.start(fmt.Sprintf("epoch %d/%d", epoch, f.epochs), run.StepsPerEpoch())
		e, err := run.EpochTo(f.checkpoint, func(done, _ int) { bar.set(done) })
		bar.finish()
		if err != nil {
			return err
		}
		fmt.Fprintln(out, epochLine(e, f.epochs))
		if logFile != nil {
			if err := writeLog(e); err != nil {
				return err
			}
		}
		if f.plot != "" {
			if err := train.PlotLearningCurves(f.plot, run.History, paperCurve(), nw.Name); err != nil {
				return err
			}
		}
	}
	if f.plot != "" && first > f.epochs && len(run.History) > 0 { // nothing to train: plot what the checkpoint holds
		if err := train.PlotLearningCurves(f.plot, run.History, paperCurve(), nw.Name); err != nil {
			return err
		}
	}
	summary(out, cfg, run, f, time.Since(start), first)
	if c, ok := run.Classifier.Backend.(*train.Chip); ok {
		return chipSummary(out, c)
	}
	return nil
}

// checkDevice refuses a --device name host.Open would refuse, before any work.
func checkDevice(name string) error {
	switch {
	case name == "" || name == host.EmulatorName || strings.HasPrefix(name, "/"):
		return nil
	case strings.HasPrefix(name, "serial:"):
		if _, _, err := host.ParseSerialURL(name); err != nil {
			return usageError{err}
		}
		return nil
	}
	return usagef("--device %s: want emu, serial:///PATH[?baud=RATE] or a device path such as /dev/ttyUSB0", name)
}

// backendName names the backend in reports: "float", "chip (emu)".
func backendName(backend, device string) string {
	if backend != "chip" {
		return backend
	}
	if device == "" {
		device = host.EmulatorName
	}
	return fmt.Sprintf("chip (%s)", device)
}

// chipHeader says what runs on the chip: the tiles used and the formats of the values
// that learn and carry errors (the loaded program's, a restored snapshot's if resumed).
func chipHeader(c *train.Chip) string {
	p := c.Device.Program()
	if p == nil {
		p = c.Compiled.Program
	}
	formats := map[string]string{}
	for _, v := range p.Config.Formats {
		formats[v.Name] = v.Format.String()
	}
	var fs []string
	for _, name := range []string{"w", "w_mem", "r", "u", "err_bus", "grad", "adam_m", "adam_v", "b", "tau_m"} {
		if f, ok := formats[name]; ok {
			fs = append(fs, name+" "+f)
		}
	}
	used := 0
	for _, t := range p.Tiles {
		if len(t.Slots) > 0 || len(t.Blocks) > 0 {
			used++
		}
	}
	return fmt.Sprintf("chip: %d of %d tiles (%dx%d mesh); formats %s; error bus %s", used, p.Config.Rows*p.Config.Cols, p.Config.Rows, p.Config.Cols, strings.Join(fs, ", "), p.Config.ErrorBus)
}

// chipSummary prints the chip's health report and the cost model's figures.
func chipSummary(out io.Writer, c *train.Chip) error {
	s, err := c.Summary()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "chip health: %s\n", strings.TrimSpace(s.Health))
	for _, k := range []struct {
		what string
		cost chip.Cost
	}{{"learning", s.Learning}, {"inference", s.Inference}} {
		fmt.Fprintf(out, "chip cost (%s): %d cycles per step (critical tile %d), at most %.4g steps/s, %.4g nJ per step, %d synaptic ops per step\n",
			k.what, k.cost.CyclesPerStep, k.cost.CriticalTile, k.cost.MaxStepRate, k.cost.EnergyPJ/1000, k.cost.SynapticOps)
	}
	return nil
}

// paperCurve is the paper's mean test accuracy (%) per epoch.
func paperCurve() []train.CurvePoint {
	var ps []train.CurvePoint
	for _, p := range tasks.MNIST1DPaperAccuracy {
		ps = append(ps, train.CurvePoint{Epoch: p.Epoch, Accuracy: p.Accuracy / 100})
	}
	return ps
}

// paperAt returns the paper's mean test accuracy at epoch, if it reports one.
func paperAt(epoch int) (float64, bool) {
	for _, p := range tasks.MNIST1DPaperAccuracy {
		if p.Epoch == epoch {
			return p.Accuracy, true
		}
	}
	return 0, false
}

func epochLine(e train.Epoch, epochs int) string {
	s := fmt.Sprintf("epoch %3d/%d  lr %.3g  train loss %.4f acc %5.1f %%  test loss %.4f acc %5.1f %%  %.0f steps/s  %.1f s",
		e.Epoch, epochs, e.LR, e.Train.Loss, 100*e.Train.Accuracy, e.Test.Loss, 100*e.Test.Accuracy, e.StepsPerSecond, e.Seconds)
	if p, ok := paperAt(e.Epoch); ok {
		s += fmt.Sprintf("  (paper: %.1f %%)", p)
	}
	if e.NextLR != e.LR {
		s += fmt.Sprintf("  lr → %.3g", e.NextLR)
	}
	return s
}

func summary(out io.Writer, cfg train.Config, run *train.Run, f trainFlags, wall time.Duration, first int) {
	h := run.History
	if len(h) == 0 {
		fmt.Fprintln(out, "no epochs trained (--epochs 0)")
		return
	}
	last := h[len(h)-1]
	best := last
	for _, e := range h {
		if e.Test.Accuracy > best.Test.Accuracy {
			best = e
		}
	}
	fmt.Fprintf(out, "%s on the %s backend, seed %d: %d epochs (%d this run, %s); test accuracy %.1f %% (best %.1f %% at epoch %d), test loss %.4f; lr %.3g\n",
		cfg.Task, backendName(cfg.Backend, cfg.Chip.Device), cfg.Seed, last.Epoch, last.Epoch-first+1, wall.Round(time.Second), 100*last.Test.Accuracy,
		100*best.Test.Accuracy, best.Epoch, last.Test.Loss, last.NextLR)
	fmt.Fprintf(out, "the paper (mean of 10 seeds): 45.8 %% at epoch 10, 51.2 %% at 20, 87.7 %% at 50, 91.7 ± 0.8 %% after 150\n")
	if f.checkpoint != "" {
		fmt.Fprintf(out, "checkpoint: %s (resume with --resume %s; the trained network: %s)\n", f.checkpoint, f.checkpoint, train.TrainedPath(f.checkpoint))
	}
}

// checkWritable fails now if path cannot be created.
func checkWritable(path string) error {
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("train: --plot: %w", err)
	}
	return fh.Close()
}

// epochBar is a progress bar per epoch, shown only when out is a terminal.
type epochBar struct {
	out io.Writer
	tty bool
	bar *progressbar.ProgressBar
}

func newEpochBar(out io.Writer) *epochBar {
	f, ok := out.(*os.File)
	return &epochBar{out: out, tty: ok && term.IsTerminal(int(f.Fd()))}
}

func (b *epochBar) start(desc string, total int) {
	if !b.tty {
		return
	}
	b.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(b.out), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("steps"),
		progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(200*time.Millisecond))
}

func (b *epochBar) set(done int) {
	if b.bar != nil {
		_ = b.bar.Set(done)
	}
}

func (b *epochBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
		b.bar = nil
	}
}

// lagNetWarmup is lag-net's warm-up without learning: 20 time units, twice the slowest
// time constant's settling.
const lagNetWarmup = 2000

func trainLag(cmd *cobra.Command, f trainFlags) error {
	out := cmd.OutOrStdout()
	changed := cmd.Flags().Changed
	if changed("optimizer") || changed("lr") || changed("net") {
		return usagef("--optimizer, --lr and --net are for --task mnist1d; the lag tasks use the spec's settings")
	}
	steps := f.steps
	if !changed("steps") {
		steps = defaultLagLineSteps
		if f.task == "lagnet" {
			steps = defaultLagNetSteps
		}
	}
	var logFile *os.File
	if f.log != "" {
		var err error
		if logFile, err = os.Create(f.log); err != nil {
			return fmt.Errorf("train: --log: %w", err)
		}
		defer logFile.Close()
	}
	if f.plot != "" {
		if err := checkWritable(f.plot); err != nil {
			return err
		}
	}
	warm := tasks.LagLineWarmupSteps
	if f.task == "lagnet" {
		warm = lagNetWarmup
	}
	var progress func(done, total int)
	if fh, ok := out.(*os.File); ok && term.IsTerminal(int(fh.Fd())) {
		bar := progressbar.NewOptions(warm+steps, progressbar.OptionSetWriter(out),
			progressbar.OptionSetDescription(f.task), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond))
		progress = func(done, _ int) { _ = bar.Set(done) }
		defer bar.Finish()
	}
	var (
		run     *train.Imitation
		teacher []float64
		dt      float64
	)
	start := time.Now()
	opt := train.ChipOptions{Context: cmdContext(cmd), Device: f.device, Workers: emuWorkers(f), ErrorBus: f.busMode}
	var student train.Backend
	if f.task == "lagline" {
		res, err := lagLine(out, f.backend, opt, steps, f.seed, progress, start)
		if err != nil {
			return err
		}
		run, dt = res.Run, tasks.LagLineDt
		teacher = []float64{res.TeacherW[0], res.TeacherW[1], res.TeacherTauM[0], res.TeacherTauM[1]}
	} else {
		res, err := lagNet(out, f.backend, opt, steps, f.seed, progress, start)
		if err != nil {
			return err
		}
		run, teacher, dt = res.Run, res.Teacher, tasks.LagNetDt
	}
	student = run.Student
	defer train.Close(student)
	if c, ok := student.(*train.Chip); ok {
		fmt.Fprintln(out, chipHeader(c))
		if err := chipSummary(out, c); err != nil {
			return err
		}
	}
	if logFile != nil {
		for _, r := range run.Records[1:] {
			line := struct {
				Step   int                `json:"step"`
				Time   float64            `json:"time"`
				Loss   float64            `json:"mse"`
				Params map[string]float64 `json:"params"`
			}{r.Step, float64(r.Step) * dt, r.Loss, map[string]float64{}}
			for i, n := range run.Names {
				line.Params[n] = r.Params[i]
			}
			b, err := json.Marshal(line)
			if err != nil {
				return fmt.Errorf("train: --log: %w", err)
			}
			if _, err := logFile.Write(append(b, '\n')); err != nil {
				return fmt.Errorf("train: --log: %w", err)
			}
		}
	}
	if f.plot != "" {
		png, err := train.EncodePNG(train.ImitationPanels(run, teacher, dt, f.task), 8*vg.Inch, 10*vg.Inch)
		if err != nil {
			return err
		}
		if err := os.WriteFile(f.plot, png, 0o644); err != nil {
			return fmt.Errorf("train: --plot: %w", err)
		}
	}
	return nil
}

func lagLine(out io.Writer, backend string, opt train.ChipOptions, steps int, seed uint64, progress func(done, total int), start time.Time) (*train.LagLineResult, error) {
	task, student, teacher, err := train.NewLagLineBackends(backend, seed, opt)
	if err != nil {
		return nil, err
	}
	res, err := train.LagLine(task, student, teacher, steps, progress)
	if err != nil {
		train.Close(student)
		return nil, err
	}
	fmt.Fprintf(out, "lag-line on the %s backend, seed %d: %d warm-up + %d learning steps, %d contexts, dt %g (%.1f s)\n",
		backendName(backend, opt.Device), seed, res.WarmupSteps, res.Steps, task.Contexts(), tasks.LagLineDt, time.Since(start).Seconds())
	fmt.Fprintf(out, "%-8s %10s %10s %10s %12s\n", "", "teacher", "initial", "learned", "rel. error")
	row := func(name string, teacher, initial, learned float64) {
		fmt.Fprintf(out, "%-8s %10.4f %10.4f %10.4f %11.3f%%\n", name, teacher, initial, learned, 100*abs(learned-teacher)/abs(teacher))
	}
	for i := range 2 {
		row(fmt.Sprintf("W%d", i), res.TeacherW[i], res.InitialW[i], res.W[i])
	}
	for i := range 2 {
		row(fmt.Sprintf("tau_m%d", i), res.TeacherTauM[i], res.InitialTauM[i], res.TauM[i])
	}
	verdict := "recovered the teacher (within 2 %)"
	if res.RelErr() > 0.02 {
		verdict = "not yet within 2 % of the teacher; train longer (--steps)"
	}
	fmt.Fprintf(out, "largest relative error %.3f %%: the student %s; output MSE over the last 1000 steps %.3g\n", 100*res.RelErr(), verdict, res.Loss)
	return res, nil
}

func lagNet(out io.Writer, backend string, opt train.ChipOptions, steps int, seed uint64, progress func(done, total int), start time.Time) (*train.LagNetResult, error) {
	task, student, teacher, err := train.NewLagNetBackends(backend, seed, lagNetWarmup, opt)
	if err != nil {
		return nil, err
	}
	res, err := train.LagNet(task, student, teacher, lagNetWarmup, steps, progress)
	if err != nil {
		train.Close(student)
		return nil, err
	}
	fmt.Fprintf(out, "lag-net on the %s backend, seed %d (teacher's weights drawn with seed %d, student's with %d): %d warm-up + %d learning steps, 1 context, dt %g (%.1f s)\n",
		backendName(backend, opt.Device), seed, seed, seed+1, res.WarmupSteps, res.Steps, tasks.LagNetDt, time.Since(start).Seconds())
	fmt.Fprintf(out, "%-10s %10s %10s %10s\n", "", "teacher", "initial", "learned")
	for i, n := range res.Names {
		fmt.Fprintf(out, "%-10s %10.4f %10.4f %10.4f\n", n, res.Teacher[i], res.Initial[i], res.Learned[i])
	}
	fmt.Fprintf(out, "output MSE against the teacher: %.3g over the first 1000 learning steps, %.3g over the last 1000\n", res.InitialLoss, res.Loss)
	return res, nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// parseBus sets f.busMode from --error-bus.
func parseBus(f *trainFlags) (err error) {
	f.busMode, err = chip.ParseErrorBusMode(f.errorBus)
	return err
}

// defaultWorkers is --workers' default in train and bench: two where Go may run on two CPUs or more
// (a 100-context MNIST-1D step takes about two thirds of its one-worker time on two
// free cores, docs/chip.md "Performance"), else one. Results never depend on it.
func defaultWorkers() int {
	return min(2, runtime.GOMAXPROCS(0))
}

// emuWorkers is --workers for the emulator; a board or the firmware simulator steps on
// its own (an explicit --workers with one is refused earlier).
func emuWorkers(f trainFlags) int {
	if f.device != host.EmulatorName {
		return 0
	}
	return f.workers
}
