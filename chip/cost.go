package chip

import (
	"fmt"
	"strings"
)

// The cost model. A step's work is fixed by the program, the number of contexts and
// which kinds of parameter learn, so its cost is the same every step: New computes it
// (and SetLearning recomputes it), Step adds it to the counters, Cost reports it.
//
// Per tile, the phases run one after the other:
//
//	forward    ⌈C·Σ_blocks rows·cols / MACUnits⌉
//	neurons    C·neurons·NeuronCycles
//	backward   ⌈C·Σ_blocks rows·cols / MACUnits⌉ (blocks whose source is not an input)
//	learning   ⌈(C + k)·Σ_plastic blocks rows·cols / MACUnits⌉, k = 1 (SGD), 2 (momentum),
//	           6 (Adam) operations per synapse for the optimizer, plus 4·neurons +
//	           DividerCycles while τm learns
//	transfers  the busiest of the tile's four outgoing links: ⌈16·words / LinkBits⌉
//	error bus  (the block error bus, counted in the neuron phase) per population on the
//	           tile whose bus anything reads (a transposed read, weight or τm learning)
//	           2 cycles (the leading-zero count of its OR register, which the neuron
//	           unit ORs every |ĕ| into as it goes, and the exponent broadcast) plus
//	           2·hops of the farthest other tile holding part of it (partial ORs in,
//	           the exponent back); then C·neurons cycles re-reading ĕ (two words each)
//	           and shifting it onto the bus. A population split over tiles costs each
//	           of its tiles one word to every other (the partial OR), over XY routes.
//
// Words are 16 bits: a rate or an error is one word, a partial sum (32 bits) two, per
// context, over every link of the XY route (column first, then row). The step takes as
// long as the slowest (critical) tile; the others stall for the difference.

// TileCost is one tile's cycles per step, by phase.
type TileCost struct {
	Tile                                       int
	Forward, Neurons, Backward, Learning, Link uint64
	// ErrorBus is the part of Neurons the block error bus takes: the exponent reduction
	// and the re-encoding of ĕ (0 with ErrorBusStatic).
	ErrorBus uint64
	// Cycles is the sum of the phases.
	Cycles uint64
	// MACs, NeuronUpdates, SRAMReads, SRAMWrites (16-bit words) and WordsSent per step.
	MACs, NeuronUpdates, SRAMReads, SRAMWrites, WordsSent uint64
}

// Cost is the chip's cost per step.
type Cost struct {
	Tiles []TileCost
	// CriticalTile is the slowest tile; CyclesPerStep its cycles.
	CriticalTile  int
	CyclesPerStep uint64
	// MaxStepRate is the highest step rate at Config.ClockHz, in steps per second.
	MaxStepRate float64
	// SynapticOps counts the synaptic operations of a step: forward, transposed and
	// gradient multiply-accumulates.
	SynapticOps uint64
	// EnergyPJ is the energy of one step in picojoules, and its parts.
	EnergyPJ                                  float64
	MACPJ, SRAMPJ, LinkPJ, NeuronPJ, DividePJ float64
	HopWords                                  uint64 // words × hops per step
	// ErrorBusHopWords is the part of HopWords the block error bus adds: the partial
	// ORs of populations split over tiles (not routes of the program).
	ErrorBusHopWords uint64
}

type tileCost struct {
	macs, neuronUpdates, sramReads, sramWrites, wordsSent uint64
	phases                                                [5]uint64
	busCycles                                             uint64 // of phases[1]
	cycles                                                uint64
	divides                                               uint64
}

type stepCost struct {
	tiles    []tileCost
	links    [][4]uint64
	critical uint64
	crit     int
	busHops  uint64 // words × hops of the block error bus's partial ORs
}

func ceilDiv(a, b uint64) uint64 { return (a + b - 1) / b }

// stepCost returns the cached cost of one step.
func (c *Chip) stepCost() *stepCost {
	if c.cost == nil {
		c.cost = c.computeCost()
	}
	return c.cost
}

