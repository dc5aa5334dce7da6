package chip

import (
	"fmt"
	"sort"
	"strings"

	"github.com/glemu/glemu/fixedpoint"
)

// Counted variables: each tile counts saturations and wraps per variable.
const (
	cntW       = iota // crossbar cell writes
	cntWMem           // weight memory updates: weight clips
	cntB              // bias updates
	cntU              // s, γĕ and u
	cntUB             // ŭ
	cntV              // v
	cntEB             // ĕ
	cntInst           // inst_e
	cntEps            // ε_in and e*
	cntPhiIn          // the φ units' input (and its gain, offset and trim stage)
	cntR              // r = φ(ŭ)
	cntRP             // r′ = φ′(ŭ)
	cntRateBus        // rates on the bus
	cntErrBus         // ĕ on the bus
	cntDerived        // dt/τm, dt/τr, τr/τm, τm/τr
	cntTau            // τm updates
	cntExpIn          // softmax: r − max r into the exp unit
	cntExpOut         // softmax: exp and probabilities
	cntGrad           // gradients
	cntAdamM          // first moment (momentum buffer)
	cntAdamV          // second moment
	numCounted
)

// countedNames are the Config.Formats names of the counted variables.
var countedNames = [numCounted]string{"w", "w_mem", "b", "u", "u_breve", "v", "e_breve", "inst_e", "eps_in",
	"phi_in", "r", "r_prime", "rate_bus", "err_bus", "tau-derived", "tau_m", "exp_in", "exp_out", "grad", "adam_m", "adam_v"}

// tileStats are a tile's activity counters.
type tileStats struct {
	macs          uint64
	neuronUpdates uint64
	sramReads     uint64
	sramWrites    uint64
	divides       uint64
	wordsSent     uint64
	stalledCycles uint64
	busyCycles    uint64
}

// VarCount is one variable's overflow events.
type VarCount struct {
	Var         string
	Saturations uint64
	Wraps       uint64
}

// TileCounters are one tile's counters, as the hardware exposes them.
type TileCounters struct {
	Tile int
	// Vars lists every variable with at least one saturation or wrap, in the order
	// of the datapath.
	Vars []VarCount
	// WeightClips counts weight-memory updates that saturated.
	WeightClips uint64
	// MACs counts multiply-accumulates (forward, transposed and gradient);
	// NeuronUpdates neuron-context updates; Divides the exact divider's operations.
	MACs, NeuronUpdates, Divides uint64
	// SRAMReads and SRAMWrites count 16-bit words.
	SRAMReads, SRAMWrites uint64
	// WordsSent counts 16-bit words the tile sent over its links.
	WordsSent uint64
	// BusyCycles counts the cycles the tile worked; StalledCycles those it waited for
	// the critical tile at the end of each step.
	BusyCycles, StalledCycles uint64
}

// Counters are the chip's counters: per tile, per link, and totals.
type Counters struct {
	Steps uint64
	Tiles []TileCounters
	// Links[t][d] counts the 16-bit words sent from tile t towards direction d (0 east,
	// 1 west, 2 south, 3 north) over the mesh's XY routes.
	Links [][4]uint64
	// Host counts saturations of inputs and targets written by the host.
	Host VarCount
	// Total sums the tiles' counters (Tile −1).
	Total TileCounters
}

// Counters returns a copy of the chip's counters.
func (c *Chip) Counters() Counters {
	out := Counters{Steps: c.steps, Host: VarCount{Var: "host", Saturations: c.hostCnt.Saturations, Wraps: c.hostCnt.Wraps}}
	out.Total.Tile = -1
	tot := [numCounted]fixedpoint.Counters{}
	for _, tl := range c.tiles {
		tc := TileCounters{Tile: tl.idx}
		for v := range numCounted {
			x := tl.cnt[v]
			tot[v].Add(x)
			if x.Saturations != 0 || x.Wraps != 0 {
				tc.Vars = append(tc.Vars, VarCount{countedNames[v], x.Saturations, x.Wraps})
			}
		}
		s := tl.stats
		tc.WeightClips = tl.cnt[cntWMem].Saturations
		tc.MACs, tc.NeuronUpdates, tc.Divides = s.macs, s.neuronUpdates, s.divides
		tc.SRAMReads, tc.SRAMWrites, tc.WordsSent = s.sramReads, s.sramWrites, s.wordsSent
		tc.BusyCycles, tc.StalledCycles = s.busyCycles, s.stalledCycles
		out.Tiles = append(out.Tiles, tc)
		t := &out.Total
		t.WeightClips += tc.WeightClips
		t.MACs += tc.MACs
		t.NeuronUpdates += tc.NeuronUpdates
		t.Divides += tc.Divides
		t.SRAMReads += tc.SRAMReads
		t.SRAMWrites += tc.SRAMWrites
		t.WordsSent += tc.WordsSent
		t.BusyCycles += tc.BusyCycles
		t.StalledCycles += tc.StalledCycles
	}
	for v := range numCounted {
		if x := tot[v]; x.Saturations != 0 || x.Wraps != 0 {
			out.Total.Vars = append(out.Total.Vars, VarCount{countedNames[v], x.Saturations, x.Wraps})
		}
	}
	out.Links = append([][4]uint64(nil), c.links...)
	return out
}

// ResetCounters sets every counter (not the step count) to zero.
func (c *Chip) ResetCounters() {
	for _, tl := range c.tiles {
		tl.cnt = [numCounted]fixedpoint.Counters{}
		tl.stats = tileStats{}
	}
	for i := range c.links {
		c.links[i] = [4]uint64{}
	}
	c.hostCnt = fixedpoint.Counters{}
	for _, q := range c.pops {
		q.busSeen = false
	}
}

