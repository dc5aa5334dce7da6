package chiptest_test

import (
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/network"
)

func net(outSize int, loss string) *network.Network {
	n := &network.Network{Name: "t", Dt: 0.1, Seed: 1, Errors: network.ErrorsProspective,
		Populations: []network.Population{
			{Name: "x", Size: 5, Input: true},
			{Name: "h", Size: 7, Activation: "tanh", Bias: true, TauM: fill(7, 0.3), TauR: fill(7, 0.1)},
			{Name: "out", Size: outSize, Activation: "identity", Output: true, TauM: fill(outSize, 0.2), TauR: fill(outSize, 0.2)},
		},
		Projections: []network.Projection{{Source: "x", Target: "h"}, {Source: "h", Target: "out"}, {Source: "h", Target: "h"}},
		Loss:        network.Loss{Kind: loss, Beta: 1},
	}
	if err := n.Validate(); err != nil {
		panic(err)
	}
	return n
}

func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestMapPlacements(t *testing.T) {
	cfg := chip.DefaultConfig()
	cfg.Rows, cfg.Cols = 2, 8
	cfg.NeuronsPerTile, cfg.InputsPerNeuron = 3, 4
	p, err := chiptest.Map(net(2, network.LossMSE), nil, chiptest.Options{Config: &cfg, MaxCols: 2})
	if err != nil {
		t.Fatal(err)
	}
	// x: 2 tiles, h: 3 tiles, out: 1 tile; h's 7 rows × (5 + 7) columns in 2-column blocks.
	slots, blocks, rowsOnly := 0, 0, 0
	for _, tl := range p.Tiles {
		slots += len(tl.Slots)
		blocks += len(tl.Blocks)
		if len(tl.Slots) == 0 && len(tl.Blocks) > 0 {
			rowsOnly++
		}
	}
	if slots != 14 || rowsOnly == 0 {
		t.Errorf("%d slots, %d blocks, %d tiles with crossbar rows only", slots, blocks, rowsOnly)
	}
	if _, err := chip.New(p); err != nil {
		t.Fatal(err)
	}
}

func TestMapErrors(t *testing.T) {
	small := chip.DefaultConfig()
	small.Rows, small.Cols = 1, 2
	tiny := chip.DefaultConfig()
	tiny.NeuronsPerTile = 4
	for _, tc := range []struct {
		name string
		n    *network.Network
		opt  chiptest.Options
		want string
	}{
		{"mesh too small", net(2, network.LossMSE), chiptest.Options{Config: &small}, "chiptest: the network needs 3 tiles; the 1×2 mesh has 2"},
		{"tile order", net(2, network.LossMSE), chiptest.Options{TileOrder: []int{0, 0, 1}}, "chiptest: tile order entry 1 (0) is not a distinct tile of the 1×3 mesh"},
		{"softmax tile", net(6, network.LossCrossEntropy), chiptest.Options{Config: &tiny}, "chiptest: cross-entropy needs its 6 output neurons on one tile of 4 slots"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := chiptest.Map(tc.n, nil, tc.opt)
			if got := errString(err); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	// A τ that does not fit tau_m (τm = 300·dt).
	n := net(2, network.LossMSE)
	n.Populations[1].TauM[0] = 30
	if _, err := chiptest.Map(n, nil, chiptest.Options{}); errString(err) != `chiptest: population "h" neuron 0: τm/dt 300 does not fit UQ8.16 under its scale (raw 1.96608e+07, range 0…16777215)` {
		t.Error(err)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
