package chip_test

import (
	"math"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
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
			w, _ := c.Weights(1, nil)
			t.Logf("output drift max %.3g rms %.3g; W1 chip %.6f gle %.6f", out.max, out.rms(), w[0], g.Projections[1].W[0])
		})
	}
}
