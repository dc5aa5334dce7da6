package compiler

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/glemu/glemu/chip"
)

// Report holds the figures of a compiled network a chip designer reads. It is plain
// data and encodes to JSON as is (glemu compile --report).
type Report struct {
	Network  string     `json:"network"`
	Chip     ChipConfig `json:"chip"`
	Contexts int        `json:"contexts"`
	// Ranges says where the scale registers' bounds came from: "samples" (a run of the
	// float reference on the sample inputs) or "synthetic" (a run on seeded inputs in ±1).
	Ranges string `json:"ranges"`
	// TilesUsed counts tiles holding anything; Tiles lists them.
	TilesUsed int        `json:"tiles_used"`
	Tiles     []TileUse  `json:"tiles"`
	Layers    []Layer    `json:"layers"`
	Weights   []WeightQ  `json:"projections"`
	Links     []LinkLoad `json:"links"`
	// HopWords is Σ words × hops per step over every route.
	HopWords  int            `json:"hop_words"`
	Placement PlacementStats `json:"placement"`
	// Cost is the chip's cost model's figures for one step (chip.Chip.Cost).
	Cost     Cost      `json:"cost"`
	Findings []Finding `json:"findings"`
}

// ChipConfig summarises the chip compiled for.
type ChipConfig struct {
	Rows            int     `json:"rows"`
	Cols            int     `json:"cols"`
	NeuronsPerTile  int     `json:"neurons_per_tile"`
	InputsPerNeuron int     `json:"inputs_per_neuron"`
	MACUnits        int     `json:"mac_units"`
	LinkBits        int     `json:"link_bits"`
	ClockHz         float64 `json:"clock_hz"`
}

// TileUse is what one tile holds.
type TileUse struct {
	Tile int `json:"tile"`
	Row  int `json:"row"`
	Col  int `json:"col"`
	// Neurons is the slots used; CrossbarRows, CrossbarCols the crossbar rows and
	// columns used; Synapses the crossbar cells holding weights.
	Neurons      int `json:"neurons"`
	CrossbarRows int `json:"crossbar_rows"`
	CrossbarCols int `json:"crossbar_cols"`
	Synapses     int `json:"synapses"`
	Blocks       int `json:"blocks"`
	Routes       int `json:"routes"`
	// SlotUse and CrossbarUse are the fractions of the tile's slots and crossbar cells
	// used.
	SlotUse     float64 `json:"slot_use"`
	CrossbarUse float64 `json:"crossbar_use"`
	// Populations names the populations with neurons here; Targets those whose
	// crossbar rows (weights into them) are here.
	Populations []string `json:"populations"`
	Targets     []string `json:"targets"`
}

// Layer is one population's mapping and precision.
type Layer struct {
	Population string `json:"population"`
	Role       string `json:"role"`
	Size       int    `json:"size"`
	Tiles      []int  `json:"tiles"`
	// Scale registers and the bounds they were chosen for.
	RateExp    int     `json:"rate_exp"`
	StateExp   int     `json:"state_exp"`
	ErrorExp   int     `json:"error_exp"`
	RateBound  float64 `json:"rate_bound"`
	StateBound float64 `json:"state_bound"`
	ErrorBound float64 `json:"error_bound"`
	// RunSQNR is the signal-to-quantization-noise ratio in dB of the population's rates
	// over a short inference run of the chip against the float reference (nil: exact).
	RunSQNR *float64 `json:"run_sqnr_db"`
}

// WeightQ is one projection's mapping and weight precision.
type WeightQ struct {
	Projection int    `json:"projection"`
	Source     string `json:"source"`
	Target     string `json:"target"`
	Synapses   int    `json:"synapses"`
	Blocks     int    `json:"blocks"`
	Tiles      []int  `json:"tiles"`
	WeightExp  int    `json:"weight_exp"`
	GradExp    int    `json:"grad_exp"`
	// SQNR is the weights' signal-to-quantization-noise ratio in dB in the crossbar's
	// format w (rounded to nearest; nil: exact).
	SQNR *float64 `json:"weight_sqnr_db"`
}

