package bench

import (
	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/train"
)

// epochContexts is the batch of the paper's MNIST-1D runs.
const epochContexts = 100

func epochWorkloads() []Workload {
	return []Workload{{Name: "mnist1d/epoch/contexts=100", Kind: KindEpoch, Set: SetLong,
		Doc: "one MNIST-1D training epoch as the paper runs it: 4000 training samples of 360 steps, shuffled (train.EpochOrder, seed 1, epoch 1), " +
			"100 contexts, learning on: 14 400 chip steps, then the same on gle",
		setup: epochSetup}}
}

// epochSetup: an epoch feeds batch b's context c the sample order[b·C + c] (train's
// layout) for T steps with its label as target, learning on.
func epochSetup(e *env) (*instance, error) {
	d, err := e.mnist1d()
	if err != nil {
		return nil, err
	}
	net, params, err := mnistNet(e)
	if err != nil {
		return nil, err
	}
	const C = epochContexts
	res, err := compiler.Compile(net, compiler.Options{Contexts: C, Params: params})
	if err != nil {
		return nil, err
	}
	T, n := d.Length, d.NumTrain()
	order := train.EpochOrder(1, 1, n)
	steps := (n + C - 1) / C * T
	if e.opt.Quick {
		steps = 10
	}
	x := make([]float64, C)
	labels := make([]int, C)
	feed := func(k int) {
		b, t := k/T, k%T
		for c := range C {
			s := order[(b*C+c)%n]
			x[c] = d.TrainX[s*T+t]
			labels[c] = d.TrainY[s]
		}
	}
	run := func(n int) (sample, error) {
		for range n {
			c, err := chip.New(res.Program, chip.WithWorkers(e.opt.Workers))
			if err != nil {
				return sample{}, err
			}
			for k := range steps {
				feed(k)
				if err := c.SetInput(x); err != nil {
					c.Close()
					return sample{}, err
				}
				if err := c.SetLabels(labels); err != nil {
					c.Close()
					return sample{}, err
				}
				if err := c.Step(); err != nil {
					c.Close()
					return sample{}, err
				}
			}
			c.Close()
		}
		return sample{}, nil
	}
	float := func(n int) error {
		for range n {
			g, err := gle.New(net, params, C)
			if err != nil {
				return err
			}
			for k := range steps {
				feed(k)
				if err := g.StepLabels(x, labels); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return &instance{run: run, float: float, steps: float64(steps), macs: float64(steps) * float64(stepMACs(res.Program, true)), reps: 1}, nil
}
