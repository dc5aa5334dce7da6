package train

import (
	"fmt"
	"math"
	"time"

	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

// Metrics are a pass's loss and accuracy by the spec's readout (section 3): a sample's
// predicted class is the argmax of the reported outputs summed over its T steps (no
// shift for the pipeline delay); the loss is the cross-entropy of each step's reported
// output against the label, averaged over the T steps and the samples.
type Metrics struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"` // fraction of samples classified right, 0 … 1
	Samples  int     `json:"samples"`
	Correct  int     `json:"correct"`
}

// Epoch is what one epoch did: the line the JSON-lines log writes.
type Epoch struct {
	Epoch int `json:"epoch"` // 1, 2, …
	// LR is the learning rate the epoch trained with; NextLR the one the plateau
	// schedule chose for the next epoch.
	LR     float64 `json:"lr"`
	NextLR float64 `json:"next_lr"`
	Train  Metrics `json:"train"`
	Test   Metrics `json:"test"`
	// Steps the backend took (training and test passes); StepsPerSecond their rate;
	// Seconds the epoch's wall time.
	Steps          int     `json:"steps"`
	StepsPerSecond float64 `json:"steps_per_s"`
	Seconds        float64 `json:"wall_s"`
}

// Classifier trains a backend on a sequence-classification data set epoch by epoch
// (spec sections 3 and 5): every epoch it feeds the training samples in the epoch's
// order (EpochOrder) with learning on, each sample one point per step for T steps with
// its label as target at every step, then the test samples in their order with
// learning off and no target; then the plateau schedule takes the test loss. The
// network's state is never reset: it carries over from sample to sample, from training
// into evaluation and back. How a set that is not a multiple of the contexts is fed:
// see Batches.
type Classifier struct {
	Backend Backend
	Data    *tasks.Sequences
	// Seed keys the per-epoch shuffles.
	Seed uint64
	// Plateau is the learning-rate schedule (nil: constant).
	Plateau *Plateau
	// History holds every epoch done, the first first.
	History []Epoch

	// afterTrain, if set, runs between an epoch's training and test passes.
	afterTrain func() error

	x, y   []float64
	win    Window // the window of a WindowRunner backend
	idx    []int
	labels []int
	sum    []float64
}

// NewClassifier checks that backend's network fits data (one input per step, one output
// per class) and returns a Classifier before its first epoch.
func NewClassifier(b Backend, net *network.Network, data *tasks.Sequences, seed uint64) (*Classifier, error) {
	if err := CheckFits(net, data); err != nil {
		return nil, err
	}
	C := b.Contexts()
	if C < 1 {
		return nil, fmt.Errorf("train: backend has %d contexts; run at least 1", C)
	}
	return &Classifier{Backend: b, Data: data, Seed: seed, Plateau: NewPlateau(net.Learning.Plateau),
		x: make([]float64, C), y: make([]float64, C*data.Classes), idx: make([]int, C), labels: make([]int, C),
		sum: make([]float64, C*data.Classes)}, nil
}

// CheckFits reports whether net can classify data: cross-entropy loss, one input value
// per step and one output per class.
func CheckFits(net *network.Network, data *tasks.Sequences) error {
	if err := data.Check(); err != nil {
		return err
	}
	name := net.Name
	if name == "" {
		name = "the network"
	} else {
		name = fmt.Sprintf("network %q", name)
	}
	if w := net.OutputWidth(); w != data.Classes {
		return fmt.Errorf("train: %s has %d outputs, but %s has %d classes; give it one output per class", name, w, data.Name, data.Classes)
	}
	if w := net.InputWidth(); w != 1 {
		return fmt.Errorf("train: %s takes %d inputs per step, but %s feeds 1; give it a single input", name, w, data.Name)
	}
	if net.Loss.Kind != network.LossCrossEntropy {
		return fmt.Errorf("train: %s has a %s loss; classification needs \"cross_entropy\"", name, net.Loss.Kind)
	}
	return nil
}

// StepsPerEpoch is the number of steps one epoch takes: training and test passes.
func (c *Classifier) StepsPerEpoch() int {
	C := c.Backend.Contexts()
	return (Batches(c.Data.NumTrain(), C) + Batches(c.Data.NumTest(), C)) * c.Data.Length
}

