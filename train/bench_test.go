package train

import (
	"testing"

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
