package chip_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

// smallNet is a small recurrent network that exercises every path of the step.
func smallNet(loss, opt, errors string, tau bool, gamma float64) *network.Network {
	n := &network.Network{
		Name: "small", Dt: 0.1, Seed: 3, Errors: errors,
		Populations: []network.Population{
			{Name: "x", Size: 3, Input: true},
			{Name: "h", Size: 9, Activation: "tanh", Bias: true, Gamma: gamma,
				TauM: rep(9, 0.3, 0.6, 1.0), TauR: rep(9, 0.1, 0.6, 0.3)},
			{Name: "g", Size: 5, Activation: "softplus", Bias: false, Gamma: gamma,
				TauM: rep(5, 0.2, 0.5), TauR: rep(5, 0.1, 0.5)},
			{Name: "out", Size: 4, Activation: "identity", Bias: true, Output: true, Gamma: gamma,
				TauM: rep(4, 0.4), TauR: rep(4, 0.4)},
		},
		Projections: []network.Projection{
			{Source: "x", Target: "h"}, {Source: "h", Target: "h"}, {Source: "h", Target: "g"},
			{Source: "g", Target: "out"}, {Source: "h", Target: "out"}, {Source: "x", Target: "g"},
		},
		Loss: network.Loss{Kind: loss, Beta: 0.5},
		Learning: network.Learning{
			Optimizer: network.Optimizer{Kind: opt, LR: 3e-3, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Weights:   true, Biases: true, TauM: tau, TauMMin: 0.1,
		},
	}
	if err := n.Validate(); err != nil {
		panic(err)
	}
	return n
}

func rep(n int, vs ...float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = vs[i%len(vs)]
	}
	return out
}

type variant struct {
	name              string
	loss, opt, errors string
	tau               bool
	gamma             float64
}

var variants = []variant{
	{"ce-adam", network.LossCrossEntropy, network.OptimizerAdam, network.ErrorsProspective, false, 0},
	{"mse-adam-tau-gamma", network.LossMSE, network.OptimizerAdam, network.ErrorsProspective, true, 0.5},
	{"mse-momentum-tau", network.LossMSE, network.OptimizerMomentum, network.ErrorsProspective, true, 0},
	{"mse-sgd-inst", network.LossMSE, network.OptimizerSGD, network.ErrorsInstantaneous, true, 1},
}

// drive steps c n times with seeded random inputs and targets (labels for
// cross-entropy), scaled by amp so that large amplitudes saturate.
func drive(t testing.TB, c *chip.Chip, n int, seed uint64, amp float64, ce bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, c.Contexts()*c.InputWidth())
	y := make([]float64, c.Contexts()*c.OutputWidth())
	labels := make([]int, c.Contexts())
	for k := range n {
		for i := range x {
			x[i] = amp * math.Sin(0.1*float64(k)+float64(i)) * (1 + 0.3*rng.NormFloat64())
		}
		if err := c.SetInput(x); err != nil {
			t.Fatal(err)
		}
		if ce {
			for i := range labels {
				labels[i] = (k/20 + i) % c.OutputWidth()
			}
			if err := c.SetLabels(labels); err != nil {
				t.Fatal(err)
			}
		} else {
			for i := range y {
				y[i] = 0.5 * math.Cos(0.07*float64(k)+float64(i))
			}
			if err := c.SetTarget(y); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Step(); err != nil {
			t.Fatal(err)
		}
	}
}

