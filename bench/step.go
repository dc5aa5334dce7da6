package bench

import (
	"fmt"
	"math"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

// A step workload compiles a network for the chip (compiler.Compile, the product's
// path) and steps it, learning or not, with deterministic inputs; its float twin
// steps gle.New on the same network, parameters and inputs.

// stepSpec describes a step workload.
type stepSpec struct {
	contexts int
	learn    bool // learning on, with a target; else forward only: no target, learning off
	cfg      *chip.Config
	workers  int // the chip's workers (0: Options.Workers)
	// net returns the network and its parameters.
	net func(e *env) (*network.Network, *network.Params, error)
	// feed returns the input function: it fills step k's input (C × input width) and
	// labels (cross-entropy) or targets (MSE).
	feed func(e *env, net *network.Network, contexts int) (func(k int, x []float64, labels []int, y []float64), error)
}

func stepWorkloads() []Workload {
	var ws []Workload
	mnist := func(C int, learn bool, set Set) Workload {
		mode := "forward"
		doc := "forward only: learning off, no target"
		if learn {
			mode = "learn"
			doc = "learning on: Adam on weights and biases, cross-entropy on the labels"
		}
		w := Workload{Name: fmt.Sprintf("mnist1d/contexts=%d/%s", C, mode), Kind: KindStep, Set: set,
			Doc: fmt.Sprintf("the spec's MNIST-1D network (14 956 parameters) at %s on the default chip, fed MNIST-1D training samples; %s", contexts(C), doc)}
		if learn {
			w.Series, w.X = SeriesContexts, float64(C)
		}
		w.setup = stepSetup(stepSpec{contexts: C, learn: learn, net: mnistNet, feed: mnistFeed})
		return w
	}
	for _, C := range []int{1, 100} {
		ws = append(ws, mnist(C, false, SetDefault), mnist(C, true, SetDefault))
	}
	for _, C := range []int{4, 16, 32, 64, 128} {
		ws = append(ws, mnist(C, true, SetSweep))
	}
	mesh := func(n, C int, set Set) Workload {
		cfg := chip.DefaultConfig()
		cfg.NeuronsPerTile, cfg.InputsPerNeuron = n, n
		w := Workload{Name: fmt.Sprintf("mesh/tiles=16/neurons=%d/contexts=%d/learn", n, C), Kind: KindStep, Set: set,
			Doc: fmt.Sprintf("a full 4×4 mesh of %d×%d tiles: a chain of 15 tanh populations of %d (%d synapses), Adam on weights and biases, MSE, %s",
				n, n, n, 15*n*n, contexts(C)),
			setup: stepSetup(stepSpec{contexts: C, learn: true, cfg: &cfg, net: func(*env) (*network.Network, *network.Params, error) { return meshNet(n) }, feed: meshFeed})}
		if C == 1 {
			w.Series, w.X = SeriesNeurons, float64(n)
		}
		return w
	}
	for _, C := range []int{1, 100} {
		ws = append(ws, Workload{Name: fmt.Sprintf("mnist1d/workers=1/contexts=%d/learn", C), Kind: KindStep,
			Doc: fmt.Sprintf("mnist1d/contexts=%d/learn with the chip on one worker, whatever --workers says: ", C) +
				"compare it with the workers the run was given (glemu bench: two where Go has two CPUs) in the same run; on a machine whose second core is busy two cannot gain",
			setup: stepSetup(stepSpec{contexts: C, learn: true, workers: 1, net: mnistNet, feed: mnistFeed})})
	}
	ws = append(ws, mesh(256, 1, SetDefault), mesh(256, 16, SetLong))
	for _, n := range []int{32, 64, 128} {
		ws = append(ws, mesh(n, 1, SetSweep))
	}
	ws = append(ws, Workload{Name: "lagline/contexts=100/learn", Kind: KindStep,
		Doc:   "the lag-line student (1→1→1 softplus), 100 contexts, Adam on W and τm, MSE against the teacher's output",
		setup: stepSetup(stepSpec{contexts: 100, learn: true, net: lagNet, feed: lagFeed})})
	return ws
}

func mnistNet(*env) (*network.Network, *network.Params, error) {
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		return nil, nil, err
	}
	p, err := net.InitParams()
	return net, p, err
}

