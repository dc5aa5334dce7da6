package network_test

import (
	"fmt"
	"strings"

	"github.com/glemu/glemu/network"
)

func ExampleDecode() {
	n, err := network.Decode(strings.NewReader(`{
	  "format": "glemu-network", "version": 1, "dt": 0.2,
	  "populations": [
	    {"name": "x", "size": 1, "input": true},
	    {"name": "out", "size": 2, "activation": "identity", "tau_m": 1.2, "tau_r": [0.2, 1.2], "output": true}
	  ],
	  "projections": [{"source": "x", "target": "out"}],
	  "loss": {"kind": "mse", "beta": 1}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.InputWidth(), n.OutputWidth(), n.NumParams(), n.Populations[1].TauR)
	// Output: 1 2 2 [0.2 1.2]
}

func ExampleNetwork_Validate() {
	_, err := network.Decode(strings.NewReader(`{
	  "format": "glemu-network", "version": 1, "dt": 0.2,
	  "populations": [
	    {"name": "x", "size": 1, "input": true},
	    {"name": "h2", "size": 2, "activation": "tanh", "tau_m": 1.2, "tau_r": 0.05, "output": true}
	  ],
	  "projections": [{"source": "x", "target": "h2"}],
	  "loss": {"kind": "mse", "beta": 1}
	}`))
	fmt.Println(err)
	// Output: network: population "h2": tau_r 0.05 is below dt 0.2; raise tau_r or lower dt
}
