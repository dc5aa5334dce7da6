package chip_test

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

var (
	long        = flag.Bool("long", false, "run long tests")
	mnistSteps  = flag.Int("mnist-steps", 3600, "steps of the long MNIST-1D drift test")
	mnistQ      = flag.Float64("mnist-q", 1, "quantile of |ĕ| that ErrorExp makes fit the error bus (0: the mapper's heuristic)")
	mnistErrSR  = flag.Bool("mnist-err-sr", true, "round ĕ onto the error bus stochastically (the table's default)")
	mnistTable  = flag.String("mnist-formats", "", "format overrides, name=Qm.n,...")
	mnistReport = flag.Int("mnist-report", 360, "report every this many steps")
	mnistHead   = flag.Int("mnist-headroom", 2, "bits of headroom added to the measured error scales")
	mnistWExp   = flag.Int("mnist-weight-exp", 99, "WeightExp of every projection (99: the mapper's heuristic)")
	mnistOutExp = flag.Int("mnist-out-rate-exp", 0, "RateExp of the output population")
)

// mnistDriver feeds MNIST-1D samples: context i of batch b takes training sample
// (b·C + i) mod N, one point per step for Length steps.
type mnistDriver struct {
	data   *tasks.Sequences
	C      int
	x      []float64
	labels []int
}

func (d *mnistDriver) at(k int) {
	L := d.data.Length
	batch, pos := k/L, k%L
	for i := range d.C {
		s := (batch*d.C + i) % d.data.NumTrain()
		d.x[i] = d.data.TrainX[s*L+pos]
		d.labels[i] = d.data.TrainY[s]
	}
}

// window accumulates the cross-entropy and the accuracy of the summed outputs over one
// sample window.
type window struct {
	loss   float64
	n      int
	sums   []float64
	labels []int
}

func (w *window) add(out []float64, labels []int, classes int) {
	if w.sums == nil {
		w.sums = make([]float64, len(out))
	}
	w.labels = labels
	for c, l := range labels {
		o := out[c*classes : (c+1)*classes]
		m := math.Inf(-1)
		for _, v := range o {
			m = max(m, v)
		}
		s := 0.0
		for _, v := range o {
			s += math.Exp(v - m)
		}
		w.loss += -(o[l] - m - math.Log(s))
		w.n++
		for i, v := range o {
			w.sums[c*classes+i] += v
		}
	}
}

func (w *window) result(classes int) (loss, acc float64) {
	right := 0
	for c, l := range w.labels {
		best := 0
		for i := range classes {
			if w.sums[c*classes+i] > w.sums[c*classes+best] {
				best = i
			}
		}
		if best == l {
			right++
		}
	}
	return w.loss / float64(max(w.n, 1)), float64(right) / float64(max(len(w.labels), 1))
}

func (w *window) reset() { clear(w.sums); w.loss, w.n = 0, 0 }

// mnistScales measures gle's |ĕ| on the first steps and sets each population's
// ErrorExp so that quantile q fits the error bus (Q4.11: 4 integer bits).
func mnistScales(t testing.TB, net *network.Network, data *tasks.Sequences, C int, q float64, busInt int) map[string]int {
	if q == 0 {
		return nil
	}
	d := &mnistDriver{data: data, C: C, x: make([]float64, C), labels: make([]int, C)}
	rs, err := chiptest.Measure(net, nil, C, 2*data.Length, 3, []float64{q}, func(g *gle.Net, k int) error {
		d.at(k)
		return g.StepLabels(d.x, d.labels)
	})
	if err != nil {
		t.Fatal(err)
	}
	exps := map[string]int{}
	for _, r := range rs {
		if r.EBreve != nil {
			exps[r.Population] = chiptest.ExpFor(r.EBreve[0], busInt, -12) + *mnistHead
		}
		t.Log(r)
	}
	return exps
}

