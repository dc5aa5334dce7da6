package chip

import (
	"errors"
	"fmt"

	"github.com/glemu/glemu/fixedpoint"
)

// Chip is a loaded Program: the state of every tile, advanced by Step. Its methods are
// not safe for concurrent use.
type Chip struct {
	prog     Program // the loaded program; its blocks' W are not kept up to date (see Weights)
	cfg      *Config
	f        formats
	contexts int
	seed     uint64 // stochastic rounding
	aseed    uint64 // analog draws
	analog   Analog

	pops  []*pop
	projs []*proj
	tiles []*tile

	inputs, outputs []*pop
	inWidth         int
	outWidth        int

	// Host port: the step's input (per input population, in its rate_bus format) and
	// target (C × output width, raw in each output population's r format).
	target    []int64
	hasTarget bool
	// out is the output reported at the last step (C × output width, raw r).
	out []int64

	steps   uint64 // steps taken
	learnOn bool
	learn   learnState

	hostCnt fixedpoint.Counters // saturations of inputs and targets written by the host

	pool *pool
	// parts is the number of parts each tile's phase work is split into (the workers):
	// contexts split evenly in the crossbar reads, neuron and commit phases, a block's
	// rows in its learning (or the neurons: nPhases). Part p of tile t runs on shadow[p−1][t], a copy of the tile
	// with its own counters, added into the tile's after the step (integer sums: the
	// same in any order), so that results do not depend on the parts.
	parts  int
	shadow [][]*tile
	// fwdByBlock: the forward phase splits the blocks (each part reads its blocks,
	// block.fwdPart, for every context) instead of the contexts, when a part's share
	// of the contexts would fall below the 64 from which MatMat reads through Wᵀ
	// (halves of 100 contexts each cost about as much as the whole).
	fwdByBlock bool
	// phases are the step's phases; each runs over len(tiles)·parts items (see item).
	phases []func(i int)
	// split[j] reports whether phase j is handed to the pool; a phase whose parts
	// would have too little work each (splitContexts) runs all its items on the
	// calling goroutine, in item order (each item's work is its own: same results).
	split []bool
	// busAfter is the index of the phase after which busExponents runs (the block
	// error bus), −1 for none.
	busAfter int
	// learnPhase is the index of phaseLearn in phases (parts > 1), else −1: Step skips
	// it while weights do not learn (every item would return at once).
	learnPhase int
	// nPhases, when not nil, are the phases of the neuron split (parts > 1 and fewer
	// than splitContexts contexts per part): each runs over the parts, part p taking
	// the neurons pop.nSplit[p] … of every population and the block rows that feed
	// them (see step.go). Step takes them while weights learn, else phases.
	nPhases []func(p int)

	probes *probeSet

	reference bool // step with the reference loops only (tests)
	memos     map[memoKey]memo

	writeNoise int64           // σ of a crossbar write's error, LSBs of w with 16 fraction bits
	expUnit    *fixedpoint.LUT // the output tile's exp unit (cross-entropy)
	cost       *stepCost       // the cost of one step (nil: recompute)
	links      [][4]uint64     // words sent per tile and direction
	ceExp      []int64         // scratch: exp of one context's outputs
	// The exp unit's outputs (and bit 0: saturated) for every input from expLo to 0,
	// computed by the unit itself on first use (estarCEFast); nil until then.
	expMemo []int32
	expSat  []uint8
	expLo   int64
}

// formats holds the Vars of Config.Formats the datapath uses.
type formats struct {
	w, wMem, b, mac, macT                     fixedpoint.Var
	u, uB, v, eB, inst, eps                   fixedpoint.Var
	phiIn, r, rp, rateBus, errBus             fixedpoint.Var
	dtm, dtr, rm, mr, tau                     fixedpoint.Var
	expIn, expOut                             fixedpoint.Var
	grad, am, av, lr, gamma, beta, aeps, decy fixedpoint.Var
	trimTau, trimOff                          fixedpoint.Var
	sqrtV                                     fixedpoint.Var // √adam_v, half its fraction bits
}

func loadFormats(c *Config) formats {
	g := c.formatOf
	f := formats{
		w: g("w"), wMem: g("w_mem"), b: g("b"), mac: g("mac"), macT: g("mac_t"),
		u: g("u"), uB: g("u_breve"), v: g("v"), eB: g("e_breve"), inst: g("inst_e"), eps: g("eps_in"),
		phiIn: g("phi_in"), r: g("r"), rp: g("r_prime"), rateBus: g("rate_bus"), errBus: g("err_bus"),
		dtm: g("dt_tau_m"), dtr: g("dt_tau_r"), rm: g("tau_r_tau_m"), mr: g("tau_m_tau_r"), tau: g("tau_m"),
		expIn: g("exp_in"), expOut: g("exp_out"),
		grad: g("grad"), am: g("adam_m"), av: g("adam_v"), lr: g("lr"), gamma: g("gamma"), beta: g("beta"),
		aeps: g("adam_eps"), decy: g("decay"), trimTau: g("trim_tau"), trimOff: g("trim_offset"),
	}
	f.sqrtV = fixedpoint.Var{Name: "adam_sqrt_v", Format: fixedpoint.UQ((f.av.Format.Int+1)/2, f.av.Format.Frac/2),
		Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate}
	return f
}