// Epoch runs the next epoch (training, evaluation, the schedule), appends it to History
// and returns it. progress, if not nil, is called after every batch with the steps done
// in this epoch and the epoch's total.
func (c *Classifier) Epoch(progress func(done, total int)) (Epoch, error) {
	start := time.Now()
	e := Epoch{Epoch: len(c.History) + 1, LR: c.Backend.LR()}
	total := c.StepsPerEpoch()
	done := 0
	report := func(steps int) {
		done += steps
		if progress != nil {
			progress(done, total)
		}
	}
	order := EpochOrder(c.Seed, e.Epoch, c.Data.NumTrain())
	var err error
	if e.Train, err = c.pass(order, c.Data.TrainX, c.Data.TrainY, true, report); err != nil {
		return e, err
	}
	if c.afterTrain != nil {
		if err := c.afterTrain(); err != nil {
			return e, err
		}
	}
	if e.Test, err = c.Evaluate(report); err != nil {
		return e, err
	}
	for _, m := range []struct {
		pass string
		loss float64
	}{{"training", e.Train.Loss}, {"test", e.Test.Loss}} {
		if math.IsNaN(m.loss) || math.IsInf(m.loss, 0) {
			return e, fmt.Errorf("train: epoch %d: the %s loss is %v: the network diverged; lower the learning rate (--lr)", e.Epoch, m.pass, m.loss)
		}
	}
	e.NextLR = e.LR
	if c.Plateau != nil {
		e.NextLR = c.Plateau.Next(e.Test.Loss, e.LR)
		c.Backend.SetLR(e.NextLR)
	}
	e.Steps = total
	e.Seconds = time.Since(start).Seconds()
	e.StepsPerSecond = float64(total) / e.Seconds
	c.History = append(c.History, e)
	return e, nil
}

// Evaluate feeds the test set in its order with learning off and no target and returns
// the test metrics. progress, if not nil, is called after every batch with the number of
// steps it took.
func (c *Classifier) Evaluate(progress func(steps int)) (Metrics, error) {
	order := make([]int, c.Data.NumTest())
	for i := range order {
		order[i] = i
	}
	return c.pass(order, c.Data.TestX, c.Data.TestY, false, progress)
}

// pass feeds the samples of X, Y in order (see Batches) and measures them.
func (c *Classifier) pass(order []int, X []float64, Y []int, learn bool, progress func(steps int)) (Metrics, error) {
	b := c.Backend
	C, K, T := b.Contexts(), c.Data.Classes, c.Data.Length
	n := len(order)
	b.SetLearning(learn)
	var m Metrics
	lossSum := 0.0
	for batch := range Batches(n, C) {
		valid := min(C, n-batch*C) // contexts 0 … valid−1 count; the rest are padding
		for ctx := range C {
			s := order[(batch*C+ctx)%n]
			c.idx[ctx] = s * T
			c.labels[ctx] = Y[s]
		}
		var y []float64
		if learn {
			clear(c.y)
			for ctx, l := range c.labels {
				c.y[ctx*K+l] = 1
			}
			y = c.y
		}
		clear(c.sum)
		wr, window := b.(WindowRunner)
		if window {
			if err := c.runWindow(wr, X, learn); err != nil {
				return m, err
			}
		}
		for k := range T {
			var out []float64
			if window {
				out = c.win.Out[k*C*K : (k+1)*C*K]
			} else {
				for ctx, off := range c.idx {
					c.x[ctx] = X[off+k]
				}
				if err := b.Step(c.x, y); err != nil {
					return m, err
				}
				out = b.Output()
			}
			for ctx := range valid {
				row := out[ctx*K : (ctx+1)*K]
				sum := c.sum[ctx*K : (ctx+1)*K]
				for i, o := range row {
					sum[i] += o
				}
				lossSum += logSumExp(row) - row[c.labels[ctx]]
			}
		}
		for ctx := range valid {
			if argmax(c.sum[ctx*K:(ctx+1)*K]) == c.labels[ctx] {
				m.Correct++
			}
		}
		m.Samples += valid
		if progress != nil {
			progress(T)
		}
	}
	m.Loss = math.NaN()
	if m.Samples > 0 {
		m.Loss = lossSum / float64(m.Samples*T)
		m.Accuracy = float64(m.Correct) / float64(m.Samples)
	}
	return m, nil
}

// runWindow runs the batch whose sample offsets are in c.idx as one window: every step's
// inputs, the labels as targets if learn, the outputs into c.win.Out.
func (c *Classifier) runWindow(wr WindowRunner, X []float64, learn bool) error {
	C, K, T := c.Backend.Contexts(), c.Data.Classes, c.Data.Length
	if c.win.X == nil {
		c.win = Window{Steps: T, X: make([]float64, T*C), Out: make([]float64, T*C*K)}
	}
	for k := range T {
		row := c.win.X[k*C : (k+1)*C]
		for ctx, off := range c.idx {
			row[ctx] = X[off+k]
		}
	}
	c.win.Labels = nil
	if learn {
		c.win.Labels = c.labels
	}
	return wr.RunWindow(&c.win)
}

// argmax returns the index of the largest value, the first of equal ones.
func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}