// mnistFeed feeds context c at step k point k mod T of training sample
// (⌊k/T⌋·C + c) mod n, with its label: consecutive batches of the training set.
func mnistFeed(e *env, _ *network.Network, C int) (func(int, []float64, []int, []float64), error) {
	d, err := e.mnist1d()
	if err != nil {
		return nil, err
	}
	T, n := d.Length, d.NumTrain()
	return func(k int, x []float64, labels []int, _ []float64) {
		for c := range C {
			s := (k/T*C + c) % n
			x[c] = d.TrainX[s*T+k%T]
			labels[c] = d.TrainY[s]
		}
	}, nil
}

// meshNet is a chain filling a 4×4 mesh of n×n tiles: an input of n and 15 tanh
// populations of n (τm 0.5, τr 0.1, biases), the last the output (MSE, β 0.1), Adam
// on weights and biases.
func meshNet(n int) (*network.Network, *network.Params, error) {
	b := network.NewBuilder(fmt.Sprintf("mesh-%d", n), 0.1).Seed(1)
	b.Input("x", n)
	prev := "x"
	for t := 1; t < 16; t++ {
		name := fmt.Sprintf("h%d", t)
		opts := []network.PopulationOption{network.Tau(0.5, 0.1), network.WithBias()}
		if t == 15 {
			opts = append(opts, network.AsOutput())
		}
		b.Population(name, n, "tanh", opts...)
		b.Project(prev, name)
		prev = name
	}
	b.Loss(network.LossMSE, 0.1)
	b.Learning(network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerAdam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		Weights: true, Biases: true})
	net, err := b.Network()
	if err != nil {
		return nil, nil, err
	}
	p, err := net.InitParams()
	return net, p, err
}

// meshFeed: smooth waves, x_i = sin(0.05k + i), y_i = 0.5 cos(0.03k + i).
func meshFeed(_ *env, net *network.Network, C int) (func(int, []float64, []int, []float64), error) {
	return func(k int, x []float64, _ []int, y []float64) {
		for i := range x {
			x[i] = math.Sin(0.05*float64(k) + float64(i))
		}
		for i := range y {
			y[i] = 0.5 * math.Cos(0.03*float64(k)+float64(i))
		}
	}, nil
}

func lagNet(*env) (*network.Network, *network.Params, error) {
	l, err := tasks.NewLagLine(1)
	if err != nil {
		return nil, nil, err
	}
	return l.Student, l.StudentParams, nil
}

// lagPeriod is the number of steps of teacher output a lag-line workload cycles
// through: two periods of the square wave, after one period to settle.
const lagPeriod = 800

// lagFeed: the task's input, and as target the teacher's output (gle), computed once
// for lagPeriod steps.
func lagFeed(_ *env, _ *network.Network, C int) (func(int, []float64, []int, []float64), error) {
	l, err := tasks.NewLagLine(1)
	if err != nil {
		return nil, err
	}
	if l.Contexts() != C {
		return nil, fmt.Errorf("bench: the lag-line task has %d contexts, not the workload's %d; give the workload the task's context count", l.Contexts(), C)
	}
	t, err := gle.New(l.Teacher, l.TeacherParams, C)
	if err != nil {
		return nil, err
	}
	x := make([]float64, C)
	targets := make([][]float64, lagPeriod)
	const settle = 400
	for k := range settle + lagPeriod {
		l.Input(x, k)
		if err := t.Step(x, nil); err != nil {
			return nil, err
		}
		if k >= settle {
			targets[k-settle] = t.Output(nil)
		}
	}
	return func(k int, x []float64, _ []int, y []float64) {
		l.Input(x, settle+k%lagPeriod)
		copy(y, targets[k%lagPeriod])
	}, nil
}

