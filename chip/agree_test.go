package chip_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
)

func loadNetwork(t testing.TB, path string) *network.Network {
	t.Helper()
	n, err := network.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newPair(t testing.TB, n *network.Network, contexts int, opt chiptest.Options) (*chip.Chip, *gle.Net) {
	t.Helper()
	opt.Contexts = contexts
	p, err := chiptest.Map(n, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gle.New(n, nil, contexts)
	if err != nil {
		t.Fatal(err)
	}
	return c, g
}

type drift struct {
	max, sumsq float64
	n          int
}

func (d *drift) add(a, b float64) {
	e := math.Abs(a - b)
	d.max = max(d.max, e)
	d.sumsq += e * e
	d.n++
}

func (d *drift) rms() float64 { return math.Sqrt(d.sumsq / float64(max(d.n, 1))) }

func TestChainLearningDrift(t *testing.T) {
	for _, name := range []string{"chain-trace", "chain-learning"} {
		t.Run(name, func(t *testing.T) {
			student := loadNetwork(t, "testdata/"+name+".net.json")
			teacherNet := loadNetwork(t, "testdata/chain-teacher.net.json")
			teacher, err := gle.New(teacherNet, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			c, g := newPair(t, student, 1, chiptest.Options{})
			x, y := []float64{0}, []float64{0}
			var out drift
			var co []float64
			for k := range 200 {
				x[0] = 1 + math.Sin(0.5*float64(k)*0.05)
				if err := teacher.Step(x, nil); err != nil {
					t.Fatal(err)
				}
				copy(y, teacher.Out)
				if err := g.Step(x, y); err != nil {
					t.Fatal(err)
				}
				if err := c.StepWith(x, y); err != nil {
					t.Fatal(err)
				}
				co = c.Output(co)
				out.add(co[0], g.Out[0])
			}
			var par drift
			for i := range 2 {
				w, _ := c.Weights(i, nil)
				tm, _ := c.State(i+1, "tau_m", nil)
				par.add(w[0], g.Projections[i].W[0])
				par.add(tm[0], g.Populations[i+1].TauM[0])
			}
			t.Logf("%s, 200 steps: output drift max %.3g rms %.3g; W and τm drift max %.3g rms %.3g", name, out.max, out.rms(), par.max, par.rms())
			if out.max > 1e-3 || par.max > 1e-4 {
				t.Errorf("drift larger than expected")
			}
		})
	}
}

// TestGoldenCEBatchDrift runs the golden ce-batch network (1→16→16→10, 4 contexts,
// identity/tanh/linear with mixed LI and LE units, biases, cross-entropy, Adam on
// weights and biases) for its 100 steps on the chip and on gle and reports the drift.
func TestGoldenCEBatchDrift(t *testing.T) {
	var gd struct {
		X      [][]float64 `json:"X"`
		Labels [][]int     `json:"labels"`
		Steps  int         `json:"steps"`
		Batch  int         `json:"batch"`
	}
	b, err := os.ReadFile("testdata/ce-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &gd); err != nil {
		t.Fatal(err)
	}
	net := loadNetwork(t, "testdata/ce-batch.net.json")
	cfg := chip.DefaultConfig()
	setRounding(&cfg, "err_bus", fixedpoint.Stochastic)
	c, g := newPair(t, net, gd.Batch, chiptest.Options{Config: &cfg})
	x := make([]float64, gd.Batch)
	var out drift
	var co []float64
	for k := range gd.Steps {
		for i := range gd.Batch {
			x[i] = gd.X[k][i]
		}
		labels := gd.Labels[k/50]
		if err := g.StepLabels(x, labels); err != nil {
			t.Fatal(err)
		}
		if err := c.SetInput(x); err != nil {
			t.Fatal(err)
		}
		if err := c.SetLabels(labels); err != nil {
			t.Fatal(err)
		}
		if err := c.Step(); err != nil {
			t.Fatal(err)
		}
		co = c.Output(co)
		for i, v := range co {
			out.add(v, g.Out[i])
		}
	}
	line := ""
	var all drift
	for p := range net.Projections {
		w, _ := c.Weights(p, nil)
		var d drift
		for i, v := range w {
			d.add(v, g.Projections[p].W[i])
			all.add(v, g.Projections[p].W[i])
		}
		line += fmtDrift(d)
	}
	t.Logf("ce-batch, %d steps: output drift max %.3g rms %.3g; weight drift (max/rms) per projection%s", gd.Steps, out.max, out.rms(), line)
	// 100 Adam steps of lr 1e-3 move a weight by at most 0.1: the drift must be well below.
	if all.max > 0.03 || out.max > 0.05 {
		t.Errorf("drift larger than expected: weights max %.3g, outputs max %.3g", all.max, out.max)
	}
}