// pop is a population's runtime state. Every state slice is C × size, row-major
// (context c's neuron i at c·size + i).
type pop struct {
	idx       int
	name      string
	size      int
	role      Role
	act       fixedpoint.Func
	phi, phiP *fixedpoint.LUT
	// memo holds the φ and φ′ units' outputs for every input of a ≤16-bit phi_in
	// (index x − phi_in.Min), computed by the units themselves; nil otherwise.
	memoPhi, memoPhiP []int32
	memoSat           []uint8 // bit 0: φ saturated, bit 1: φ′ saturated
	// memoPacked holds the same in one word per input, so that a lookup touches one
	// cache line: bits 0–31 φ (int32), 32–61 φ′ (unsigned), 62 and 63 the saturation
	// bits; nil when φ′'s format does not fit 30 unsigned bits.
	memoPacked []uint64
	// memoPacked32 is memoPacked in half the memory (the membrane kernel's lookups
	// touch half the cache lines): bits 0–15 φ (int16), 16–31 φ′ (uint16); only when
	// every entry fits and no entry saturates, else nil.
	memoPacked32 []uint32
	identD       int  // identity units: r = ŭ·2^−identD (≥ 1: the fast loop inlines it)
	memoable     bool // the units can be tabulated
	evals        int  // φ evaluations so far (until tabulated)
	comparator   bool // φ is piecewise linear: its units read ŭ at full precision
	inFmt        fixedpoint.Format
	gamma        int64
	gammaFrac    int // real fraction bits of γ's raw value
	rExp         int
	sExp         int
	eExp         int
	gbExp        int
	gtExp        int
	bias         bool
	home         []int // tile of each neuron
	inOff        int   // offset in the input vector (inputs)
	outOff       int   // offset in the output vector (outputs)

	// Parameters, per neuron.
	tauM, tauR []int64
	b          []int64
	// Trims, per neuron (formats trim_tau, trim_offset).
	trimTau, trimOff []int64
	// Derived constants, per neuron: dt/τm, dt/τr, τr/τm, τm/τr of the effective
	// (mismatched and trimmed) time constants.
	dtm, dtr, rm, mr []int64
	// Analog: frozen per-neuron factors (Q1.30) and offset (in the φ unit's input
	// format), and the u noise amplitude (raw u with 16 extra fraction bits).
	misTauM, misTauR, misGain []int64
	misOff                    []int64
	noiseAmp                  int64 // σ of the u noise, raw u with 16 extra fraction bits
	phiAdjust                 bool  // the φ input stage (gain, offset, trim) is active

	// Committed state.
	// r and r′ are the committed rates until the neuron phase, which overwrites them
	// in place (nothing reads them again before the next step: the blocks read the
	// rate bus, which stays as it was until the commit).
	u, v, r, rp, eps []int64
	// Values of the last step.
	ub, eb, inst, du []int64
	estar            []int64 // output error e*, eps_in format (outputs only)
	// Buses: the committed rates as blocks read them; this step's ĕ as blocks read it.
	rateBus []int16
	errBus  []int16

	// Incoming and outgoing projections, with the real fraction bits of their partial
	// sums and the common binary point they are aligned to.
	in, out       []*proj
	sumFrac       int // forward: common fraction bits of Σ W r + b
	biasShift     int
	tsumFrac      int // transposed: common fraction bits of Σ Wᵀ ĕ
	accIn, accOut [][]int32

	// The error bus's shift of this step: err_bus = ĕ_raw·2^−busShift (see errbus.go);
	// the static shift with ErrorBusStatic. busMin, busMax: its range since the counters
	// were reset (busSeen: a block step ran since). ebOr: per phase item, the OR of the
	// |ĕ_raw| its neuron phase formed (block bus only).
	busShift, busMin, busMax int
	busSeen                  bool
	ebOr                     []uint64

	plan neuronPlan

	// Learning: gradient sums per neuron and optimizer state.
	bSum, tSum []int64
	// bSumP, tSumP are each part's sums over its contexts (part 0's are bSum, tSum),
	// added up by phaseCommit.
	bSumP, tSumP [][]int64
	bOpt, tOpt   moments
	// nSplit: the neuron split's parts, part p holding neurons nSplit[s][p] …
	// nSplit[s][p+1]−1, s = splitLearn in the learning phase, splitNeurons in the
	// others (Chip.nPhases; nil without it).
	nSplit [2][]int
}