// stepSetup builds a step workload's instance: the compiled program on a chip and
// gle on the same network.
func stepSetup(s stepSpec) func(e *env) (*instance, error) {
	return func(e *env) (*instance, error) {
		net, params, err := s.net(e)
		if err != nil {
			return nil, err
		}
		C := s.contexts
		opt := compiler.Options{Contexts: C, Params: params}
		if s.cfg != nil {
			opt.Config = *s.cfg
		}
		res, err := compiler.Compile(net, opt)
		if err != nil {
			return nil, err
		}
		workers := e.opt.Workers
		if s.workers > 0 {
			workers = s.workers
		}
		c, err := chip.New(res.Program, chip.WithWorkers(workers))
		if err != nil {
			return nil, err
		}
		c.TabulateUnits() // time the steady state, not the first steps' untabulated units
		fnet := net
		if !s.learn {
			// Inference on gle: the same network with nothing learning, so that it
			// forms no gradients either.
			cp := *net
			cp.Learning.Weights, cp.Learning.Biases, cp.Learning.TauM = false, false, false
			fnet = &cp
			c.SetLearning(false)
			c.ClearTarget()
		}
		g, err := gle.New(fnet, params, C)
		if err != nil {
			c.Close()
			return nil, err
		}
		feed, err := s.feed(e, net, C)
		if err != nil {
			c.Close()
			return nil, err
		}
		ce := net.Loss.Kind == network.LossCrossEntropy
		x := make([]float64, C*net.InputWidth())
		y := make([]float64, C*net.OutputWidth())
		labels := make([]int, C)
		chipStep := func(k int) error {
			feed(k, x, labels, y)
			if err := c.SetInput(x); err != nil {
				return err
			}
			if s.learn {
				var err error
				if ce {
					err = c.SetLabels(labels)
				} else {
					err = c.SetTarget(y)
				}
				if err != nil {
					return err
				}
			}
			return c.Step()
		}
		floatStep := func(k int) error {
			feed(k, x, labels, y)
			switch {
			case !s.learn:
				return g.Step(x, nil)
			case ce:
				return g.StepLabels(x, labels)
			}
			return g.Step(x, y)
		}
		// A few steps first, so that learning state and lazily built tables are in
		// place before timing.
		const warm = 5
		for k := range warm {
			if err := chipStep(k); err != nil {
				c.Close()
				return nil, err
			}
			if err := floatStep(k); err != nil {
				c.Close()
				return nil, err
			}
		}
		kc, kf := warm, warm
		return &instance{
			steps: 1,
			macs:  float64(stepMACs(res.Program, s.learn)),
			run: func(n int) (sample, error) {
				for range n {
					if err := chipStep(kc); err != nil {
						return sample{}, err
					}
					kc++
				}
				return sample{}, nil
			},
			float: func(n int) error {
				for range n {
					if err := floatStep(kf); err != nil {
						return err
					}
					kf++
				}
				return nil
			},
			close: c.Close,
		}, nil
	}
}

// stepMACs counts the multiply-accumulates of one step of p: every block's forward
// read, the transposed read of blocks whose source is not an input, and with learning
// the gradient of plastic blocks, each once per synapse and context.
func stepMACs(p *chip.Program, learn bool) uint64 {
	C := uint64(p.Contexts)
	var n uint64
	for _, t := range p.Tiles {
		for _, b := range t.Blocks {
			syn := uint64(b.Rows * b.Cols)
			n += C * syn
			if p.Populations[p.Projections[b.Projection].Source].Role != chip.RoleInput {
				n += C * syn
			}
			if learn && b.Plastic && p.Learning.Weights.On {
				n += C * syn
			}
		}
	}
	return n
}

func contexts(n int) string {
	if n == 1 {
		return "1 context"
	}
	return fmt.Sprintf("%d contexts", n)
}
