package chip_test

import (
	"fmt"
	"hash/fnv"
	"runtime"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/network"
)

// fingerprint hashes everything a placement cannot change: every population's state and
// parameters, every projection's weight memory, the reported output and the counters'
// per-variable totals.
func fingerprint(t testing.TB, c *chip.Chip, p *chip.Program) uint64 {
	t.Helper()
	h := fnv.New64a()
	put := func(xs []int64) {
		for _, x := range xs {
			fmt.Fprint(h, x, ",")
		}
	}
	for qi, q := range p.Populations {
		vars := chip.StateVars
		if q.Role == chip.RoleInput {
			vars = []string{"r"}
		}
		for _, v := range vars {
			if v == "b" && !q.Bias {
				continue
			}
			xs, err := c.StateRaw(qi, v, nil)
			if err != nil {
				t.Fatal(err)
			}
			put(xs)
		}
	}
	for pi := range p.Projections {
		w, err := c.WeightsRaw(pi, nil)
		if err != nil {
			t.Fatal(err)
		}
		put(w)
	}
	put(c.OutputRaw(nil))
	cs := c.Counters()
	fmt.Fprint(h, cs.Total.Vars, cs.Total.MACs, cs.Host)
	return h.Sum64()
}

type placement struct {
	name string
	opt  chiptest.Options
}

func placements(contexts int) []placement {
	cfg := chip.DefaultConfig()
	cfg.Rows, cfg.Cols = 4, 8
	small := cfg
	small.NeuronsPerTile, small.InputsPerNeuron = 4, 6
	rev := make([]int, 32)
	for i := range rev {
		rev[i] = 31 - i
	}
	odd := make([]int, 32)
	for i := range odd {
		odd[i] = (i*13 + 5) % 32
	}
	return []placement{
		{"one population per tile", chiptest.Options{Contexts: contexts, Config: &cfg}},
		{"reversed tile order", chiptest.Options{Contexts: contexts, Config: &cfg, TileOrder: rev}},
		{"populations split over 4-neuron tiles", chiptest.Options{Contexts: contexts, Config: &small, TileOrder: odd}},
		{"projections split into 2-column blocks", chiptest.Options{Contexts: contexts, Config: &cfg, MaxCols: 2, MaxNeurons: 3}},
	}
}

// TestDeterminismAcrossPlacements: one network placed four ways (whole populations,
// another tile order, populations split over small tiles, projections split into narrow
// blocks on tiles of their own), stepped with 1 and 3 workers under GOMAXPROCS 1 and 4,
// gives identical bits.
func TestDeterminismAcrossPlacements(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			net := smallNet(v.loss, v.opt, v.errors, v.tau, v.gamma)
			var want uint64
			for pi, pl := range placements(3) {
				p, err := chiptest.Map(net, nil, pl.opt)
				if err != nil {
					t.Fatalf("%s: %v", pl.name, err)
				}
				for _, procs := range []int{1, 4} {
					for _, workers := range []int{1, 3} {
						runtime.GOMAXPROCS(procs)
						c, err := chip.New(p, chip.WithWorkers(workers))
						if err != nil {
							t.Fatalf("%s: %v", pl.name, err)
						}
						drive(t, c, 120, 7, 1.5, v.loss == network.LossCrossEntropy)
						got := fingerprint(t, c, p)
						c.Close()
						if pi == 0 && procs == 1 && workers == 1 {
							want = got
							continue
						}
						if got != want {
							t.Errorf("%s, GOMAXPROCS %d, %d workers: state differs from the first placement", pl.name, procs, workers)
						}
					}
				}
			}
		})
	}
}

// TestPlacementsDiffer makes sure the placements of the determinism test really differ.
func TestPlacementsDiffer(t *testing.T) {
	net := smallNet(network.LossMSE, network.OptimizerAdam, network.ErrorsProspective, false, 0)
	seen := map[string]bool{}
	for _, pl := range placements(1) {
		p, err := chiptest.Map(net, nil, pl.opt)
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprint(p.Tiles)
		if seen[key] {
			t.Errorf("%s: the same tiles as another placement", pl.name)
		}
		seen[key] = true
		blocks, split := 0, false
		for _, tl := range p.Tiles {
			blocks += len(tl.Blocks)
			for _, b := range tl.Blocks {
				if b.Cols < p.Populations[p.Projections[b.Projection].Source].Size {
					split = true
				}
			}
		}
		t.Logf("%s: %d blocks, projections split: %v", pl.name, blocks, split)
	}
}