// proj is a projection's runtime state.
type proj struct {
	idx           int
	src, tgt      *pop
	wExp, gExp    int
	blocks        []*block
	sumFrac       int // real fraction bits of a forward partial sum
	tsumFrac      int // real fraction bits of a transposed partial sum
	shift, tshift int // left shifts to the target's / source's common binary point
	backward      bool
}

// block is a weight block's runtime state.
type block struct {
	tile       int
	p          *proj
	row0, rows int
	col0, cols int
	plastic    bool
	wMem       []int64 // the weight memory (w_mem)
	wX         []int16 // the crossbar cells (w)
	opt        moments
	fwd        []int32 // C × rows forward partial sums
	fwdPart    int     // the part that forms fwd for all contexts when Chip.fwdByBlock
	bwd        []int32 // C × cols transposed partial sums
	gsum       []int64 // rows × cols gradient sums over contexts (scratch)
	ea, rb     []int16 // C × rows errors and C × cols rates gathered for the gradient
	// eaP, rbP are parts 1…'s ea and rb (parts > 1): each part gathers its own rows.
	eaP, rbP [][]int16
	// bwdP are parts 1…'s transposed partial sums over their rows (the neuron split;
	// part 0's are bwd, to which the commit adds them).
	bwdP [][]int32
}

// moments is an optimizer's state for one parameter array: the first moment or
// momentum buffer (adam_m) and Adam's second moment (adam_v).
type moments struct{ m, v []int64 }

// tile is a tile's runtime state.
type tile struct {
	idx    int
	blocks []*block
	runs   []run
	cnt    [numCounted]fixedpoint.Counters
	stats  tileStats
	// tauChanged: per run, the neuron split's part changed a τm of it this step
	// (mergeParts counts the run's divisions once, as one part would).
	tauChanged []bool
}

// run is a range of consecutive neurons of one population living on one tile.
type run struct {
	p      *pop
	lo, hi int
}

// Option configures New or Restore.
type Option func(*options)

type options struct {
	workers int
	analog  *Analog
}

// WithWorkers steps the chip on n goroutines (default 1; n ≤ 0 means 1): the tiles, and
// within each tile n parts of the contexts (and of the weight rows as they learn); with
// fewer than two contexts per part, while weights learn, n parts of the neurons and of
// the block rows that feed them. Results do not depend on n. With n > 1, call Close
// when done with the chip.
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// WithAnalog replaces the program's Config.Analog: the same program on another die.
func WithAnalog(a Analog) Option { return func(o *options) { o.analog = &a } }

