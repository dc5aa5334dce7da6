package chip_test

import (
	"fmt"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/network"
)

// TestNeuronSplitMatchesOneWorker: with fewer than two contexts per part and weights
// learning, the step splits the neurons between the parts (docs/chip.md, Performance,
// round 8); after some steps every state, parameter, moment, crossbar cell and counter
// is what one worker gives, for 2, 3 and 4 workers, 1 to 3 contexts, both error buses,
// Adam, momentum and SGD on weights, biases and τm, odd population sizes split over
// tiles (MaxNeurons, MaxCols: several runs and blocks per population, a population
// whose blocks live on other tiles than its neurons' partner), and the MNIST-1D
// network at one context.
func TestNeuronSplitMatchesOneWorker(t *testing.T) {
	type net struct {
		name string
		run  func(t *testing.T, workers int, bus chip.ErrorBusMode) *chip.Chip
	}
	var nets []net
	for _, C := range []int{1, 2, 3} {
		for _, opt := range []string{network.OptimizerAdam, network.OptimizerMomentum, network.OptimizerSGD} {
			seed := uint64(C)
			mk := func() *network.Network { return layeredNet(seed, opt) }
			nets = append(nets,
				net{fmt.Sprintf("layered-%s/seed=%d/contexts=%d", opt, seed, C), fpNet(mk, C, 60, 1.5, nil)},
				net{fmt.Sprintf("layered-%s/seed=%d/contexts=%d/tiles", opt, seed, C),
					fpNetOpt(mk, chiptest.Options{MaxNeurons: 5, MaxCols: 7}, C, 60, 1.5, nil)})
		}
	}
	die := noisyDie
	nets = append(nets, net{"layered-adam/seed=4/contexts=1/analog", fpNet(func() *network.Network { return layeredNet(4, network.OptimizerAdam) }, 1, 60, 30, &die)})
	nets = append(nets, net{"mnist1d/contexts=1", fpMNIST(1, 40, nil)})
	for _, n := range nets {
		for _, bus := range []chip.ErrorBusMode{chip.ErrorBusBlock, chip.ErrorBusStatic} {
			c := n.run(t, 1, bus)
			want := splitHash(c)
			c.Close()
			for _, workers := range []int{2, 3, 4} {
				if raceEnabled && workers == 4 {
					continue
				}
				c := n.run(t, workers, bus)
				got := splitHash(c)
				c.Close()
				if got != want {
					t.Errorf("%s, bus %v, %d workers: fingerprint %s, one worker %s", n.name, bus, workers, got, want)
				}
			}
		}
	}
}

// splitHash is fpHash and every counter, the tiles' event counts (divisions) too.
func splitHash(c *chip.Chip) string {
	return fmt.Sprintf("%s %x", fpHash(c), fmtHash(fmt.Sprintf("%+v", c.Counters())))
}

// TestNeuronSplitDoesNotAllocate: a step with the neuron split (1 context, 2 and 3
// workers, learning on) allocates nothing.
func TestNeuronSplitDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on synchronisation; run without -race")
	}
	for _, workers := range []int{2, 3} {
		p := mapSmall(t, variants[1], 1, chiptest.Options{})
		c, err := chip.New(p, chip.WithWorkers(workers))
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, c.InputWidth())
		y := make([]float64, c.OutputWidth())
		c.SetInput(x)
		c.SetTarget(y)
		c.Step()
		if !chip.NeuronSplit(c) {
			t.Fatalf("%d workers at one context: the step does not use the neuron split", workers)
		}
		if a := testing.AllocsPerRun(50, func() {
			if err := c.Step(); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%d workers: %v allocations per step", workers, a)
		}
		c.Close()
	}
}

// TestNeuronSplitBetweenSteps: the neuron split is used while weights learn and not
// otherwise, and switching between it and the ordinary phases between steps changes
// nothing: learning off and on, weights off while biases learn, biases off, a counter
// reset, and a snapshot restored on another worker count give one worker's bits, at
// one and two contexts and on both error buses.
func TestNeuronSplitBetweenSteps(t *testing.T) {
	for _, C := range []int{1, 2} {
		for _, bus := range []chip.ErrorBusMode{chip.ErrorBusBlock, chip.ErrorBusStatic} {
			var want string
			for _, workers := range []int{1, 2, 3} {
				p, err := chiptest.Map(layeredNet(uint64(C), network.OptimizerAdam), nil, chiptest.Options{Contexts: C, MaxNeurons: 5, MaxCols: 7})
				if err != nil {
					t.Fatal(err)
				}
				p.Config.ErrorBus = bus
				c, err := chip.New(p, chip.WithWorkers(workers))
				if err != nil {
					t.Fatal(err)
				}
				if split := chip.NeuronSplit(c); C == 1 && split != (workers > 1) {
					t.Fatalf("contexts=%d, %d workers: neuron split %v", C, workers, split)
				}
				drive(t, c, 20, 5, 1.5, false)
				c.SetLearning(false)
				drive(t, c, 10, 6, 1.5, false)
				c.SetLearning(true)
				drive(t, c, 10, 7, 1.5, false)
				l := c.LearningRegisters()
				l.Weights.On = false // biases still learn: the ordinary phases must run
				if err := c.SetLearningRegisters(l); err != nil {
					t.Fatal(err)
				}
				drive(t, c, 10, 8, 1.5, false)
				l.Weights.On, l.Biases.On = true, false
				if err := c.SetLearningRegisters(l); err != nil {
					t.Fatal(err)
				}
				drive(t, c, 10, 9, 1.5, false)
				c.ResetCounters()
				drive(t, c, 5, 10, 1.5, false)
				s, err := c.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				if c, err = chip.Restore(s, chip.WithWorkers(4-workers)); err != nil {
					t.Fatal(err)
				}
				drive(t, c, 10, 11, 1.5, false)
				got := splitHash(c)
				c.Close()
				if workers == 1 {
					want = got
				} else if got != want {
					t.Errorf("contexts=%d, bus %v, %d workers: fingerprint %s, one worker %s", C, bus, workers, got, want)
				}
			}
		}
	}
}
