package chip_test

import (
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/network"
)

// TestValidateErrorBusDrift: a population with two outgoing projections whose
// transposed sums lie 10 bits apart is fine on the static bus, but the block bus may
// move them 16 bits further (beyond 64 bits aligned); 30 bits apart is refused on both.
func TestValidateErrorBusDrift(t *testing.T) {
	net := &network.Network{Dt: 0.1, Errors: network.ErrorsProspective,
		Populations: []network.Population{
			{Name: "x", Size: 2, Input: true},
			{Name: "h", Size: 3, Activation: "tanh", TauM: []float64{0.3, 0.3, 0.3}, TauR: []float64{0.1, 0.1, 0.1}},
			{Name: "a", Size: 2, Activation: "identity", TauM: []float64{0.3, 0.3}, TauR: []float64{0.3, 0.3}, Output: true},
			{Name: "b", Size: 2, Activation: "identity", TauM: []float64{0.3, 0.3}, TauR: []float64{0.3, 0.3}, Output: true},
		},
		Projections: []network.Projection{{Source: "x", Target: "h"}, {Source: "h", Target: "a"}, {Source: "h", Target: "b"}},
		Loss:        network.Loss{Kind: network.LossMSE, Beta: 1},
	}
	for _, tc := range []struct {
		apart int
		mode  chip.ErrorBusMode
		want  string
	}{
		{0, chip.ErrorBusBlock, ""},
		{10, chip.ErrorBusStatic, ""},
		{10, chip.ErrorBusBlock, `chip: program: population "h": the scale registers of its outgoing projections put their transposed sums 10 bits apart, and the block error bus may move them 16 bits further; aligned in 64 bits they would overflow, bring the projections' WeightExp (and the targets' ErrorExp) closer or use Config.ErrorBus = ErrorBusStatic`},
		{30, chip.ErrorBusStatic, `chip: program: population "h": the scale registers of its projections (and its bias) put their partial sums 30 bits apart; aligned in 64 bits they would overflow`},
	} {
		p, err := chiptest.Map(net, nil, chiptest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Line the two transposed sums up, then move b's apart.
		a, b := &p.Projections[1], &p.Projections[2]
		b.WeightExp = a.WeightExp + p.Populations[2].ErrorExp - p.Populations[3].ErrorExp + tc.apart
		for ti := range p.Tiles {
			for bi := range p.Tiles[ti].Blocks {
				if p.Tiles[ti].Blocks[bi].Projection == 2 {
					clear(p.Tiles[ti].Blocks[bi].W) // weights that fit any scale
				}
			}
		}
		p.Config.ErrorBus = tc.mode
		err = p.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%d bits apart, %v bus: %v", tc.apart, tc.mode, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%d bits apart, %v bus: error %v\nwant %s", tc.apart, tc.mode, err, tc.want)
		}
	}
}
