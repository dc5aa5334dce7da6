package train

import (
	"sort"
	"testing"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/tasks"
)

// BenchmarkEpoch: one epoch of the paper's MNIST-1D network on 100 contexts over the
// first 100 training and 100 test samples (one batch each: 720 steps); steps/s is
// comparable to a full epoch's (18 000 steps).
func BenchmarkEpoch(b *testing.B) {
	nw, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		b.Fatal(err)
	}
	smallData(b)
	data := mnist1dData.Head(100, 100)
	r, err := NewRun(Config{Task: "mnist1d", Net: nw, Data: data, Backend: "float", Seed: 1, Contexts: 100})
	if err != nil {
		b.Fatal(err)
	}
	steps := 0
	for b.Loop() {
		e, err := r.Epoch(nil)
		if err != nil {
			b.Fatal(err)
		}
		steps += e.Steps
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}

// TestPassAllocatesPerPassNotPerStep: a test pass of 3 batches × 360 steps allocates
// only its order slice.
func TestPassAllocatesPerPassNotPerStep(t *testing.T) {
	nw, err := tasks.MNIST1DNetwork(6, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRun(Config{Task: "mnist1d", Net: nw, Data: smallData(t), Backend: "float", Seed: 1, Contexts: 5})
	if err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(3, func() {
		if _, err := r.Evaluate(nil); err != nil {
			t.Fatal(err)
		}
	}); a > 1 {
		t.Errorf("%v allocations per test pass of %d steps; want 1", a, 3*360)
	}
}

// BenchmarkChipStep: one 360-step sample window of the paper's MNIST-1D network on 100
// contexts, learning, three ways on the same compiled program, interleaved in every
// iteration so that the machine's load falls on all three alike: chip.Chip stepped
// directly (SetInput, Step, Output: the baseline), the chip backend's Step (one
// host.Device.Run per step) and its RunWindow (one Device.Run per window). It reports
// the median steps/s of each and the backend's medians relative to the baseline.
func BenchmarkChipStep(b *testing.B) {
	nw, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		b.Fatal(err)
	}
	data := smallData(b)
	const C = 100
	T := data.Length
	c, err := NewChip(nw, nil, C, ChipOptions{Samples: RangingSamples(data, RangingSampleCount)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ch, err := chip.New(c.Compiled.Program)
	if err != nil {
		b.Fatal(err)
	}
	defer ch.Close()
	win := &Window{Steps: T, X: make([]float64, T*C), Labels: make([]int, C), Out: make([]float64, T*C*data.Classes)}
	for k := range T {
		for ctx := range C {
			win.X[k*C+ctx] = data.TrainX[(ctx%data.NumTrain())*T+k]
		}
	}
	y := make([]float64, C*data.Classes)
	for ctx := range C {
		win.Labels[ctx] = data.TrainY[ctx%data.NumTrain()]
		y[ctx*data.Classes+win.Labels[ctx]] = 1
	}
	out := make([]float64, C*data.Classes)
	ways := []func() error{
		func() error { // chip.Chip directly
			if err := ch.SetLabels(win.Labels); err != nil {
				return err
			}
			for k := range T {
				if err := ch.SetInput(win.X[k*C : (k+1)*C]); err != nil {
					return err
				}
				if err := ch.Step(); err != nil {
					return err
				}
				out = ch.Output(out)
			}
			return nil
		},
		func() error { // Backend.Step
			for k := range T {
				if err := c.Step(win.X[k*C:(k+1)*C], y); err != nil {
					return err
				}
			}
			return nil
		},
		func() error { return c.RunWindow(win) },
	}
	var rates [3][]float64
	for b.Loop() {
		for i, f := range ways {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			rates[i] = append(rates[i], float64(T)/time.Since(start).Seconds())
		}
	}
	med := func(xs []float64) float64 {
		s := append([]float64(nil), xs...)
		sort.Float64s(s)
		return s[len(s)/2]
	}
	base := med(rates[0])
	b.ReportMetric(base, "chip_steps/s")
	b.ReportMetric(med(rates[1]), "step_steps/s")
	b.ReportMetric(med(rates[2]), "window_steps/s")
	b.ReportMetric(med(rates[1])/base, "step/chip")
	b.ReportMetric(med(rates[2])/base, "window/chip")
}
