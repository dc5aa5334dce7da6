package chip_test

import (
	"fmt"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/network"
)

// A 1→2→1 network learns to follow a target on the chip.
func Example() {
	net := &network.Network{Name: "follow", Dt: 0.1, Seed: 1, Errors: network.ErrorsProspective,
		Populations: []network.Population{
			{Name: "x", Size: 1, Input: true},
			{Name: "h", Size: 2, Activation: "tanh", Bias: true, TauM: []float64{0.2, 0.2}, TauR: []float64{0.1, 0.1}},
			{Name: "y", Size: 1, Activation: "identity", Output: true, TauM: []float64{0.1}, TauR: []float64{0.1}},
		},
		Projections: []network.Projection{{Source: "x", Target: "h"}, {Source: "h", Target: "y"}},
		Loss:        network.Loss{Kind: network.LossMSE, Beta: 1},
		Learning: network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerAdam, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Weights: true, Biases: true},
	}
	p, err := chiptest.Map(net, nil, chiptest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := chip.New(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 400 {
		if err := c.StepWith([]float64{1}, []float64{0.3}); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Printf("output %.2f after %d steps\n", c.Output(nil)[0], c.Steps())
	fmt.Println(c.Health())
	// Output:
	// output 0.30 after 400 steps
	// 400 steps run.
	// No variable saturated or wrapped: every value stayed within its format.
	// error bus shifts of ĕ (block exponent per step, range since the counters were reset): h 0–9 (last 0, LSB 2^-26), y 0–11 (last 0, LSB 2^-26)
}

// A register holds a mantissa in its table format and an exponent.
func ExampleMakeReg() {
	lr, _ := chip.DefaultConfig().Formats.Lookup("lr")
	r, err := chip.MakeReg(1e-3, lr)
	fmt.Println(r.Raw, r.Exp, r.Float(lr), err)
	// Output: 33554 -10 0.0009999871253967285 <nil>
}

// The cost model of the reference chip for one tile with a 256×256 block.
func ExampleChip_Cost() {
	net := &network.Network{Dt: 0.1, Errors: network.ErrorsProspective,
		Populations: []network.Population{
			{Name: "x", Size: 256, Input: true},
			{Name: "h", Size: 256, Activation: "tanh", TauM: make256(0.3), TauR: make256(0.1), Output: true},
		},
		Projections: []network.Projection{{Source: "x", Target: "h"}},
		Loss:        network.Loss{Kind: network.LossMSE, Beta: 1},
	}
	cfg := chip.DefaultConfig()
	cfg.Rows, cfg.Cols = 1, 2
	p, err := chiptest.Map(net, nil, chiptest.Options{Config: &cfg})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := chip.New(p)
	k := c.Cost()
	fmt.Printf("%d cycles per step (tile %d), %.0f steps/s at 200 MHz\n", k.CyclesPerStep, k.CriticalTile, k.MaxStepRate)
	// Output: 2048 cycles per step (tile 1), 97656 steps/s at 200 MHz
}

func make256(v float64) []float64 {
	s := make([]float64, 256)
	for i := range s {
		s[i] = v
	}
	return s
}