// New loads prog onto a chip. The program is copied. Every dynamic state starts at
// zero, the crossbar cells are written from the weight memory, and learning is on when
// the program's Learning switches any kind of parameter on.
func New(prog *Program, opts ...Option) (*Chip, error) {
	if prog == nil {
		return nil, errors.New("chip: no program; build one with the compiler or chip/chiptest")
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	p := cloneProgram(prog)
	if o.analog != nil {
		p.Config.Analog = *o.analog
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	c := &Chip{prog: *p}
	c.cfg = &c.prog.Config
	c.f = loadFormats(c.cfg)
	c.contexts = p.Contexts
	c.seed = p.Seed
	c.analog = p.Config.Analog
	c.aseed = c.analog.Seed
	if c.aseed == 0 {
		c.aseed = p.Seed
	}
	if err := c.build(); err != nil {
		return nil, err
	}
	l := &p.Learning
	c.learnOn = l.Weights.On || l.Biases.On || l.TauM.On
	c.learn.reset(c)
	c.pool = newPool(o.workers)
	c.setParts(c.pool.workers)
	return c, nil
}

// setParts splits every tile's phase work into n parts (see Chip.parts) and allocates
// the parts' buffers. With n > 1 learning takes a phase of its own after the
// transposed reads (which read the weights as they were).
func (c *Chip) setParts(n int) {
	c.parts = max(n, 1)
	c.shadow = nil
	for p := 1; p < c.parts; p++ {
		sh := make([]*tile, len(c.tiles))
		for t, tl := range c.tiles {
			sh[t] = &tile{idx: tl.idx, blocks: tl.blocks, runs: tl.runs}
		}
		c.shadow = append(c.shadow, sh)
	}
	for _, q := range c.pops {
		q.bSumP, q.tSumP = nil, nil
		if q.bSum == nil {
			continue
		}
		q.bSumP, q.tSumP = [][]int64{q.bSum}, [][]int64{q.tSum}
		for range c.parts - 1 {
			q.bSumP = append(q.bSumP, make([]int64, q.size))
			q.tSumP = append(q.tSumP, make([]int64, q.size))
		}
	}
	for _, tl := range c.tiles {
		for _, b := range tl.blocks {
			b.eaP, b.rbP = nil, nil
			if b.plastic {
				for range c.parts - 1 {
					b.eaP = append(b.eaP, make([]int16, len(b.ea)))
					b.rbP = append(b.rbP, make([]int16, len(b.rb)))
				}
			}
		}
	}
	// Blocks to parts for the forward phase: each to the least loaded part so far
	// (synapses), in tile order.
	c.fwdByBlock = c.parts > 1 && c.contexts >= 64 && c.contexts/c.parts < 64
	load := make([]int, c.parts)
	for _, tl := range c.tiles {
		for _, b := range tl.blocks {
			b.fwdPart = 0
			if !c.fwdByBlock {
				continue
			}
			for p := range load {
				if load[p] < load[b.fwdPart] {
					b.fwdPart = p
				}
			}
			load[b.fwdPart] += b.rows * b.cols
		}
	}
	// The phases that split the contexts pay only with enough contexts per part; the
	// learning phase splits a block's weight rows, and pays at any count.
	byCtx := c.parts > 1 && c.contexts >= splitContexts*c.parts
	c.phases = []func(int){c.phaseForward, c.phaseNeurons}
	c.split = []bool{byCtx || c.fwdByBlock, byCtx}
	// The block error bus: the neuron phase leaves a partial OR per item, busExponents
	// (after phase busAfter) fixes the shifts, phaseErrBus puts ĕ on the bus.
	c.busAfter = -1
	if c.blockBus() {
		c.busAfter = len(c.phases) - 1
		c.phases = append(c.phases, c.phaseErrBus)
		c.split = append(c.split, byCtx)
		for _, q := range c.pops {
			q.ebOr = make([]uint64, len(c.tiles)*c.parts)
		}
	}
	c.phases = append(c.phases, c.phaseBackward)
	c.split = append(c.split, byCtx)
	c.learnPhase = -1
	if c.parts > 1 {
		c.learnPhase = len(c.phases)
		c.phases = append(c.phases, c.phaseLearn)
		c.split = append(c.split, true)
	}
	c.phases = append(c.phases, c.phaseCommit)
	c.split = append(c.split, byCtx)
	c.setNeuronSplit(c.parts > 1 && !byCtx && !c.fwdByBlock)
}

// setNeuronSplit sets up (on) or drops the neuron split (Chip.nPhases). The
// populations' neurons, in program order, are cut into P consecutive stretches of
// even load, twice: for the learning phase a neuron weighs the synapses of its rows
// in the blocks that feed it (their learning is most of a step) plus neuronWeight,
// for the neuron and commit phases (whose barriers make their split free) mostly
// itself. So each part holds whole populations and blocks but at its ends (fewer,
// longer calls than halving every population), and a block's weights stay in one
// core's caches.
func (c *Chip) setNeuronSplit(on bool) {
	c.nPhases = nil
	for _, q := range c.pops {
		q.nSplit = [2][]int{}
	}
	for _, tl := range c.tiles {
		for _, b := range tl.blocks {
			b.bwdP = nil
		}
	}
	if !on {
		return
	}
	c.nPhases = []func(int){c.nPhaseNeurons, c.nPhaseLearn, c.nPhaseCommit}
	c.cutNeurons(splitLearn, neuronWeight, 1)
	// The neuron and commit phases' work is per neuron, with the forward read of its
	// rows a small part of it: its synapses count a sixteenth as much as there.
	c.cutNeurons(splitNeurons, 16*neuronWeight, 16)
	for _, tl := range c.tiles {
		for _, b := range tl.blocks {
			if b.p.backward {
				for range c.parts - 1 {
					b.bwdP = append(b.bwdP, make([]int32, len(b.bwd)))
				}
			}
		}
	}
	for t, tl := range c.tiles {
		tl.tauChanged = make([]bool, len(tl.runs))
		for _, sh := range c.shadow {
			sh[t].tauChanged = make([]bool, len(tl.runs))
		}
	}
}

// The neuron split's two cuts (pop.nSplit).
const (
	splitLearn = iota
	splitNeurons
)

// cutNeurons sets every population's cut s: a neuron weighs own plus the columns of
// its rows in the blocks that feed it over per (rounded down: a block narrower than per
// adds nothing, which only shifts the balance, never the bits).
func (c *Chip) cutNeurons(s, own, per int) {
	P := c.parts
	costs := make([][]int, len(c.pops))
	tot := 0
	for qi, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		cost := make([]int, q.size)
		for i := range cost {
			cost[i] = own
		}
		for _, x := range q.in {
			for _, b := range x.blocks {
				for i := b.row0; i < b.row0+b.rows; i++ {
					cost[i] += b.cols / per
				}
			}
		}
		for _, w := range cost {
			tot += w
		}
		costs[qi] = cost
	}
	// Part p takes the next neuron while that leaves its load nearer its share of
	// what is left (rem over the parts p…P−1) than without it.
	p, load, rem := 0, 0, tot
	for qi, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		cut := make([]int, P+1) // parts before p: empty here
		for i, w := range costs[qi] {
			for p < P-1 && 2*(load+w) > 2*rem/(P-p)+w {
				rem -= load
				load = 0
				p++
				cut[p] = i
			}
			load += w
		}
		for pp := p + 1; pp <= P; pp++ {
			cut[pp] = q.size
		}
		q.nSplit[s] = cut
	}
}