// TestMNIST1DDrift trains the spec's MNIST-1D network (Adam lr 1e-3, batch 100,
// cross-entropy) on the chip and on gle from the same initial parameters with the same
// data, and reports loss, accuracy and the drift of outputs and weights.
func TestMNIST1DDrift(t *testing.T) {
	if !*long {
		t.Skip("long: run with -long")
	}
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		t.Fatal(err)
	}
	data, err := tasks.NewMNIST1D()
	if err != nil {
		t.Fatal(err)
	}
	const C = 100
	cfg := chip.DefaultConfig()
	if *mnistErrSR {
		setRounding(&cfg, "err_bus", fixedpoint.Stochastic)
	}
	applyFormats(t, &cfg, *mnistTable)
	errBus, _ := cfg.Formats.Lookup("err_bus")
	exps := mnistScales(t, net, data, C, *mnistQ, errBus.Format.Int)
	t.Logf("ErrorExp %v; err_bus %s; formats %q", exps, errBus, *mnistTable)
	c, g := newPair(t, net, C, chiptest.Options{Config: &cfg, ErrorExp: exps})
	d := &mnistDriver{data: data, C: C, x: make([]float64, C), labels: make([]int, C)}
	var co []float64
	var wc, wg window
	var tc, tg time.Duration
	classes := 10
	for k := range *mnistSteps {
		d.at(k)
		t0 := time.Now()
		if err := g.StepLabels(d.x, d.labels); err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		if err := c.SetInput(d.x); err != nil {
			t.Fatal(err)
		}
		if err := c.SetLabels(d.labels); err != nil {
			t.Fatal(err)
		}
		if err := c.Step(); err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		tc += t2.Sub(t1)
		tg += t1.Sub(t0)
		co = c.Output(co)
		wc.add(co, d.labels, classes)
		wg.add(g.Out, d.labels, classes)
		if (k+1)%data.Length == 0 {
			lc, ac := wc.result(classes)
			lg, ag := wg.result(classes)
			wc.reset()
			wg.reset()
			if (k+1)%*mnistReport == 0 {
				var out drift
				for i, v := range co {
					out.add(v, g.Out[i])
				}
				var ws []string
				for p := range net.Projections {
					w, _ := c.Weights(p, nil)
					var dd drift
					for i, v := range w {
						dd.add(v, g.Projections[p].W[i])
					}
					ws = append(ws, fmt.Sprintf("%.1e/%.1e", dd.max, dd.rms()))
				}
				t.Logf("step %6d: loss chip %.4f gle %.4f, window acc chip %.2f gle %.2f | out drift %.2g/%.2g | W drift max/rms %s",
					k+1, lc, lg, ac, ag, out.max, out.rms(), strings.Join(ws, " "))
			}
		}
	}
	t.Logf("time per step: chip %v, gle %v", tc/time.Duration(*mnistSteps), tg/time.Duration(*mnistSteps))
	t.Log(c.Health())
}

func setRounding(c *chip.Config, name string, r fixedpoint.Rounding) {
	for i := range c.Formats {
		if c.Formats[i].Name == name {
			c.Formats[i].Rounding = r
		}
	}
}

func setFormatT(c *chip.Config, name string, f fixedpoint.Format) {
	for i := range c.Formats {
		if c.Formats[i].Name == name {
			c.Formats[i].Format = f
		}
	}
}

func fmtDrift(d drift) string { return fmt.Sprintf(" %.1e/%.1e", d.max, d.rms()) }

func ftoa(x float64) string { return fmt.Sprintf("%.1e", x) }

var mnistEpochs = flag.Int("mnist-epochs", 0, "epochs of the MNIST-1D training comparison (0: skip)")

// mnistTrainer trains a backend on MNIST-1D as the spec says: samples reshuffled every
// epoch (batch C), one point per step, the label as target at every step; test
// accuracy by the argmax of the outputs summed over each test sample's steps, learning
// off and no target, state carried over.
type mnistTrainer struct {
	data *tasks.Sequences
	C    int
	step func(x []float64, labels []int, learn bool) ([]float64, error)
}

func (m *mnistTrainer) epoch(e int) (trainLoss float64, err error) {
	N := m.data.NumTrain()
	perm := rand.New(rand.NewPCG(uint64(e), 42)).Perm(N)
	L := m.data.Length
	x := make([]float64, m.C)
	labels := make([]int, m.C)
	var w window
	var sum float64
	n := 0
	for b := 0; b+m.C <= N; b += m.C {
		for i := range m.C {
			labels[i] = m.data.TrainY[perm[b+i]]
		}
		for pos := range L {
			for i := range m.C {
				x[i] = m.data.TrainX[perm[b+i]*L+pos]
			}
			out, err := m.step(x, labels, true)
			if err != nil {
				return 0, err
			}
			w.add(out, labels, 10)
		}
		l, _ := w.result(10)
		sum += l
		n++
		w.reset()
	}
	return sum / float64(n), nil
}

func (m *mnistTrainer) test() (acc float64, err error) {
	N := m.data.NumTest()
	L := m.data.Length
	x := make([]float64, m.C)
	labels := make([]int, m.C)
	right, total := 0, 0
	var w window
	for b := 0; b+m.C <= N; b += m.C {
		for i := range m.C {
			labels[i] = m.data.TestY[b+i]
		}
		for pos := range L {
			for i := range m.C {
				x[i] = m.data.TestX[(b+i)*L+pos]
			}
			out, err := m.step(x, labels, false)
			if err != nil {
				return 0, err
			}
			w.add(out, labels, 10)
		}
		_, a := w.result(10)
		right += int(math.Round(a * float64(m.C)))
		total += m.C
		w.reset()
	}
	return float64(right) / float64(total), nil
}

