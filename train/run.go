package train

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"

	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

// Config says what a classification run trains: a network on a data set, on a backend,
// with a seed for the shuffles and a number of contexts (the batch).
type Config struct {
	// Task names the task in logs and checkpoints ("mnist1d").
	Task     string
	Net      *network.Network
	Data     *tasks.Sequences
	Backend  string
	Seed     uint64
	Contexts int
	// Chip configures the chip backend (device, context); its Samples, if nil, are
	// RangingSamples of Data.
	Chip ChipOptions
}

// RangingSampleCount is how many training samples (in the data set's order) the chip
// backend's compiler measures ranges on.
const RangingSampleCount = 4

// RangingSamples returns the first n training samples of data (fewer if it has fewer)
// as the compiler's ranging run: one input per step, the one-hot label as target.
func RangingSamples(data *tasks.Sequences, n int) *compiler.Samples {
	s := &compiler.Samples{}
	T := data.Length
	for i := range min(n, data.NumTrain()) {
		for k := range T {
			y := make([]float64, data.Classes)
			y[data.TrainY[i]] = 1
			s.Inputs = append(s.Inputs, []float64{data.TrainX[i*T+k]})
			s.Targets = append(s.Targets, y)
		}
	}
	return s
}

// Run is a classification run: a Classifier over a backend built from a Config, which
// saves and resumes itself through checkpoints.
type Run struct {
	Config Config
	*Classifier
}

// NewRun checks cfg and builds its backend with the network's initial parameters
// (network.InitParams). Every check happens before any step.
func NewRun(cfg Config) (*Run, error) {
	if cfg.Contexts < 1 {
		return nil, fmt.Errorf("train: %d contexts; run at least 1", cfg.Contexts)
	}
	if err := cfg.Net.Validate(); err != nil {
		return nil, err
	}
	if err := CheckFits(cfg.Net, cfg.Data); err != nil {
		return nil, err
	}
	opt := cfg.Chip
	if cfg.Backend == "chip" && opt.Samples == nil {
		opt.Samples = RangingSamples(cfg.Data, RangingSampleCount)
	}
	b, err := NewBackend(cfg.Backend, cfg.Net, nil, cfg.Contexts, opt)
	if err != nil {
		return nil, err
	}
	c, err := NewClassifier(b, cfg.Net, cfg.Data, cfg.Seed)
	if err != nil {
		Close(b)
		return nil, err
	}
	return &Run{Config: cfg, Classifier: c}, nil
}

// Close releases the run's backend (the chip backend's device).
func (r *Run) Close() error { return Close(r.Classifier.Backend) }

// record returns the run's state for a checkpoint.
func (r *Run) record() Record {
	cfg := r.Config
	return Record{Task: cfg.Task, Backend: cfg.Backend, Seed: cfg.Seed, Contexts: cfg.Contexts,
		Data: cfg.Data.Name, TrainSamples: cfg.Data.NumTrain(), TestSamples: cfg.Data.NumTest(), Length: cfg.Data.Length,
		LR: r.Classifier.Backend.LR(), Plateau: r.Plateau, History: r.History}
}

// Matches reports how ck differs from the run cfg asks for, or nil if cfg resumes it.
// dir names the checkpoint in the message.
func (ck *Checkpoint) Matches(cfg Config, dir string) error {
	var want, got bytes.Buffer
	if err := network.Encode(&want, cfg.Net); err != nil {
		return err
	}
	if err := network.Encode(&got, ck.Network); err != nil {
		return err
	}
	r := ck.Record
	switch {
	case r.Task != cfg.Task:
		return fmt.Errorf("train: checkpoint %s is of task %q, not %q; resume it with --task %s", dir, r.Task, cfg.Task, r.Task)
	case r.Backend != cfg.Backend:
		return fmt.Errorf("train: checkpoint %s ran on the %s backend, not %s; resume it with --backend %s", dir, r.Backend, cfg.Backend, r.Backend)
	case r.Seed != cfg.Seed:
		return fmt.Errorf("train: checkpoint %s ran with seed %d, not %d; resume it with --seed %d", dir, r.Seed, cfg.Seed, r.Seed)
	case r.Contexts != cfg.Contexts:
		return fmt.Errorf("train: checkpoint %s ran %d contexts, not %d; resume it with --contexts %d", dir, r.Contexts, cfg.Contexts, r.Contexts)
	case r.Data != cfg.Data.Name || r.TrainSamples != cfg.Data.NumTrain() || r.TestSamples != cfg.Data.NumTest() || r.Length != cfg.Data.Length:
		return fmt.Errorf("train: checkpoint %s trained on %s with %d+%d samples of %d steps, not %s with %d+%d of %d; resume it on the same data",
			dir, r.Data, r.TrainSamples, r.TestSamples, r.Length, cfg.Data.Name, cfg.Data.NumTrain(), cfg.Data.NumTest(), cfg.Data.Length)
	case !bytes.Equal(want.Bytes(), got.Bytes()):
		what := ""
		if ck.Network.Name == cfg.Net.Name {
			what = " (the same name, other settings)"
		}
		return fmt.Errorf("train: checkpoint %s is of network %q with %d parameters, not of the one asked for, %q with %d parameters%s; resume with the task, network and flags it was trained with",
			dir, ck.Network.Name, ck.Network.NumParams(), cfg.Net.Name, cfg.Net.NumParams(), what)
	}
	return nil
}