func mapSmall(t testing.TB, v variant, contexts int, opt chiptest.Options) *chip.Program {
	t.Helper()
	opt.Contexts = contexts
	p, err := chiptest.Map(smallNet(v.loss, v.opt, v.errors, v.tau, v.gamma), nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFastMatchesReference: the fast twins of the neuron and optimizer loops give the
// reference loops' bits, counters included, in ordinary and saturating regimes, with
// the block error bus rounding stochastically and half-even (errBusRun's inline loops
// where there is no bus kernel).
func TestFastMatchesReference(t *testing.T) {
	for _, v := range variants {
		for _, amp := range []float64{1, 40} {
			for _, he := range []bool{false, true} {
				name := v.name + "/amp=" + ftoa(amp)
				if he {
					name += "/err_bus=half-even"
				}
				t.Run(name, func(t *testing.T) {
					var opt chiptest.Options
					cfg := chip.DefaultConfig()
					for i := range cfg.Formats {
						switch cfg.Formats[i].Name {
						case "u", "u_breve", "v", "e_breve", "inst_e", "eps_in":
							if amp > 1 { // narrow states so that the datapath saturates
								cfg.Formats[i].Format = fixedpoint.Q(1, 24)
							}
						case "err_bus":
							if he {
								cfg.Formats[i].Rounding = fixedpoint.HalfEven
							}
						}
					}
					if amp > 1 {
						cfg.Rows, cfg.Cols = 1, 4
					}
					if amp > 1 || he {
						opt.Config = &cfg
					}
					p := mapSmall(t, v, 3, opt)
					fast, err := chip.New(p)
					if err != nil {
						t.Fatal(err)
					}
					ref, err := chip.New(p)
					if err != nil {
						t.Fatal(err)
					}
					chip.SetReference(ref, true)
					chip.ForceMemo(fast)
					for round := range 6 {
						drive(t, fast, 25, uint64(round), amp, v.loss == network.LossCrossEntropy)
						drive(t, ref, 25, uint64(round), amp, v.loss == network.LossCrossEntropy)
						if a, b := chip.Digest(fast), chip.Digest(ref); a != b {
							t.Fatalf("after %d steps the fast loops differ from the reference", 25*(round+1))
						}
					}
					if amp > 1 && fast.Counters().Total.Vars == nil {
						t.Errorf("amplitude %g saturated nothing; the saturation paths went untested", amp)
					}
				})
			}
		}
	}
}

// runKernels runs fn on a new chip of p (with opts), the vector kernels (neurons,
// Adam) on or off, and returns the chip's digest and counters after it.
func runKernels(t *testing.T, p *chip.Program, kernels bool, fn func(c *chip.Chip), opts ...chip.Option) (uint64, chip.Counters) {
	t.Helper()
	defer chip.SetNeuronKernel(chip.SetNeuronKernel(kernels))
	defer chip.SetAdamKernel(chip.SetAdamKernel(kernels))
	c, err := chip.New(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fn(c)
	return chip.Digest(c), c.Counters()
}

// TestKernelsMatchLoops: the vector kernels (neurons, Adam) give the Go loops' bits,
// counters included, for every variant on an ideal and a noisy die, in ordinary and
// saturating regimes, at a row length that leaves a masked tail, with the block and
// the static error bus.
func TestKernelsMatchLoops(t *testing.T) {
	chip.SkipWithoutKernels(t)
	for _, v := range variants {
		for _, die := range []struct {
			name string
			a    chip.Analog
		}{{"ideal", chip.Analog{}}, {"noisy", noisyDie}} {
			for _, amp := range []float64{1, 40} {
				for _, bus := range []struct {
					name     string
					mode     chip.ErrorBusMode
					halfEven bool // err_bus rounds half-even (no per-row stream)
				}{{"block", chip.ErrorBusBlock, false}, {"static", chip.ErrorBusStatic, false}, {"static-half-even", chip.ErrorBusStatic, true}} {
					t.Run(v.name+"/"+die.name+"/amp="+ftoa(amp)+"/"+bus.name, func(t *testing.T) {
						cfg := chip.DefaultConfig()
						cfg.ErrorBus = bus.mode
						opt := chiptest.Options{Config: &cfg}
						for i := range cfg.Formats {
							switch cfg.Formats[i].Name {
							case "u", "u_breve", "v", "e_breve", "inst_e", "eps_in", "adam_m", "grad":
								if amp > 1 {
									cfg.Formats[i].Format = fixedpoint.Q(1, 24)
								}
							case "err_bus":
								if bus.halfEven {
									cfg.Formats[i].Rounding = fixedpoint.HalfEven
								}
							}
						}
						p := mapSmall(t, v, 11, opt)
						run := func(c *chip.Chip) {
							chip.ForceMemo(c)
							if !chip.HasPacked32(c, "h") || chip.HasPacked32(c, "g") {
								t.Fatal("want tanh's units (h) from the 32-bit table, softplus's (g, saturating) from the 64-bit one")
							}
							drive(t, c, 150, 3, amp, v.loss == network.LossCrossEntropy)
						}
						a, ca := runKernels(t, p, true, run, chip.WithAnalog(die.a))
						b, cb := runKernels(t, p, false, run, chip.WithAnalog(die.a))
						if a != b {
							t.Fatalf("kernels and loops differ after 150 steps (counters %v / %v)", ca.Total.Vars, cb.Total.Vars)
						}
						if amp > 1 && ca.Total.Vars == nil {
							t.Errorf("amplitude %g saturated nothing", amp)
						}
					})
				}
			}
		}
	}
}

// TestKernelsMatchLoopsWide: the kernels on full rows (256 neurons, 256 synapses per
// row: the widest the kernels take in one call) agree with the Go loops.
func TestKernelsMatchLoopsWide(t *testing.T) {
	chip.SkipWithoutKernels(t)
	cfg := chip.DefaultConfig()
	p, err := chiptest.Map(meshNet(3, 256), nil, chiptest.Options{Contexts: 3, Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	run := func(c *chip.Chip) { drive(t, c, 12, 4, 1.5, false) }
	a, _ := runKernels(t, p, true, run)
	if b, _ := runKernels(t, p, false, run); a != b {
		t.Fatal("kernels and loops differ on 256-wide rows")
	}
}

// TestKernelsMatchLoopsMNIST1D: on MNIST-1D (identity output units without a table,
// tanh's units from the 32-bit table) the kernels give the Go loops' bits, counters
// included.
func TestKernelsMatchLoopsMNIST1D(t *testing.T) {
	chip.SkipWithoutKernels(t)
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: 5})
	if err != nil {
		t.Fatal(err)
	}
	run := func(c *chip.Chip) {
		chip.ForceMemo(c)
		drive(t, c, 40, 2, 3, true)
	}
	a, ca := runKernels(t, p, true, run)
	b, cb := runKernels(t, p, false, run)
	if a != b {
		t.Fatalf("kernels and loops differ after 40 steps (counters %v / %v)", ca.Total.Vars, cb.Total.Vars)
	}
}
