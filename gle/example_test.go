package gle_test

import (
	"fmt"
	"strings"

	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
)

// A 1→1→1 chain of LE units (τr = τm) with identity activations is a pure pipeline:
// the input reaches the reported output two steps later, scaled by W₁W₀.
func ExampleNet_Step() {
	nw, err := network.Decode(strings.NewReader(`{
	  "format": "glemu-network", "version": 1, "dt": 0.1,
	  "populations": [
	    {"name": "x", "size": 1, "input": true},
	    {"name": "h", "size": 1, "activation": "identity", "tau_m": 1, "tau_r": 1},
	    {"name": "out", "size": 1, "activation": "identity", "tau_m": 1, "tau_r": 1, "output": true}
	  ],
	  "projections": [
	    {"source": "x", "target": "h", "weights": [[2]]},
	    {"source": "h", "target": "out", "weights": [[3]]}
	  ],
	  "loss": {"kind": "mse", "beta": 1}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := gle.New(nw, nil, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	for k, x := range []float64{1, 0, 0, 0} {
		if err := n.Step([]float64{x}, nil); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("step %d: x %g, reported output %g\n", k, x, n.Out[0])
	}
	// Output:
	// step 0: x 1, reported output 0
	// step 1: x 0, reported output 0
	// step 2: x 0, reported output 6
	// step 3: x 0, reported output 0
}

func ExampleReadout() {
	r := gle.NewReadout(1, 3)
	for _, out := range [][]float64{{0.1, 0.5, 0.2}, {0.3, 0.1, 0.2}, {0.2, 0.1, 0.0}} {
		if err := r.Add(out, []int{0}); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("predicted class", r.Predict(nil)[0], "summed outputs", r.Sum)
	// Output: predicted class 1 summed outputs [0.6000000000000001 0.7 0.4]
}