// Cost is the chip's cost model for one step of the compiled program.
type Cost struct {
	CyclesPerStep uint64  `json:"cycles_per_step"`
	CriticalTile  int     `json:"critical_tile"`
	MaxStepRate   float64 `json:"max_step_rate"`
	EnergyPJ      float64 `json:"energy_pj_per_step"`
	SynapticOps   uint64  `json:"synaptic_ops_per_step"`
	HopWords      uint64  `json:"hop_words"`
	// ErrorBusHopWords is the part of HopWords the block error bus adds (the partial
	// ORs of populations split over tiles; not routes).
	ErrorBusHopWords uint64 `json:"error_bus_hop_words,omitempty"`
	// Learning says whether the figures are with learning on (as the program sets it).
	Learning bool `json:"learning"`
	// Tiles holds the per-tile cycles by phase (tiles with work only).
	Tiles []TileCycles `json:"tiles"`
}

// TileCycles is one tile's cycles per step by phase, from the chip's cost model
// (chip.TileCost).
type TileCycles struct {
	Tile     int    `json:"tile"`
	Forward  uint64 `json:"forward"`
	Neurons  uint64 `json:"neurons"`
	Backward uint64 `json:"backward"`
	Learning uint64 `json:"learning"`
	Link     uint64 `json:"link"`
	// ErrorBus is the part of Neurons the block error bus takes.
	ErrorBus  uint64 `json:"error_bus,omitempty"`
	Cycles    uint64 `json:"cycles"`
	MACs      uint64 `json:"macs"`
	WordsSent uint64 `json:"words_sent"`
}

func dB(signal, noise float64) *float64 { return dBValue(sqnr(signal, noise)) }

// dBValue rounds v to 0.01 dB; nil for +Inf (exact).
func dBValue(v float64) *float64 {
	if math.IsInf(v, 1) {
		return nil
	}
	v = math.Round(v*100) / 100
	return &v
}

// report assembles the report of a placed, routed program.
func (pl *plan) report(pm placement, pst PlacementStats, links []LinkLoad, ps []projStats) *Report {
	n, prog, cfg := pl.net, pl.prog, &pl.cfg
	r := &Report{
		Network: n.Name, Contexts: pl.contexts(), Ranges: "synthetic",
		Chip:  ChipConfig{cfg.Rows, cfg.Cols, cfg.NeuronsPerTile, cfg.InputsPerNeuron, cfg.MACUnits, cfg.LinkBits, cfg.ClockHz},
		Links: links, Placement: pst,
	}
	if s := pl.opt.Samples; s != nil && len(s.Inputs) > 0 {
		r.Ranges = "samples"
	}
	for t := range prog.Tiles {
		tl := &prog.Tiles[t]
		if len(tl.Slots) == 0 && len(tl.Blocks) == 0 {
			continue
		}
		u := TileUse{Tile: t, Row: t / cfg.Cols, Col: t % cfg.Cols, Neurons: len(tl.Slots), Blocks: len(tl.Blocks), Routes: len(tl.Routes)}
		for _, b := range tl.Blocks {
			u.Synapses += b.Rows * b.Cols
			if name := n.Populations[prog.Projections[b.Projection].Target].Name; !slices.Contains(u.Targets, name) {
				u.Targets = append(u.Targets, name)
			}
		}
		if g := pm.at[t]; g >= 0 {
			u.CrossbarRows, u.CrossbarCols = pl.groups[g].rows, pl.groups[g].cols
			for _, h := range pl.groups[g].homes {
				if name := n.Populations[h.pop].Name; !slices.Contains(u.Populations, name) {
					u.Populations = append(u.Populations, name)
				}
			}
		}
		u.SlotUse = float64(u.Neurons) / float64(cfg.NeuronsPerTile)
		u.CrossbarUse = float64(u.Synapses) / float64(cfg.NeuronsPerTile*cfg.InputsPerNeuron)
		r.Tiles = append(r.Tiles, u)
	}
	r.TilesUsed = len(r.Tiles)
	for q, pop := range n.Populations {
		pp := &prog.Populations[q]
		tiles, _ := prog.Home(q)
		tiles = slices.Compact(slices.Sorted(slices.Values(tiles)))
		b := pl.bounds[q]
		r.Layers = append(r.Layers, Layer{
			Population: pop.Name, Role: pp.Role.String(), Size: pop.Size, Tiles: tiles,
			RateExp: pp.RateExp, StateExp: pp.StateExp, ErrorExp: pp.ErrorExp,
			RateBound: round4(b.rate), StateBound: round4(b.state), ErrorBound: round4(b.err),
		})
	}
	for p := range n.Projections {
		s, t := n.Endpoints(p)
		r.Weights = append(r.Weights, WeightQ{
			Projection: p, Source: n.Populations[s].Name, Target: n.Populations[t].Name,
			Synapses: n.Synapses(p), Blocks: ps[p].blocks, Tiles: ps[p].tiles,
			WeightExp: prog.Projections[p].WeightExp, GradExp: prog.Projections[p].GradExp,
			SQNR: dB(ps[p].signal, ps[p].noise),
		})
	}
	for t := range prog.Tiles {
		for _, rt := range prog.Tiles[t].Routes {
			w := pl.contexts() * (rt.Hi - rt.Lo)
			if rt.Kind == chip.RouteSum || rt.Kind == chip.RouteErrorSum {
				w *= 2
			}
			r.HopWords += w * hops(t, rt.To, cfg.Cols)
		}
	}
	return r
}