// TestMNIST1DEpochs trains the spec's MNIST-1D network for -mnist-epochs epochs on the
// chip and on gle from the same initial parameters and reports the test accuracy after
// every epoch.
func TestMNIST1DEpochs(t *testing.T) {
	if *mnistEpochs == 0 {
		t.Skip("run with -mnist-epochs n")
	}
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		t.Fatal(err)
	}
	data, err := tasks.NewMNIST1D()
	if err != nil {
		t.Fatal(err)
	}
	const C = 100
	cfg := chip.DefaultConfig()
	if *mnistErrSR {
		setRounding(&cfg, "err_bus", fixedpoint.Stochastic)
	}
	applyFormats(t, &cfg, *mnistTable)
	errBus, _ := cfg.Formats.Lookup("err_bus")
	exps := mnistScales(t, net, data, C, *mnistQ, errBus.Format.Int)
	opt := chiptest.Options{Config: &cfg, ErrorExp: exps, RateExp: map[string]int{"out": *mnistOutExp}}
	if *mnistWExp != 99 {
		opt.WeightExp = map[int]int{}
		for p := range net.Projections {
			opt.WeightExp[p] = *mnistWExp
		}
	}
	t.Logf("scales: ErrorExp %v, WeightExp %v, output RateExp %d", exps, opt.WeightExp, *mnistOutExp)
	c, g := newPair(t, net, C, opt)
	var co []float64
	chipT := &mnistTrainer{data: data, C: C, step: func(x []float64, labels []int, learn bool) ([]float64, error) {
		c.SetLearning(learn)
		if err := c.SetInput(x); err != nil {
			return nil, err
		}
		if learn {
			if err := c.SetLabels(labels); err != nil {
				return nil, err
			}
		} else {
			c.ClearTarget()
		}
		if err := c.Step(); err != nil {
			return nil, err
		}
		co = c.Output(co)
		return co, nil
	}}
	gleT := &mnistTrainer{data: data, C: C, step: func(x []float64, labels []int, learn bool) ([]float64, error) {
		if learn {
			return g.Out, g.StepLabels(x, labels)
		}
		lr := g.LR
		g.LR = 0
		err := g.Step(x, nil)
		g.LR = lr
		return g.Out, err
	}}
	for e := 1; e <= *mnistEpochs; e++ {
		t0 := time.Now()
		lc, err := chipT.epoch(e)
		if err != nil {
			t.Fatal(err)
		}
		ac, err := chipT.test()
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		lg, err := gleT.epoch(e)
		if err != nil {
			t.Fatal(err)
		}
		ag, err := gleT.test()
		if err != nil {
			t.Fatal(err)
		}
		var wmax []string
		for p := range net.Projections {
			m := 0.0
			for _, w := range g.Projections[p].W {
				m = max(m, math.Abs(w))
			}
			wmax = append(wmax, fmt.Sprintf("%.2g", m))
		}
		t.Logf("epoch %d: train loss chip %.4f gle %.4f; test accuracy chip %.1f %% gle %.1f %% (%v chip, %v gle); gle max|W| %s",
			e, lc, lg, 100*ac, 100*ag, t1.Sub(t0).Round(time.Second), time.Since(t1).Round(time.Second), strings.Join(wmax, " "))
	}
	t.Log(c.Health())
}

// applyFormats overrides formats of cfg from "name=Qm.n,..." (empty: none).
func applyFormats(t testing.TB, cfg *chip.Config, spec string) {
	if spec == "" {
		return
	}
	for _, kv := range strings.Split(spec, ",") {
		name, f, _ := strings.Cut(kv, "=")
		fm, err := fixedpoint.Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		setFormatT(cfg, name, fm)
	}
}

// TestMNIST1DChaos measures how far two float runs drift apart when one starts from
// weights perturbed by 1e-6 (relative): the baseline against which the chip's drift
// from gle is read. Adam turns tiny gradient differences into full ±lr steps, so the
// weights of any two implementations part quickly while their losses agree.
func TestMNIST1DChaos(t *testing.T) {
	if !*long {
		t.Skip("long: run with -long")
	}
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		t.Fatal(err)
	}
	data, err := tasks.NewMNIST1D()
	if err != nil {
		t.Fatal(err)
	}
	const C = 100
	a, err := gle.New(net, nil, C)
	if err != nil {
		t.Fatal(err)
	}
	params := a.Params.Clone()
	for _, w := range params.Weights {
		for i := range w {
			w[i] *= 1 + 1e-6*math.Sin(float64(i))
		}
	}
	b, err := gle.New(net, params, C)
	if err != nil {
		t.Fatal(err)
	}
	d := &mnistDriver{data: data, C: C, x: make([]float64, C), labels: make([]int, C)}
	var wa, wb window
	for k := range *mnistSteps {
		d.at(k)
		if err := a.StepLabels(d.x, d.labels); err != nil {
			t.Fatal(err)
		}
		if err := b.StepLabels(d.x, d.labels); err != nil {
			t.Fatal(err)
		}
		wa.add(a.Out, d.labels, 10)
		wb.add(b.Out, d.labels, 10)
		if (k+1)%data.Length == 0 {
			la, _ := wa.result(10)
			lb, _ := wb.result(10)
			wa.reset()
			wb.reset()
			var out drift
			for i, v := range a.Out {
				out.add(v, b.Out[i])
			}
			var ws []string
			for p := range net.Projections {
				var dd drift
				for i, v := range a.Projections[p].W {
					dd.add(v, b.Projections[p].W[i])
				}
				ws = append(ws, fmt.Sprintf("%.1e/%.1e", dd.max, dd.rms()))
			}
			t.Logf("step %6d: loss %.4f vs %.4f | out drift %.2g/%.2g | W drift max/rms %s", k+1, la, lb, out.max, out.rms(), strings.Join(ws, " "))
		}
	}
}
