package chip_test

import (
	"flag"
	"fmt"
	"math"
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
	mnistQ      = flag.Float64("mnist-q", 0.999, "quantile of |ĕ| that ErrorExp makes fit the error bus (0: the mapper's heuristic)")
	mnistErrSR  = flag.Bool("mnist-err-sr", true, "round ĕ onto the error bus stochastically")
	mnistTable  = flag.String("mnist-formats", "", "format overrides, name=Qm.n,...")
	mnistReport = flag.Int("mnist-report", 360, "report every this many steps")
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
			exps[r.Population] = chiptest.ExpFor(r.EBreve[0], busInt, -12)
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
	if *mnistTable != "" {
		for _, kv := range strings.Split(*mnistTable, ",") {
			name, f, _ := strings.Cut(kv, "=")
			fm, err := fixedpoint.Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			setFormatT(&cfg, name, fm)
		}
	}
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