// neuronWeight is what a neuron's own work weighs in the neuron split, in synapses:
// in the learning phase its bus word and its bias's Adam step cost about two
// synapses' Adam steps (with 8, MNIST-1D's second part, holding fewer neurons, took
// about 2 µs longer than the first at one context, 4 % of the phase).
const neuronWeight = 2

// splitContexts is the fewest contexts per part for which the phases that split the
// contexts (forward, neurons, error bus, backward, commit) are handed to the pool: at
// one context a part's share is a few microseconds, less than the hand-off costs
// (docs/chip.md, Performance, round 6).
const splitContexts = 2

// item returns the tile (tile t's shadow for parts ≥ 1) and part of phase item i.
func (c *Chip) item(i int) (*tile, int) {
	t, p := i/c.parts, i%c.parts
	if p == 0 {
		return c.tiles[t], 0
	}
	return c.shadow[p-1][t], p
}

// span returns part p of P of [0, n): [n·p/P, n·(p+1)/P).
func span(n, p, P int) (int, int) { return n * p / P, n * (p + 1) / P }

// mergeParts adds the parts' counters into their tiles' and clears them; with the
// neuron split, it counts the divisions of every run whose τm changed in any part.
func (c *Chip) mergeParts() {
	for _, sh := range c.shadow {
		for t, s := range sh {
			if len(s.runs) == 0 && len(s.blocks) == 0 {
				continue // nothing counts on an empty tile
			}
			for j := range s.cnt {
				c.tiles[t].cnt[j].Add(s.cnt[j])
			}
			s.cnt = [numCounted]fixedpoint.Counters{}
		}
	}
	if c.nPhases == nil {
		return
	}
	for t, tl := range c.tiles {
		for ri, r := range tl.runs {
			changed := tl.tauChanged[ri]
			tl.tauChanged[ri] = false
			for _, sh := range c.shadow {
				changed = changed || sh[t].tauChanged[ri]
				sh[t].tauChanged[ri] = false
			}
			if changed {
				tl.stats.divides += uint64(4 * (r.hi - r.lo))
			}
		}
	}
}

// Close stops the chip's worker goroutines (if WithWorkers started any). The chip must
// not be stepped after Close.
func (c *Chip) Close() { c.pool.close() }

