package chip_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/tasks"
)

// BenchmarkPhases times each phase of the MNIST-1D step alone (learning on, the
// default block error bus), and the whole step, after a warm-up that tabulates the units: where the step's time goes.
// "-scalar" runs the Go loops instead of the vector kernels. cpu-ns/op is the thread's
// CPU time, steadier than the wall clock on a shared machine.
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
		for _, r := range []struct {
			name   string
			phase  int
			scalar bool // the Go loops instead of the vector kernels
		}{
			{"forward", 0, false}, {"neurons", 1, false}, {"neurons-scalar", 1, true},
			{"errbus", 2, false}, {"errbus-scalar", 2, true},
			{"backward", 3, false}, {"backward-scalar", 3, true}, {"commit", 4, false},
			{"step", chip.PhaseStep, false}, {"step-scalar", chip.PhaseStep, true},
		} {
			b.Run(fmt.Sprintf("contexts=%d/%s", C, r.name), func(b *testing.B) {
				if r.scalar {
					defer chip.SetNeuronKernel(chip.SetNeuronKernel(false))
					defer chip.SetAdamKernel(chip.SetAdamKernel(false))
				}
				benchPhase(b, c, r.phase)
			})
		}
		c.Close()
	}
}

func benchPhase(b *testing.B, c *chip.Chip, ph int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := chip.ThreadCPU()
	for range b.N {
		chip.RunPhase(c, ph)
	}
	b.ReportMetric(float64(chip.ThreadCPU()-t0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkWorkers times whole MNIST-1D steps (learning on) on 1 and 2 workers:
// ns/op is the wall clock, proc-cpu-ns/op the CPU time of all the process's threads.
// Compare the two in the same run: the machine is shared.
func BenchmarkWorkers(b *testing.B) {
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, C := range []int{1, 100} {
		p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: C})
		if err != nil {
			b.Fatal(err)
		}
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("contexts=%d/workers=%d", C, w), func(b *testing.B) {
				c, err := chip.New(p, chip.WithWorkers(w))
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				chip.ForceMemo(c)
				drive(b, c, 20, 1, 1, true)
				b.ResetTimer()
				t0 := chip.ProcessCPU()
				for range b.N {
					chip.RunPhase(c, chip.PhaseStep)
				}
				b.ReportMetric(float64(chip.ProcessCPU()-t0)/float64(b.N), "proc-cpu-ns/op")
			})
		}
		// The machine's own parallelism: two chips on one worker each, stepping at the
		// same time (ns/op per step of each). Near workers=1's time only when two cores
		// are free; workers=2 cannot do better than this.
		b.Run(fmt.Sprintf("contexts=%d/two-chips", C), func(b *testing.B) {
			var cs [2]*chip.Chip
			for i := range cs {
				c, err := chip.New(p)
				if err != nil {
					b.Fatal(err)
				}
				chip.ForceMemo(c)
				drive(b, c, 20, 1, 1, true)
				cs[i] = c
			}
			b.ResetTimer()
			t0 := chip.ProcessCPU()
			var wg sync.WaitGroup
			for _, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range b.N {
						chip.RunPhase(c, chip.PhaseStep)
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(chip.ProcessCPU()-t0)/float64(2*b.N), "proc-cpu-ns/op")
		})
	}
}