func (c *Chip) computeCost() *stepCost {
	cfg := c.cfg
	C := uint64(c.contexts)
	mac := uint64(cfg.MACUnits)
	l := &c.prog.Learning
	learnW := c.learnOn && l.Weights.On
	learnB := c.learnOn && l.Biases.On
	learnT := c.learnOn && l.TauM.On
	k := uint64(1)
	switch l.Optimizer {
	case OptMomentum:
		k = 2
	case OptAdam:
		k = 6
	}
	sc := &stepCost{tiles: make([]tileCost, len(c.tiles)), links: make([][4]uint64, len(c.tiles))}
	for t, tl := range c.tiles {
		a := &sc.tiles[t]
		var fwd, bwd, lrn, syn uint64
		for _, b := range tl.blocks {
			n := uint64(b.rows * b.cols)
			syn += n
			fwd += C * n
			if b.p.backward {
				bwd += C * n
			}
			if learnW && b.plastic {
				lrn += (C + k) * n
				words := uint64(2) // w_mem
				if l.Optimizer == OptMomentum {
					words += 2
				} else if l.Optimizer == OptAdam {
					words += 5
				}
				a.sramReads += words * n
				a.sramWrites += (words + 1) * n // and the cell
			}
		}
		a.sramReads += 2 * syn // forward and transposed reads of the cells
		var neurons uint64
		for _, r := range tl.runs {
			if r.p.role != RoleInput {
				neurons += uint64(r.hi - r.lo)
			}
		}
		a.neuronUpdates = C * neurons
		a.sramReads += 8 * C * neurons
		a.sramWrites += 8 * C * neurons
		a.macs = fwd + bwd + lrn
		a.phases[0] = ceilDiv(fwd, mac)
		a.phases[1] = C * neurons * uint64(cfg.NeuronCycles)
		a.phases[2] = ceilDiv(bwd, mac)
		a.phases[3] = ceilDiv(lrn, mac)
		if learnB || learnT {
			a.phases[3] += neurons * k
			a.sramReads += 6 * neurons
			a.sramWrites += 6 * neurons
		}
		if learnT {
			a.phases[3] += 4*neurons + uint64(cfg.DividerCycles)
			a.divides = 4 * neurons
		}
	}
	if c.blockBus() {
		c.busCost(sc, C)
	}
	// Routes: words over every link of the XY path.
	for t := range c.prog.Tiles {
		for _, r := range c.prog.Tiles[t].Routes {
			words := C * uint64(r.Hi-r.Lo)
			if r.Kind == RouteSum || r.Kind == RouteErrorSum {
				words *= 2
			}
			if (r.Kind == RouteError || r.Kind == RouteErrorSum) && !c.routeNeeded(r) {
				continue
			}
			sc.tiles[t].wordsSent += words
			c.walk(t, r.To, func(from, dir int) { sc.links[from][dir] += words })
		}
	}
	for t := range sc.tiles {
		a := &sc.tiles[t]
		var busiest uint64
		for _, w := range sc.links[t] {
			busiest = max(busiest, w)
		}
		a.phases[4] = ceilDiv(16*busiest, uint64(cfg.LinkBits))
		for _, p := range a.phases {
			a.cycles += p
		}
		if a.cycles > sc.critical {
			sc.critical, sc.crit = a.cycles, t
		}
	}
	return sc
}

// busCost adds the block error bus's work to sc: per tile and population the exponent
// (leading-zero count, broadcast, and with the population split over tiles the
// exchange of partial ORs), then the re-encoding of its ĕ onto the bus.
func (c *Chip) busCost(sc *stepCost, C uint64) {
	homes := make([][]int, len(c.pops)) // the tiles holding part of each population
	for t, tl := range c.tiles {
		for _, r := range tl.runs {
			if q := r.p; q.role != RoleInput && (len(homes[q.idx]) == 0 || homes[q.idx][len(homes[q.idx])-1] != t) {
				homes[q.idx] = append(homes[q.idx], t)
			}
		}
	}
	cols := c.cfg.Cols
	hops := func(a, b int) int { return abs(a/cols-b/cols) + abs(a%cols-b%cols) }
	for q, ts := range homes {
		if len(ts) == 0 || !c.busRead(c.pops[q]) {
			continue
		}
		for _, t := range ts {
			a := &sc.tiles[t]
			far := 0
			for _, u := range ts {
				if u == t {
					continue
				}
				far = max(far, hops(t, u))
				a.wordsSent++
				c.walk(t, u, func(from, dir int) { sc.links[from][dir]++; sc.busHops++ })
			}
			var n uint64
			for _, r := range c.tiles[t].runs {
				if r.p.idx == q {
					n += uint64(r.hi - r.lo)
				}
			}
			a.busCycles += 2 + 2*uint64(far) + C*n
			a.sramReads += 2 * C * n
		}
	}
	for t := range sc.tiles {
		sc.tiles[t].phases[1] += sc.tiles[t].busCycles
	}
}