// build allocates the runtime state from c.prog.
func (c *Chip) build() error {
	p := &c.prog
	C := c.contexts
	f := &c.f
	for t := range p.Tiles {
		c.tiles = append(c.tiles, &tile{idx: t})
	}
	inOff, outOff := 0, 0
	for qi := range p.Populations {
		q := &p.Populations[qi]
		ps := &pop{idx: qi, name: q.Name, size: q.Size, role: q.Role, act: q.Activation, bias: q.Bias,
			rExp: q.RateExp, sExp: q.StateExp, eExp: q.ErrorExp, gbExp: q.BiasGradExp, gtExp: q.TauGradExp}
		n := q.Size
		ps.home, _ = p.Home(qi)
		ps.rateBus = make([]int16, C*n)
		if q.Role == RoleInput {
			ps.inOff = inOff
			inOff += n
			c.inputs = append(c.inputs, ps)
			c.pops = append(c.pops, ps)
			continue
		}
		if q.Role == RoleOutput {
			ps.outOff = outOff
			outOff += n
			c.outputs = append(c.outputs, ps)
			ps.estar = make([]int64, C*n)
		}
		ps.gamma = q.Gamma.Raw
		ps.gammaFrac = f.gamma.Format.Frac - q.Gamma.Exp
		ps.tauM = append([]int64(nil), q.TauM...)
		ps.tauR = append([]int64(nil), q.TauR...)
		if q.Bias {
			ps.b = append([]int64(nil), q.B...)
		}
		ps.trimTau, ps.trimOff = make([]int64, n), make([]int64, n)
		ps.dtm, ps.dtr, ps.rm, ps.mr = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		s := func() []int64 { return make([]int64, C*n) }
		ps.u, ps.v, ps.r, ps.rp, ps.eps = s(), s(), s(), s(), s()
		ps.ub, ps.eb, ps.inst, ps.du = s(), s(), s(), s()
		ps.errBus = make([]int16, C*n)
		ps.busShift = c.staticShift()
		if err := c.buildUnits(ps); err != nil {
			return err
		}
		c.prepareMemo(ps)
		c.pops = append(c.pops, ps)
	}
	c.inWidth, c.outWidth = inOff, outOff
	c.target = make([]int64, C*outOff)
	c.out = make([]int64, C*outOff)
	for pi, pr := range p.Projections {
		src, tgt := c.pops[pr.Source], c.pops[pr.Target]
		x := &proj{idx: pi, src: src, tgt: tgt, wExp: pr.WeightExp, gExp: pr.GradExp, backward: src.role != RoleInput}
		x.sumFrac = f.w.Format.Frac + f.rateBus.Format.Frac - pr.WeightExp - src.rExp
		src.out = append(src.out, x)
		tgt.in = append(tgt.in, x)
		c.projs = append(c.projs, x)
	}
	for _, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		q.sumFrac = -1 << 30
		for _, x := range q.in {
			q.sumFrac = max(q.sumFrac, x.sumFrac)
		}
		bf := f.b.Format.Frac - q.sExp
		if q.bias {
			q.sumFrac = max(q.sumFrac, bf)
		}
		if len(q.in) == 0 && !q.bias {
			q.sumFrac = f.u.Format.Frac - q.sExp
		}
		for _, x := range q.in {
			x.shift = q.sumFrac - x.sumFrac
		}
		q.biasShift = q.sumFrac - bf
		q.plan = c.plan(q)
		q.accIn = make([][]int32, len(q.in))
		for k := range q.accIn {
			q.accIn[k] = make([]int32, C*q.size)
		}
		q.accOut = make([][]int32, len(q.out))
		for k := range q.accOut {
			q.accOut[k] = make([]int32, C*q.size)
		}
	}
	c.busScales() // the transposed sums' binary points, at the bus's build-time (static) shift
	for t := range p.Tiles {
		tl := c.tiles[t]
		for _, b := range p.Tiles[t].Blocks {
			x := c.projs[b.Projection]
			bl := &block{tile: t, p: x, row0: b.Row0, rows: b.Rows, col0: b.Col0, cols: b.Cols, plastic: b.Plastic,
				wMem: append([]int64(nil), b.W...), wX: make([]int16, len(b.W)),
				fwd: make([]int32, C*b.Rows), bwd: make([]int32, C*b.Cols)}
			if b.Plastic {
				bl.gsum, bl.ea, bl.rb = make([]int64, len(b.W)), make([]int16, C*b.Rows), make([]int16, C*b.Cols)
			}
			x.blocks = append(x.blocks, bl)
			tl.blocks = append(tl.blocks, bl)
		}
		// Runs of consecutive neurons of one population, in slot order.
		for _, ref := range p.Tiles[t].Slots {
			q := c.pops[ref.Population]
			if n := len(tl.runs); n > 0 && tl.runs[n-1].p == q && tl.runs[n-1].hi == ref.Neuron {
				tl.runs[n-1].hi++
				continue
			}
			tl.runs = append(tl.runs, run{p: q, lo: ref.Neuron, hi: ref.Neuron + 1})
		}
	}
	c.buildAnalog()
	c.writeNoise = toFixed(c.analog.WeightWriteSigma, zFrac)
	c.links = make([][4]uint64, len(c.tiles))
	c.allocLearning()
	if p.Loss.Kind == LossCrossEntropy {
		var err error
		if c.expUnit, err = fixedpoint.DefaultLUT(c.cfg.Formats, fixedpoint.Exp); err != nil {
			return fmt.Errorf("chip: exp unit: %v", err)
		}
		c.ceExp = make([]int64, c.outWidth)
	}
	for _, q := range c.pops {
		if q.role != RoleInput {
			c.deriveConstants(q, 0, q.size, nil)
		}
	}
	for _, x := range c.projs {
		for _, bl := range x.blocks {
			c.writeCrossbar(bl, 0, len(bl.wMem), loadStep, &c.tiles[bl.tile].cnt[cntW])
		}
	}
	return nil
}

// allocLearning allocates the gradient sums and the optimizer's moments.
func (c *Chip) allocLearning() {
	kind := c.prog.Learning.Optimizer
	mom := func(n int) moments {
		switch kind {
		case OptMomentum:
			return moments{m: make([]int64, n)}
		case OptAdam:
			return moments{m: make([]int64, n), v: make([]int64, n)}
		}
		return moments{}
	}
	for _, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		q.bSum, q.tSum = make([]int64, q.size), make([]int64, q.size)
		if q.bias {
			q.bOpt = mom(q.size)
		}
		q.tOpt = mom(q.size)
	}
	for _, x := range c.projs {
		for _, b := range x.blocks {
			if b.plastic {
				b.opt = mom(len(b.wMem))
			}
		}
	}
}

// loadStep is the Key.Step of writes made when a program is loaded (before step 0).
const loadStep = ^uint64(0)

