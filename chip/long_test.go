package chip_test

import (
	"flag"
	"math"
	"testing"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/tasks"
)

var long = flag.Bool("long", false, "run long tests")

var mnistSteps = flag.Int("mnist-steps", 2000, "steps of the long MNIST-1D drift test")

// TestMNIST1DDrift trains the spec's MNIST-1D network (Adam lr 1e-3, batch 100,
// cross-entropy) on the chip and on gle from the same initial parameters with the same
// data, and reports the drift of outputs and weights.
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
	c, g := newPair(t, net, C, chiptest.Options{})
	L := data.Length
	x := make([]float64, C)
	labels := make([]int, C)
	var co []float64
	var tc, tg time.Duration
	for k := range *mnistSteps {
		batch, pos := k/L, k%L
		for i := range C {
			s := (batch*C + i) % data.NumTrain()
			x[i] = data.TrainX[s*L+pos]
			labels[i] = data.TrainY[s]
		}
		t0 := time.Now()
		if err := g.StepLabels(x, labels); err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		if err := c.SetInput(x); err != nil {
			t.Fatal(err)
		}
		if err := c.SetLabels(labels); err != nil {
			t.Fatal(err)
		}
		if err := c.Step(); err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		tc += t2.Sub(t1)
		tg += t1.Sub(t0)
		if (k+1)%(*mnistSteps/10) == 0 {
			co = c.Output(co)
			var out drift
			for i, v := range co {
				out.add(v, g.Out[i])
			}
			line := ""
			for p := range net.Projections {
				w, _ := c.Weights(p, nil)
				var d drift
				for i, v := range w {
					d.add(v, g.Projections[p].W[i])
				}
				line += fmtDrift(d)
			}
			t.Logf("step %5d: out max %.3g rms %.3g | W drift (max/rms) %s", k+1, out.max, out.rms(), line)
		}
	}
	t.Logf("time per step: chip %v, gle %v", tc/time.Duration(*mnistSteps), tg/time.Duration(*mnistSteps))
	t.Log(c.Health())
}

func fmtDrift(d drift) string {
	return " " + ftoa(d.max) + "/" + ftoa(d.rms())
}

func ftoa(x float64) string {
	if x == 0 {
		return "0"
	}
	e := math.Floor(math.Log10(x))
	m := x / math.Pow(10, e)
	return trimf(m) + "e" + itoa(int(e))
}

func trimf(m float64) string {
	v := int(m*10 + 0.5)
	return itoa(v/10) + "." + itoa(v%10)
}

func itoa(i int) string {
	if i < 0 {
		return "-" + itoa(-i)
	}
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

var _ = chip.New
var _ = gle.New