// busRead reports whether anything reads q's error bus this step: a transposed read,
// weight learning into q or τm learning.
func (c *Chip) busRead(q *pop) bool {
	l := &c.prog.Learning
	if q.hasBackward() || c.learnOn && l.TauM.On {
		return true
	}
	if c.learnOn && l.Weights.On {
		for _, x := range q.in {
			for _, b := range x.blocks {
				if b.plastic {
					return true
				}
			}
		}
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// routeNeeded reports whether an error route carries anything this step: errors only
// travel to blocks that run a transposed read or learn.
func (c *Chip) routeNeeded(r Route) bool {
	if r.Kind == RouteError {
		return true
	}
	return c.projs[r.Projection].backward
}

// walk calls fn for every link of the XY route from tile a to tile b: columns first.
func (c *Chip) walk(a, b int, fn func(from, dir int)) {
	cols := c.cfg.Cols
	ar, ac := a/cols, a%cols
	br, bc := b/cols, b%cols
	for ac != bc {
		if ac < bc {
			fn(ar*cols+ac, 0)
			ac++
		} else {
			fn(ar*cols+ac, 1)
			ac--
		}
	}
	for ar != br {
		if ar < br {
			fn(ar*cols+ac, 2)
			ar++
		} else {
			fn(ar*cols+ac, 3)
			ar--
		}
	}
}

// Cost returns the cost of one step as the chip is now set (contexts, learning).
func (c *Chip) Cost() Cost {
	sc := c.stepCost()
	e := &c.cfg.Energy
	out := Cost{CriticalTile: sc.crit, CyclesPerStep: sc.critical}
	if sc.critical > 0 {
		out.MaxStepRate = c.cfg.ClockHz / float64(sc.critical)
	}
	var divides uint64
	for t, a := range sc.tiles {
		tc := TileCost{Tile: t, Forward: a.phases[0], Neurons: a.phases[1], Backward: a.phases[2], Learning: a.phases[3], Link: a.phases[4], ErrorBus: a.busCycles,
			Cycles: a.cycles, MACs: a.macs, NeuronUpdates: a.neuronUpdates, SRAMReads: a.sramReads, SRAMWrites: a.sramWrites, WordsSent: a.wordsSent}
		out.Tiles = append(out.Tiles, tc)
		out.SynapticOps += a.macs
		out.MACPJ += float64(a.macs) * e.PJPerMAC
		out.SRAMPJ += float64(a.sramReads)*e.PJPerSRAMRead + float64(a.sramWrites)*e.PJPerSRAMWrite
		out.NeuronPJ += float64(a.neuronUpdates) * e.PJPerNeuronUpdate
		divides += a.divides
	}
	for _, l := range sc.links {
		for _, w := range l {
			out.HopWords += w
		}
	}
	out.ErrorBusHopWords = sc.busHops
	out.LinkPJ = float64(out.HopWords) * e.PJPerHop
	out.DividePJ = float64(divides) * e.PJPerDivide
	out.EnergyPJ = out.MACPJ + out.SRAMPJ + out.LinkPJ + out.NeuronPJ + out.DividePJ
	return out
}

// String formats the cost as a table.
func (k Cost) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %10s %10s %10s %10s %10s %10s\n", "tile", "forward", "neurons", "backward", "learning", "links", "cycles")
	for _, t := range k.Tiles {
		mark := ""
		if t.Tile == k.CriticalTile {
			mark = "  ← critical"
		}
		fmt.Fprintf(&b, "%-5d %10d %10d %10d %10d %10d %10d%s\n", t.Tile, t.Forward, t.Neurons, t.Backward, t.Learning, t.Link, t.Cycles, mark)
	}
	fmt.Fprintf(&b, "%d cycles per step; at most %.4g steps/s; %.4g pJ per step (MAC %.3g, SRAM %.3g, links %.3g, neurons %.3g, divider %.3g); %d synaptic ops per step\n",
		k.CyclesPerStep, k.MaxStepRate, k.EnergyPJ, k.MACPJ, k.SRAMPJ, k.LinkPJ, k.NeuronPJ, k.DividePJ, k.SynapticOps)
	return b.String()
}