// buildUnits builds population q's φ and φ′ units.
func (c *Chip) buildUnits(q *pop) error {
	f := &c.f
	rf := effective(f.r.Format, q.rExp)
	q.comparator = isPiecewise(q.act)
	tb := append(fixedpoint.Table(nil), c.cfg.Formats...)
	for i := range tb {
		if tb[i].Name == "r" {
			tb[i].Format = rf
		}
	}
	if q.comparator {
		q.inFmt = effective(f.uB.Format, q.sExp)
		var err error
		if q.phi, err = fixedpoint.NewLUT(q.act, q.inFmt, rf, 0, 1, 2); err != nil {
			return fmt.Errorf("chip: population %q: %v", q.name, err)
		}
		if q.phiP, err = fixedpoint.NewLUT(q.act+1, q.inFmt, f.rp.Format, 0, 1, 2); err != nil {
			return fmt.Errorf("chip: population %q: %v", q.name, err)
		}
		return nil
	}
	q.inFmt = f.phiIn.Format
	build := func(fn fixedpoint.Func) (*fixedpoint.LUT, error) {
		l, err := fixedpoint.DefaultLUT(tb, fn)
		if err != nil || c.cfg.LUTSegments == 0 {
			return l, err
		}
		lo := l.In.ToFloat(l.Lo)
		hi := l.In.ToFloat(l.Lo + int64(l.Size)<<l.StepBits)
		return fixedpoint.NewLUT(fn, l.In, l.Out, lo, hi, c.cfg.LUTSegments)
	}
	var err error
	if q.phi, err = build(q.act); err != nil {
		return fmt.Errorf("chip: population %q: φ unit: %v", q.name, err)
	}
	if q.phiP, err = build(q.act + 1); err != nil {
		return fmt.Errorf("chip: population %q: φ′ unit: %v", q.name, err)
	}
	return nil
}

// memoAfter is the number of φ evaluations after which a population's units are
// tabulated: about twice the cost of building the table.
const memoAfter = 1 << 18

// prepareMemo sets what memoize needs; the tables are built once a population has
// evaluated its units memoAfter times (between steps, see Step).
func (c *Chip) prepareMemo(q *pop) {
	if q.comparator {
		q.identD = q.inFmt.Frac - effective(c.f.r.Format, q.rExp).Frac
		return
	}
	q.memoable = c.f.phiIn.Format.Width() <= 16
}

// TabulateUnits builds the φ and φ′ tables of every population now, instead of after
// its units have been evaluated memoAfter times (about 5,000 steps of a 53-neuron
// population at one context). Results do not change: a table holds the units' own
// outputs. Benchmarks call it so that they time the steady state.
func (c *Chip) TabulateUnits() {
	for _, q := range c.pops {
		if q.memoable && q.memoPhi == nil {
			c.memoize(q)
		}
	}
}

// memoize tabulates q's φ and φ′ units over every input of phi_in, sharing tables
// between populations with the same units. The table is the units' own output, so
// results do not change.
func (c *Chip) memoize(q *pop) {
	in := c.f.phiIn.Format
	key := memoKey{q.act, effective(c.f.r.Format, q.rExp), c.f.rp.Format}
	if m, ok := c.memos[key]; ok {
		q.memoPhi, q.memoPhiP, q.memoSat, q.memoPacked, q.memoPacked32 = m.phi, m.phiP, m.sat, m.packed, m.packed32
		return
	}
	n := int(in.Max() - in.Min() + 1)
	m := memo{phi: make([]int32, n), phiP: make([]int32, n), sat: make([]uint8, n)}
	for k := range n {
		var a, b fixedpoint.Counters
		x := in.Min() + int64(k)
		m.phi[k] = int32(q.phi.Eval(x, &a))
		m.phiP[k] = int32(q.phiP.Eval(x, &b))
		m.sat[k] = uint8(a.Saturations) | uint8(b.Saturations)<<1
	}
	if rp := c.f.rp.Format; !rp.Signed && rp.Width() <= 30 {
		m.packed = make([]uint64, n)
		for k := range n {
			m.packed[k] = uint64(uint32(m.phi[k])) | uint64(m.phiP[k])<<32 | uint64(m.sat[k])<<62
		}
	}
	if m.packed != nil {
		m.packed32 = packed32(m.phi, m.phiP, m.sat)
	}
	if c.memos == nil {
		c.memos = map[memoKey]memo{}
	}
	c.memos[key] = m
	q.memoPhi, q.memoPhiP, q.memoSat, q.memoPacked, q.memoPacked32 = m.phi, m.phiP, m.sat, m.packed, m.packed32
}

type memoKey struct {
	f     fixedpoint.Func
	r, rp fixedpoint.Format
}

type memo struct {
	phi, phiP []int32
	sat       []uint8
	packed    []uint64
	packed32  []uint32
}

