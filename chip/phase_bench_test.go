package chip_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/tasks"
)

// BenchmarkPhases times each phase of the MNIST-1D step alone (learning on), after
// a warm-up that tabulates the units: where the step's time goes.
func BenchmarkPhases(b *testing.B) {
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, C := range []int{1, 100} {
		p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: C})
		if err != nil {
			b.Fatal(err)
		}
		c, err := chip.New(p)
		if err != nil {
			b.Fatal(err)
		}
		chip.ForceMemo(c)
		drive(b, c, 20, 1, 1, true)
		for ph, name := range []string{"forward", "neurons", "backward", "backward-scalar", "commit"} {
			if name == "backward-scalar" {
				was := chip.SetAdamKernel(false)
				b.Run(fmt.Sprintf("contexts=%d/%s", C, name), func(b *testing.B) { benchPhase(b, c, 2) })
				chip.SetAdamKernel(was)
				continue
			}
			if ph > 3 {
				ph = 3
			}
			b.Run(fmt.Sprintf("contexts=%d/%s", C, name), func(b *testing.B) { benchPhase(b, c, ph) })
		}
		c.Close()
	}
}

func benchPhase(b *testing.B, c *chip.Chip, ph int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	for range b.N {
		chip.RunPhase(c, ph)
	}
	b.ReportMetric(float64(threadCPU()-t0)/float64(b.N), "cpu-ns/op")
}
