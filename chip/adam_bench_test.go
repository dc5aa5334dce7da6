package chip_test

import (
	"runtime"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/tasks"
)

// BenchmarkAdamChip times the weight learning of MNIST-1D at one context on the
// chip's own state after 20 training steps (gradient formation and Adam on every
// plastic block, the crossbar writes included; the state is put back every 8 runs so
// that it does not drift): cpu-ns/synapse is the thread's CPU time per weight.
// "-scalar" runs the Go loops.
func BenchmarkAdamChip(b *testing.B) {
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		b.Fatal(err)
	}
	p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: 1})
	if err != nil {
		b.Fatal(err)
	}
	c, err := chip.New(p)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	chip.ForceMemo(c)
	drive(b, c, 20, 1, 1, true)
	run, restore, n := chip.AdamWeightsBench(c)
	for _, scalar := range []bool{false, true} {
		name := "kernel"
		if scalar {
			name = "scalar"
		}
		b.Run(name, func(b *testing.B) {
			defer chip.SetAdamKernel(chip.SetAdamKernel(!scalar))
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			t0 := chip.ThreadCPU()
			for i := range b.N {
				if i%8 == 0 {
					restore()
				}
				run()
			}
			b.ReportMetric(float64(chip.ThreadCPU()-t0)/float64(b.N*n), "cpu-ns/synapse")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/synapse")
		})
	}
	restore()
}
