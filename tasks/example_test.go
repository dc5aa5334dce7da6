package tasks_test

import (
	"fmt"

	"github.com/glemu/glemu/tasks"
)

// The paper's MNIST-1D network and its wider variant.
func ExampleMNIST1DNetwork() {
	for _, w := range []int{tasks.MNIST1DWidth, tasks.MNIST1DWideWidth} {
		nw, err := tasks.MNIST1DNetwork(w, 1)
		if err != nil {
			panic(err)
		}
		h := nw.Populations[1]
		fmt.Printf("%s: %d parameters; %s τm %v … %v, τr %v … %v\n", nw.Name, nw.NumParams(), h.Name, h.TauM[0], h.TauM[w-1], h.TauR[0], h.TauR[w-1])
	}
	// Output:
	// mnist1d-gle-w53: 14956 parameters; h0 τm 0.6 … 1.2, τr 0.2 … 1.2
	// mnist1d-gle-w90: 42040 parameters; h0 τm 0.6 … 1.2, τr 0.2 … 1.2
}

// The GLE paper's MNIST-1D data: 4000 training and 1000 test samples of 360 points.
func ExampleNewMNIST1D() {
	d, err := tasks.NewMNIST1D()
	if err != nil {
		panic(err)
	}
	fmt.Println(d.NumTrain(), d.NumTest(), d.Length, d.Classes)
	// Output: 4000 1000 360 10
}