// countStep adds one step's activity (from the cost model) to the counters.
func (c *Chip) countStep() {
	cost := c.stepCost()
	for t, tl := range c.tiles {
		a := &cost.tiles[t]
		s := &tl.stats
		s.macs += a.macs
		s.neuronUpdates += a.neuronUpdates
		s.sramReads += a.sramReads
		s.sramWrites += a.sramWrites
		s.wordsSent += a.wordsSent
		s.busyCycles += a.cycles
		s.stalledCycles += cost.critical - a.cycles
	}
	for t := range c.links {
		for d := range 4 {
			c.links[t][d] += cost.links[t][d]
		}
	}
}

// Health is a plain-language report of the counters: what saturated or wrapped where,
// how often, and what to change.
func (c *Chip) Health() string {
	var b strings.Builder
	cs := c.Counters()
	fmt.Fprintf(&b, "%s steps run", group(cs.Steps))
	if c.contexts > 1 {
		fmt.Fprintf(&b, " on %d contexts", c.contexts)
	}
	b.WriteString(".\n")
	type finding struct {
		tile int
		v    VarCount
	}
	var fs []finding
	for _, t := range cs.Tiles {
		for _, v := range t.Vars {
			fs = append(fs, finding{t.Tile, v})
		}
	}
	sort.SliceStable(fs, func(i, j int) bool {
		return fs[i].v.Saturations+fs[i].v.Wraps > fs[j].v.Saturations+fs[j].v.Wraps
	})
	if len(fs) == 0 && cs.Host.Saturations == 0 {
		b.WriteString("No variable saturated or wrapped: every value stayed within its format.\n")
	}
	for _, x := range fs {
		events := "saturated"
		n := x.v.Saturations
		if x.v.Wraps > 0 {
			events, n = "wrapped", x.v.Wraps
		}
		fmt.Fprintf(&b, "tile %d: %s %s %s times in %s steps; %s\n", x.tile, describeVar(x.v.Var), events, group(n), group(cs.Steps), c.advice(x.v.Var))
	}
	if cs.Host.Saturations > 0 {
		fmt.Fprintf(&b, "host: %s input or target values saturated when written; raise the RateExp of the input or output population, or scale the data\n", group(cs.Host.Saturations))
	}
	if cs.Total.WeightClips > 0 {
		fmt.Fprintf(&b, "weights clipped at the ends of w_mem %s times; raise the affected projections' WeightExp or lower the learning rate\n", group(cs.Total.WeightClips))
	}
	if c.blockBus() {
		// The block error bus's shifts, once errors have flowed.
		var parts []string
		any := false
		for _, x := range c.ErrorBusExponents() {
			any = any || x.MaxShift > 0
			parts = append(parts, fmt.Sprintf("%s %d–%d (last %d, LSB 2^%d)", x.Population, x.MinShift, x.MaxShift, x.Shift, x.LSBExp))
		}
		if any {
			fmt.Fprintf(&b, "error bus shifts of ĕ (block exponent per step, range since the counters were reset): %s\n", strings.Join(parts, ", "))
		}
	}
	return b.String()
}

func describeVar(v string) string {
	switch v {
	case "w":
		return "crossbar cell w"
	case "w_mem":
		return "weight memory w_mem"
	case "u":
		return "u (or s = Σ W r + b, or γĕ)"
	case "u_breve":
		return "ŭ"
	case "e_breve":
		return "ĕ"
	case "eps_in":
		return "ε_in (or e*)"
	case "tau-derived":
		return "a τ-derived constant"
	}
	return v
}

// advice says what to change when variable v saturates.
func (c *Chip) advice(v string) string {
	f := func(name string) string {
		x, ok := c.cfg.Formats.Lookup(name)
		if !ok {
			return name
		}
		w := x.Format
		w.Int++
		if w.Frac > 0 {
			w.Frac--
		}
		return fmt.Sprintf("consider %s for %s (now %s)", w, name, x.Format)
	}
	switch v {
	case "u", "u_breve":
		return f(v) + ", a larger StateExp for the population, or a smaller γ"
	case "err_bus":
		if c.blockBus() {
			// The block bus picks a shift that holds every |ĕ|; only rounding the largest
			// one up by an LSB can pass the int16 edge, and it is held there.
			return "the block bus's largest value rounded up one LSB past the int16 edge and was held there; harmless, nothing to change"
		}
		return f(v) + ", a larger ErrorExp for the population, or a smaller β"
	case "v", "e_breve", "inst_e", "eps_in":
		return f(v) + ", a larger ErrorExp for the population, or a smaller β"
	case "phi_in":
		return "harmless for tanh and sigmoid units, which are flat beyond the unit's range; for other units " + f(v)
	case "r", "rate_bus":
		return f(v) + " or a larger RateExp for the population"
	case "w", "w_mem":
		return "raise the projection's WeightExp or lower the learning rate"
	case "grad", "adam_m", "adam_v":
		return "raise the owner's gradient exponent (GradExp, BiasGradExp, TauGradExp)"
	case "tau_m", "tau-derived":
		return "a time constant left the range of its format; check τm learning and its clamp"
	case "exp_in", "exp_out":
		return "the output rates span more than the exp unit covers; lower their range or β"
	}
	return f(v)
}

// group writes n with thousands separators: 10,000.
func group(n uint64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}