// packed32 returns the φ/φ′ table in 32-bit words (pop.memoPacked32), or nil when an
// entry saturates or does not fit 16 bits.
func packed32(phi, phiP []int32, sat []uint8) []uint32 {
	for k := range phi {
		if sat[k] != 0 || int32(int16(phi[k])) != phi[k] || phiP[k] < 0 || phiP[k] > 1<<16-1 {
			return nil
		}
	}
	out := make([]uint32, len(phi))
	for k := range out {
		out[k] = uint32(uint16(phi[k])) | uint32(phiP[k])<<16
	}
	return out
}

func isPiecewise(f fixedpoint.Func) bool {
	switch f {
	case fixedpoint.Identity, fixedpoint.ReLU, fixedpoint.HardSigmoid, fixedpoint.HardTanh:
		return true
	}
	return false
}

// effective is format f under exponent e: the same raw integers, binary point moved.
func effective(f fixedpoint.Format, e int) fixedpoint.Format {
	return fixedpoint.Format{Signed: f.Signed, Int: f.Int + e, Frac: f.Frac - e}
}

// wide is the format of an int64 intermediate with frac fraction bits: 63 bits wide
// whatever frac is, so that fixedpoint picks its exact 128-bit paths when needed.
func wide(frac int) fixedpoint.Format {
	return fixedpoint.Format{Signed: true, Int: 62 - frac, Frac: frac}
}

// validateDatapath checks what the datapath needs beyond Program.Validate: exponents
// that keep the effective formats of rates and states valid.
func (p *Program) validateDatapath() error {
	c := &p.Config
	r, rb, ub, u := c.formatOf("r").Format, c.formatOf("rate_bus").Format, c.formatOf("u_breve").Format, c.formatOf("u").Format
	for _, q := range p.Populations {
		for _, f := range []fixedpoint.Format{r, rb} {
			if q.RateExp < -f.Int || q.RateExp > f.Frac {
				return fmt.Errorf("chip: program: population %q: RateExp %d; with %s rates it must be within %d…%d", q.Name, q.RateExp, f, -f.Int, f.Frac)
			}
		}
		if q.Role == RoleInput {
			continue
		}
		for _, f := range []fixedpoint.Format{ub, u} {
			if q.StateExp < -f.Int || q.StateExp > f.Frac {
				return fmt.Errorf("chip: program: population %q: StateExp %d; with %s states it must be within %d…%d", q.Name, q.StateExp, f, -f.Int, f.Frac)
			}
		}
	}
	if p.Loss.Kind == LossCrossEntropy {
		exp := 0
		first := true
		for _, q := range p.Populations {
			if q.Role != RoleOutput {
				continue
			}
			if !first && q.RateExp != exp {
				return fmt.Errorf("chip: program: cross-entropy: output population %q has RateExp %d, another %d; the softmax needs one rate scale", q.Name, q.RateExp, exp)
			}
			exp, first = q.RateExp, false
		}
	}
	if v, m := c.formatOf("v").Format, c.formatOf("inst_e").Format; v.Frac != m.Frac {
		return fmt.Errorf("chip: config: formats: v %s and inst_e %s must have the same fraction bits (Δv = inst_e − v is formed exactly)", v, m)
	}
	g, av, am := c.formatOf("grad").Format, c.formatOf("adam_v").Format, c.formatOf("adam_m").Format
	if av.Frac > 2*g.Frac || av.Width()+2*g.Frac-av.Frac > 62 {
		return fmt.Errorf("chip: config: formats: adam_v %s does not fit the square of grad %s; keep adam_v's fraction bits ≤ %d and its integer bits ≤ %d", av, g, 2*g.Frac, 62-2*g.Frac)
	}
	if k := adamRatioFrac + av.Frac/2 - am.Frac; k < 0 || k+am.Width() > 62 {
		return fmt.Errorf("chip: config: formats: adam_m %s and adam_v %s are too far apart for the update ratio; keep adam_m's fraction bits near adam_v's half", am, av)
	}
	return nil
}

// cloneProgram returns a deep copy of p.
func cloneProgram(p *Program) *Program {
	q := *p
	q.Config.Formats = append(fixedpoint.Table(nil), p.Config.Formats...)
	q.Populations = append([]Population(nil), p.Populations...)
	for i := range q.Populations {
		x := &q.Populations[i]
		x.TauM = cloneInts(x.TauM)
		x.TauR = cloneInts(x.TauR)
		x.B = cloneInts(x.B)
	}
	q.Projections = append([]Projection(nil), p.Projections...)
	q.Tiles = append([]Tile(nil), p.Tiles...)
	for i := range q.Tiles {
		t := &q.Tiles[i]
		t.Slots = append([]NeuronRef(nil), t.Slots...)
		t.Routes = append([]Route(nil), t.Routes...)
		t.Blocks = append([]Block(nil), t.Blocks...)
		for k := range t.Blocks {
			t.Blocks[k].W = cloneInts(t.Blocks[k].W)
		}
	}
	return &q
}

func cloneInts(s []int64) []int64 {
	if s == nil {
		return nil
	}
	return append([]int64(nil), s...)
}
