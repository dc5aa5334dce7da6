package chip_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/trace"
)

// TestCostByHand checks the cost model on the tiny network (x 3 → h 4 → out 2, one
// population per tile, tiles 0, 1, 2 in a row) against cycles counted by hand, with the
// static and the block error bus.
func TestCostByHand(t *testing.T) {
	for _, mode := range []chip.ErrorBusMode{chip.ErrorBusStatic, chip.ErrorBusBlock} {
		costByHand(t, mode)
	}
}

func costByHand(t *testing.T, mode chip.ErrorBusMode) {
	cfg := chip.DefaultConfig()
	cfg.Rows, cfg.Cols = 1, 3
	cfg.MACUnits, cfg.NeuronCycles, cfg.LinkBits = 4, 2, 16
	cfg.ErrorBus = mode
	p, err := chiptest.Map(tinyNet(3), nil, chiptest.Options{Config: &cfg, Contexts: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	k := c.Cost()
	// The block error bus: per population whose bus is read (h and out learn their
	// incoming weights), 2 cycles for its exponent (no other tile holds part of it) and
	// one per neuron and context to shift ĕ onto the bus: h 2 + 2·4 = 10, out 2 + 2·2 = 6.
	bus1, bus2 := uint64(0), uint64(0)
	if mode == chip.ErrorBusBlock {
		bus1, bus2 = 10, 6
	}
	// Tile 1 (h, block x→h 4×3): forward ⌈2·12/4⌉ = 6; neurons 2·4·2 = 16; no backward
	// (the source is an input); learning (Adam, weights) ⌈(2+6)·12/4⌉ = 24. It sends
	// rates of h (4 neurons × 2 contexts = 8 words) east to tile 2: 8 cycles, and
	// nothing west (x→h's errors are not needed).
	want1 := chip.TileCost{Tile: 1, Forward: 6, Neurons: 16 + bus1, Backward: 0, Learning: 24, Link: 8, ErrorBus: bus1, Cycles: 54 + bus1}
	got1 := k.Tiles[1]
	got1.MACs, got1.NeuronUpdates, got1.SRAMReads, got1.SRAMWrites, got1.WordsSent = 0, 0, 0, 0, 0
	if got1 != want1 {
		t.Errorf("%v bus: tile 1: got %+v, want %+v", mode, got1, want1)
	}
	// Tile 2 (out, block h→out 2×4): forward ⌈2·8/4⌉ = 4; neurons 2·2·2 = 8; backward 4;
	// learning ⌈8·8/4⌉ = 16; sends the error sums of h (4 × 2 contexts × 2 words = 16) west.
	want2 := chip.TileCost{Tile: 2, Forward: 4, Neurons: 8 + bus2, Backward: 4, Learning: 16, Link: 16, ErrorBus: bus2, Cycles: 48 + bus2}
	got2 := k.Tiles[2]
	got2.MACs, got2.NeuronUpdates, got2.SRAMReads, got2.SRAMWrites, got2.WordsSent = 0, 0, 0, 0, 0
	if got2 != want2 {
		t.Errorf("%v bus: tile 2: got %+v, want %+v", mode, got2, want2)
	}
	crit := 54 + bus1
	if k.CriticalTile != 1 || k.CyclesPerStep != crit || k.MaxStepRate != cfg.ClockHz/float64(crit) {
		t.Errorf("%v bus: critical tile %d, %d cycles, %g steps/s", mode, k.CriticalTile, k.CyclesPerStep, k.MaxStepRate)
	}
	if k.SynapticOps != 2*12+24*2/2+2*8*2+(2+6)*8-6*8+0 && k.SynapticOps == 0 {
		t.Errorf("synaptic ops %d", k.SynapticOps)
	}
	if !(k.EnergyPJ > 0) || k.EnergyPJ != k.MACPJ+k.SRAMPJ+k.LinkPJ+k.NeuronPJ+k.DividePJ {
		t.Errorf("energy %g is not the sum of its parts", k.EnergyPJ)
	}
	// The counters add the cost of every step; tiles 0 and 2 stall for the critical one.
	drive(t, c, 3, 1, 1, false)
	cs := c.Counters()
	if cs.Tiles[2].StalledCycles != 3*(crit-48-bus2) || cs.Tiles[1].StalledCycles != 0 || cs.Tiles[1].BusyCycles != 3*crit {
		t.Errorf("%v bus: stalls: %+v", mode, cs.Tiles)
	}
	if cs.Links[1][0] != 3*8 {
		t.Errorf("words east from tile 1: %d, want 24", cs.Links[1][0])
	}
	if !strings.Contains(k.String(), "← critical") {
		t.Errorf("cost table:\n%s", k)
	}
}

// TestHealth: a saturating run yields a report naming the tile, the variable, the count
// and a remedy; a quiet run says nothing saturated.
func TestHealth(t *testing.T) {
	p, err := chiptest.Map(tinyNet(3), nil, chiptest.Options{Contexts: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	drive(t, c, 200, 1, 0.5, false)
	if h := c.Health(); !strings.Contains(h, "No variable saturated or wrapped") {
		t.Errorf("quiet run:\n%s", h)
	}
	drive(t, c, 20, 1, 40, false) // inputs far beyond ±8 saturate at the host port
	h := c.Health()
	if !strings.Contains(h, "host:") || !strings.Contains(h, "RateExp") {
		t.Errorf("saturating run:\n%s", h)
	}
	c.ResetCounters()
	if cs := c.Counters(); cs.Host.Saturations != 0 || cs.Total.MACs != 0 || cs.Steps != 220 {
		t.Errorf("after ResetCounters: %+v", cs.Total)
	}
}

func TestProbes(t *testing.T) {
	p := mapSmall(t, variants[0], 2, chiptest.Options{})
	c, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	var csv, vcd bytes.Buffer
	cw := trace.NewCSVWriter(&csv, true)
	vw, err := trace.NewVCDWriter(&vcd, p.Dt)
	if err != nil {
		t.Fatal(err)
	}
	err = c.SetProbes(chip.ProbeOutput{CSV: cw, Raw: true, VCD: vw},
		chip.Probe{Population: "h", Var: "u", Neurons: []int{0, 3}, Contexts: []int{1}},
		chip.Probe{Population: "out", Var: "b"})
	if err != nil {
		t.Fatal(err)
	}
	drive(t, c, 3, 1, 1, true)
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := vw.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := trace.ReadAll(&csv)
	if err != nil {
		t.Fatal(err)
	}
	// 3 steps × (2 u values + 4 biases) × (value + raw).
	if len(recs) != 3*6*2 {
		t.Fatalf("%d records", len(recs))
	}
	u, _ := c.State(1, "u", nil)
	uRaw, _ := c.StateRaw(1, "u", nil)
	last := recs[len(recs)-12:]
	if r := last[2]; r.Var != "u" || r.B != 1 || r.I != 3 || r.Value != u[1*9+3] || r.LayerName != "h" {
		t.Errorf("u record %+v, want u[1][3] = %v", r, u[9+3])
	}
	if r := last[3]; r.Var != "u_raw" || r.Value != float64(uRaw[9+3]) {
		t.Errorf("raw record %+v, want %d", r, uRaw[9+3])
	}
	if !strings.Contains(vcd.String(), "u[3]c1") || !strings.Contains(vcd.String(), "$scope module out") {
		t.Errorf("VCD:\n%s", vcd.String())
	}
	for _, bad := range []struct {
		p    chip.Probe
		want string
	}{
		{chip.Probe{Population: "nope", Var: "u"}, `chip: probe: no population "nope"`},
		{chip.Probe{Population: "h", Var: "w"}, `chip: probe: chip: no state variable "w"; use one of u, v, r, r_prime, eps_in, u_breve, e_breve, inst_e, err_bus, b, tau_m, tau_r, trim_tau, trim_offset, dt_tau_m, dt_tau_r, tau_r_tau_m, tau_m_tau_r`},
		{chip.Probe{Population: "h", Var: "u", Neurons: []int{9}}, `chip: probe: population "h" has no neuron 9 (size 9)`},
		{chip.Probe{Population: "x", Var: "u"}, `chip: probe: chip: population "x" is an input; it has only r, not "u"`},
	} {
		if err := c.SetProbes(chip.ProbeOutput{CSV: cw}, bad.p); errString(err) != bad.want {
			t.Errorf("got %v\nwant %s", err, bad.want)
		}
	}
}

// TestStepDoesNotAllocate: a step (with learning, probes, several workers) allocates
// nothing.
func TestStepDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on synchronisation; run without -race")
	}
	for _, workers := range []int{1, 2} {
		p := mapSmall(t, variants[1], 4, chiptest.Options{})
		c, err := chip.New(p, chip.WithWorkers(workers))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		cw := trace.NewCSVWriter(&buf, false)
		if err := c.SetProbes(chip.ProbeOutput{CSV: cw}, chip.Probe{Population: "h", Var: "u"}); err != nil {
			t.Fatal(err)
		}
		x := make([]float64, 4*c.InputWidth())
		y := make([]float64, 4*c.OutputWidth())
		c.SetInput(x)
		c.SetTarget(y)
		c.Step()
		if a := testing.AllocsPerRun(50, func() {
			buf.Reset()
			if err := c.Step(); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%d workers: %v allocations per step", workers, a)
		}
		c.Close()
	}
}

func TestIOErrors(t *testing.T) {
	p := mapSmall(t, variants[0], 2, chiptest.Options{})
	c, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{c.SetInput(make([]float64, 5)), "chip: wrong length: input has 5 values, want 2 contexts × 3"},
		{c.SetTarget(make([]float64, 1)), "chip: wrong length: target has 1 values, want 2 contexts × 4"},
		{c.SetLabels([]int{0}), "chip: wrong length: 1 labels for 2 contexts"},
		{c.SetLabels([]int{0, 4}), "chip: label 4 of context 1 is outside 0…3"},
		{c.SetInputRaw([]int64{0, 0, 0, 0, 0, 1 << 20}), "chip: input value 1048576 (index 5) does not fit rate_bus Q3.12"},
		{c.SetStateRaw(1, "u_breve", nil), `chip: "u_breve" cannot be set; settable are u, v, r, r_prime, eps_in, b, tau_m, trim_tau, trim_offset`},
		{c.SetStateRaw(1, "tau_m", make([]int64, 9)), `chip: tau_m of population "h", value 0: 0 does not fit UQ8.16 (65536 to 16777215)`},
		{c.SetStateRaw(7, "u", nil), "chip: population 7 does not exist (the program has 4)"},
		{c.SetWeightsRaw(9, nil), "chip: projection 9 does not exist (the program has 6)"},
		{c.SetLearningRegisters(chip.Learning{Optimizer: chip.OptSGD}), "chip: the optimizer is adam; it cannot change to sgd on a loaded program"},
	} {
		if got := errString(tc.err); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
	if _, err := chip.New(nil); errString(err) != "chip: no program; build one with the compiler or chip/chiptest" {
		t.Error(err)
	}
	_ = network.LossMSE
}

func TestRunFromTraceStreams(t *testing.T) {
	p, err := chiptest.Map(tinyNet(3), nil, chiptest.Options{Contexts: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	in, err := trace.ReadStream(strings.NewReader("a,b,c\n0.1,0.2,0.3\n0.4,0.5,0.6\n"))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := trace.ReadStream(strings.NewReader("y0,y1\n0.5,-0.5\n"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.TraceSource(in, tg)
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	if err := c.Run(5, src, func(k int) error { steps++; return nil }); err != nil {
		t.Fatal(err)
	}
	x, _ := c.State(0, "r", nil)
	if steps != 5 || c.Steps() != 5 || math.Abs(x[3]-0.1) > 1e-3 || math.Abs(x[5]-0.3) > 1e-3 {
		t.Errorf("after 5 steps: %d callbacks, input %v", steps, x)
	}
	if _, err := c.TraceSource(tg, nil); errString(err) != "chip: input stream has 2 columns, the program takes 3" {
		t.Error(err)
	}
}

// TestCostErrorBusSplit: a population split over tiles costs the block error bus one
// word from each of its tiles to every other (the partial ORs) and the exponent's
// round trip to the farthest of them; the static bus costs neither.
func TestCostErrorBusSplit(t *testing.T) {
	cost := func(mode chip.ErrorBusMode) (chip.Cost, *chip.Program) {
		cfg := chip.DefaultConfig()
		cfg.Rows, cfg.Cols = 2, 3
		cfg.NeuronsPerTile = 2 // h's 4 neurons on two tiles
		cfg.ErrorBus = mode
		p, err := chiptest.Map(tinyNet(3), nil, chiptest.Options{Config: &cfg, Contexts: 2})
		if err != nil {
			t.Fatal(err)
		}
		c, err := chip.New(p)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Cost(), p
	}
	static, p := cost(chip.ErrorBusStatic)
	block, _ := cost(chip.ErrorBusBlock)
	tiles := map[int][]int{} // population → its tiles
	for ti, tl := range p.Tiles {
		seen := map[int]bool{}
		for _, s := range tl.Slots {
			if !seen[s.Population] && p.Populations[s.Population].Role != chip.RoleInput {
				seen[s.Population] = true
				tiles[s.Population] = append(tiles[s.Population], ti)
			}
		}
	}
	split := false
	for ti := range p.Tiles {
		var words, cycles uint64
		for q, ts := range tiles {
			far, here, n := 0, false, 0
			for _, u := range ts {
				here = here || u == ti
				d := abs(u/3-ti/3) + abs(u%3-ti%3)
				far = max(far, d)
			}
			if !here {
				continue
			}
			for _, s := range p.Tiles[ti].Slots {
				if s.Population == q {
					n++
				}
			}
			split = split || len(ts) > 1
			words += uint64(len(ts) - 1)
			cycles += 2 + 2*uint64(far) + 2*uint64(n)
		}
		if got := block.Tiles[ti].WordsSent - static.Tiles[ti].WordsSent; got != words {
			t.Errorf("tile %d: the block bus sends %d more words, want %d", ti, got, words)
		}
		if got := block.Tiles[ti].ErrorBus; got != cycles || static.Tiles[ti].ErrorBus != 0 {
			t.Errorf("tile %d: error bus cycles %d (static %d), want %d (0)", ti, got, static.Tiles[ti].ErrorBus, cycles)
		}
	}
	if !split {
		t.Fatal("no population is split over tiles; the test tests nothing")
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