func round4(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	e := math.Floor(math.Log10(math.Abs(x)))
	s := math.Pow(10, 3-e)
	return math.Round(x*s) / s
}

// WriteText writes the compact report glemu compile prints.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	c := r.Chip
	fmt.Fprintf(&b, "%s on a %d×%d mesh (%d neurons × %d inputs per tile, %g MHz), %d context", r.Network, c.Rows, c.Cols, c.NeuronsPerTile, c.InputsPerNeuron, c.ClockHz/1e6, r.Contexts)
	if r.Contexts != 1 {
		b.WriteString("s")
	}
	fmt.Fprintf(&b, "\ntiles used: %d of %d\n", r.TilesUsed, c.Rows*c.Cols)
	fmt.Fprintf(&b, "  %-5s %-8s %8s %9s %8s %7s  %s\n", "tile", "(r,c)", "neurons", "crossbar", "blocks", "routes", "populations")
	for _, t := range r.Tiles {
		fmt.Fprintf(&b, "  %-5d %-8s %7.0f%% %8.0f%% %8d %7d  %s\n", t.Tile, fmt.Sprintf("(%d,%d)", t.Row, t.Col), 100*t.SlotUse, 100*t.CrossbarUse, t.Blocks, t.Routes, strings.Join(t.Populations, " "))
	}
	fmt.Fprintf(&b, "quantization (%s ranges):\n", r.Ranges)
	fmt.Fprintf(&b, "  %-16s %6s %6s %6s %10s\n", "layer", "rate", "state", "error", "run SQNR")
	for _, l := range r.Layers {
		if l.Role == "input" {
			continue
		}
		fmt.Fprintf(&b, "  %-16s %6d %6d %6d %10s\n", l.Population, l.RateExp, l.StateExp, l.ErrorExp, dbText(l.RunSQNR))
	}
	fmt.Fprintf(&b, "  %-24s %7s %7s %12s\n", "projection", "w exp", "blocks", "weight SQNR")
	for _, p := range r.Weights {
		fmt.Fprintf(&b, "  %-24s %7d %7d %12s\n", p.Source+" → "+p.Target, p.WeightExp, p.Blocks, dbText(p.SQNR))
	}
	fmt.Fprintf(&b, "placement: %d words×hops per step (naive row-major %d, %.0f%% better)\n", r.Placement.Cost, r.Placement.NaiveCost, 100*r.Placement.Improvement)
	if len(r.Links) > 0 {
		l := r.Links[0]
		fmt.Fprintf(&b, "busiest link: %d→%d (%s), %d words per step, %d cycles\n", l.From, l.To, l.Dir, l.Words, l.Cycles)
	} else {
		b.WriteString("links: none used\n")
	}
	k := r.Cost
	mode := "inference"
	if k.Learning {
		mode = "learning"
	}
	fmt.Fprintf(&b, "cycles per step: %d (critical tile %d, %s); max step rate %.4g steps/s; energy %.4g nJ per step\n",
		k.CyclesPerStep, k.CriticalTile, mode, k.MaxStepRate, k.EnergyPJ/1000)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s\n", f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dbText(v *float64) string {
	if v == nil {
		return "exact"
	}
	return fmt.Sprintf("%.1f dB", *v)
}