// Resume builds the run cfg asks for from checkpoint ck (cfg must match it, see
// Matches): it restores the backend's state, replays the last epoch's test pass, checks
// that it reproduces the recorded test loss bit for bit, and sets the learning rate of
// the next epoch. progress is Evaluate's.
func Resume(cfg Config, ck *Checkpoint, dir string, progress func(steps int)) (*Run, error) {
	if err := ck.Matches(cfg, dir); err != nil {
		return nil, err
	}
	r, err := NewRun(cfg)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Run, error) {
		r.Close()
		return nil, err
	}
	cp, ok := r.Classifier.Backend.(Checkpointer)
	if !ok {
		return fail(fmt.Errorf("train: the %s backend cannot restore checkpoints; start a new run without --resume, or resume on --backend float or chip", cfg.Backend))
	}
	if err := cp.Restore(ck.State); err != nil {
		return fail(fmt.Errorf("train: checkpoint %s: %w", dir, err))
	}
	last := ck.Record.History[len(ck.Record.History)-1]
	m, err := r.Evaluate(progress)
	if err != nil {
		return fail(err)
	}
	if math.Float64bits(m.Loss) != math.Float64bits(last.Test.Loss) || m.Correct != last.Test.Correct {
		r.Close()
		return nil, fmt.Errorf("train: checkpoint %s: replaying epoch %d's test pass gives loss %v and %d right, the run recorded %v and %d; the backend is not deterministic or the checkpoint is damaged",
			dir, last.Epoch, m.Loss, m.Correct, last.Test.Loss, last.Test.Correct)
	}
	r.History = append([]Epoch(nil), ck.Record.History...)
	if ck.Record.Plateau != nil {
		p := *ck.Record.Plateau
		r.Plateau = &p
	}
	r.Classifier.Backend.SetLR(ck.Record.LR)
	return r, nil
}

// EpochTo runs the next epoch as Classifier.Epoch does; with dir not empty it also saves
// a checkpoint there (the backend's state as it was after the training pass) and the
// trained network (TrainedFile).
func (r *Run) EpochTo(dir string, progress func(done, total int)) (Epoch, error) {
	if dir == "" {
		return r.Classifier.Epoch(progress)
	}
	cp, ok := r.Classifier.Backend.(Checkpointer)
	if !ok {
		return Epoch{}, fmt.Errorf("train: the %s backend cannot save checkpoints; train without --checkpoint", r.Config.Backend)
	}
	var state []byte
	r.Classifier.afterTrain = func() error {
		var err error
		state, err = cp.AppendCheckpoint(nil)
		return err
	}
	defer func() { r.Classifier.afterTrain = nil }()
	e, err := r.Classifier.Epoch(progress)
	if err != nil {
		return e, err
	}
	rec := r.record()
	buf, err := AppendCheckpoint(nil, &Checkpoint{Network: r.Config.Net, Record: rec, State: state})
	if err != nil {
		return e, err
	}
	if err := WriteCheckpoint(dir, buf); err != nil {
		return e, err
	}
	params, err := ReadParams(r.Classifier.Backend)
	if err != nil {
		return e, err
	}
	trained, err := WithParams(r.Config.Net, params)
	if err != nil {
		return e, err
	}
	var nw bytes.Buffer
	if err := network.Encode(&nw, trained); err != nil {
		return e, err
	}
	return e, writeAtomic(dir, TrainedFile, nw.Bytes())
}

// TrainedPath is where EpochTo writes the trained network in dir.
func TrainedPath(dir string) string { return filepath.Join(dir, TrainedFile) }

// Config returns the Config of the run ck saved, on data.
func (ck *Checkpoint) Config(data *tasks.Sequences) Config {
	r := ck.Record
	return Config{Task: r.Task, Net: ck.Network, Data: data, Backend: r.Backend, Seed: r.Seed, Contexts: r.Contexts}
}

// EvaluateCheckpoint measures the test set from the state ck saved, as the run did
// after that epoch's training: the metrics equal the last epoch's recorded test metrics
// on a deterministic backend. data must be the data set the run trained on.
func EvaluateCheckpoint(ck *Checkpoint, data *tasks.Sequences, dir string, opt ChipOptions, progress func(steps int)) (Metrics, error) {
	r, err := OpenCheckpoint(ck, data, dir, opt)
	if err != nil {
		return Metrics{}, err
	}
	defer r.Close()
	return r.Evaluate(progress)
}

// OpenCheckpoint builds the run ck saved, on data, with the backend's state restored
// as it was after the last epoch's training pass (the chip's counters too, so its
// health report covers the run so far), ready for Evaluate; the caller closes it.
func OpenCheckpoint(ck *Checkpoint, data *tasks.Sequences, dir string, opt ChipOptions) (*Run, error) {
	cfg := ck.Config(data)
	cfg.Chip = opt
	if err := ck.Matches(cfg, dir); err != nil {
		return nil, err
	}
	r, err := NewRun(cfg)
	if err != nil {
		return nil, err
	}
	cp, ok := r.Classifier.Backend.(Checkpointer)
	if !ok {
		r.Close()
		return nil, fmt.Errorf("train: the %s backend cannot restore checkpoints; start a new run without --resume, or resume on --backend float or chip", cfg.Backend)
	}
	if err := cp.Restore(ck.State); err != nil {
		r.Close()
		return nil, fmt.Errorf("train: checkpoint %s: %w", dir, err)
	}
	return r, nil
}

// EvaluateNetwork measures the test set of data on a fresh backend running net (its
// parameters as its file gives them, every state zero) on contexts contexts; opt
// configures the chip backend.
func EvaluateNetwork(backend string, net *network.Network, data *tasks.Sequences, contexts int, opt ChipOptions, progress func(steps int)) (Metrics, error) {
	r, err := NewRun(Config{Task: data.Name, Net: net, Data: data, Backend: backend, Contexts: contexts, Chip: opt})
	if err != nil {
		return Metrics{}, err
	}
	defer r.Close()
	return r.Evaluate(progress)
}
