package chip

import (
	"errors"
	"fmt"
	"math"

	"github.com/glemu/glemu/fixedpoint"
)

// Config describes a chip: the mesh, the size of a tile, the arithmetic (a
// fixedpoint.Table), the timing and energy figures of the cost model and the analog
// non-idealities of one die. It is plain data; DefaultConfig gives the reference chip.
type Config struct {
	// Rows and Cols size the mesh of tiles; tile t sits at row t/Cols, column t%Cols.
	Rows, Cols int
	// NeuronsPerTile (N) is the number of neuron slots of a tile and the number of rows
	// of its crossbar.
	NeuronsPerTile int
	// InputsPerNeuron (F) is the number of columns of a tile's crossbar: how many source
	// neurons one crossbar row can read.
	InputsPerNeuron int
	// MaxContexts is the largest number of contexts (C) the context memory holds.
	MaxContexts int

	// Formats declares every variable's format, rounding and overflow; it starts as
	// fixedpoint.DefaultTable() and may be overridden entry by entry (Validate checks
	// what the chip's datapath needs of each).
	Formats fixedpoint.Table
	// LUTSegments is the number of segments of every table nonlinearity unit (φ, φ′,
	// exp); 0 keeps fixedpoint's per-unit defaults.
	LUTSegments int
	// ErrorBus is how ĕ is scaled onto the int16 error bus: ErrorBusBlock (the zero
	// value, the default) gives every population one exponent per step, shared by its
	// neurons and contexts; ErrorBusStatic keeps the fixed err_bus format (see
	// docs/chip.md, "The error bus").
	ErrorBus ErrorBusMode

	// MACUnits is the number of multiply-accumulate units of a tile (one MAC per unit
	// and cycle), shared by the forward read, the transposed read and the gradient.
	MACUnits int
	// NeuronCycles is the number of cycles the neuron unit spends on one neuron of one
	// context (error neuron, membrane, φ, φ′); the unit is pipelined, one per tile.
	NeuronCycles int
	// DividerCycles is the latency of the exact divider that recomputes τ-derived
	// constants (only charged while τm learns).
	DividerCycles int
	// LinkBits is the number of bits a link between neighbouring tiles carries per
	// cycle, in each direction.
	LinkBits int
	// ClockHz is the clock frequency.
	ClockHz float64
	// Energy is the per-operation energy table of the cost model.
	Energy Energy

	// Analog holds the die's non-idealities; the zero value is an ideal chip.
	Analog Analog
}

// ErrorBusMode is how each step's ĕ (e_breve) is scaled onto the int16 error bus that
// the transposed crossbar reads and learning multiplies.
type ErrorBusMode uint8

const (
	// ErrorBusBlock is block floating point: at every step, each population's ĕ goes
	// onto the bus shifted right by one exponent s_t shared by all its neurons and
	// contexts, the smallest in 0 … width(e_breve) − width(err_bus) with every |ĕ|>>s_t
	// within the bus; everything reading the bus uses that step's scale.
	ErrorBusBlock ErrorBusMode = iota
	// ErrorBusStatic rounds ĕ onto the bus at the fixed err_bus format (the population's
	// ErrorExp its only scale): the chip before the block bus, bit for bit.
	ErrorBusStatic
)

func (m ErrorBusMode) String() string {
	switch m {
	case ErrorBusBlock:
		return "block"
	case ErrorBusStatic:
		return "static"
	}
	return fmt.Sprintf("ErrorBusMode(%d)", uint8(m))
}

// ParseErrorBusMode is String's inverse: "block" or "static".
func ParseErrorBusMode(name string) (ErrorBusMode, error) {
	for _, m := range []ErrorBusMode{ErrorBusBlock, ErrorBusStatic} {
		if name == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("chip: unknown error bus %q; use block or static", name)
}

// Energy is the cost model's energy per operation, in picojoules. The default values are
// illustrative figures for a 16-bit mixed-signal design; replace them with a process's
// own.
type Energy struct {
	PJPerMAC          float64 // one crossbar multiply-accumulate (forward, transposed or gradient)
	PJPerSRAMRead     float64 // one 16-bit word read from a tile's SRAM (state, weights, moments)
	PJPerSRAMWrite    float64 // one 16-bit word written
	PJPerHop          float64 // one 16-bit word over one link
	PJPerNeuronUpdate float64 // one neuron of one context through the neuron unit
	PJPerDivide       float64 // one exact division (τ-derived constants)
}

// Analog describes a die's deviations from the ideal dynamics. Every field's zero value
// switches its effect off. Every draw comes from the counter-based generator keyed by
// Seed and by the neuron, synapse, step and context it belongs to (see docs/chip.md).
type Analog struct {
	// Seed keys the mismatch and noise draws of this die; 0 uses the program's seed.
	Seed uint64
	// TauMSigma and TauRSigma are the relative standard deviations of the frozen
	// per-neuron mismatch of τm and τr (0.05 means ±5 %).
	TauMSigma, TauRSigma float64
	// GainSigma is the relative standard deviation of the φ unit's input gain;
	// OffsetSigma the standard deviation of its input offset, in units of ŭ.
	GainSigma, OffsetSigma float64
	// WeightWriteSigma is the standard deviation of a crossbar write's error, in LSBs of
	// the crossbar format w.
	WeightWriteSigma float64
	// UNoiseSigma is the standard deviation of the temporal noise added to u at every
	// step, in units of u.
	UNoiseSigma float64
	// WeightBits limits the crossbar cells' resolution to this many bits (the low bits of
	// w are rounded away); 0 keeps the full width of w.
	WeightBits int
}

// On reports whether any non-ideality is switched on.
func (a Analog) On() bool {
	return a.TauMSigma != 0 || a.TauRSigma != 0 || a.GainSigma != 0 || a.OffsetSigma != 0 ||
		a.WeightWriteSigma != 0 || a.UNoiseSigma != 0 || a.WeightBits != 0
}

// DefaultConfig returns the reference chip: a 4×4 mesh of tiles with 256 neurons and 256
// inputs per neuron, up to 256 contexts, fixedpoint.DefaultTable's formats, 64 MAC units
// per tile, 32-bit links, a 200 MHz clock and an ideal analog core.
func DefaultConfig() Config {
	return Config{
		Rows: 4, Cols: 4,
		NeuronsPerTile:  256,
		InputsPerNeuron: 256,
		MaxContexts:     256,
		Formats:         fixedpoint.DefaultTable(),
		MACUnits:        64,
		NeuronCycles:    4,
		DividerCycles:   34,
		LinkBits:        32,
		ClockHz:         200e6,
		Energy: Energy{
			PJPerMAC:          0.05,
			PJPerSRAMRead:     0.6,
			PJPerSRAMWrite:    0.9,
			PJPerHop:          1.2,
			PJPerNeuronUpdate: 2.5,
			PJPerDivide:       3,
		},
	}
}

// Tiles is the number of tiles, Rows·Cols.
func (c *Config) Tiles() int { return c.Rows * c.Cols }

// Limits of a Config.
const (
	MaxMeshSide      = 64      // rows or columns of tiles
	MaxTileSize      = 1 << 16 // neurons per tile or inputs per neuron
	MaxContextsLimit = 1 << 15 // contexts
)

// The variables the chip's datapath reads from Config.Formats; Validate requires each.
var requiredVars = []string{
	"w", "w_mem", "b", "mac", "mac_t",
	"u", "u_breve", "v", "e_breve", "inst_e", "eps_in",
	"phi_in", "r", "r_prime", "rate_bus", "err_bus",
	"dt_tau_m", "dt_tau_r", "tau_r_tau_m", "tau_m_tau_r", "tau_m",
	"exp_in", "exp_out",
	"grad", "adam_m", "adam_v", "lr", "gamma", "beta", "adam_eps", "decay",
	"trim_tau", "trim_offset",
}

// formatRule is what the datapath needs of one variable's format.
type formatRule struct {
	signed   int // 1 signed, −1 unsigned, 0 either
	maxWidth int
	holdsOne bool   // must represent 1 exactly (at least one integer bit)
	why      string // what breaks otherwise
}

var formatRules = map[string]formatRule{
	"w":           {1, 16, false, "the crossbar kernels multiply int16 cells"},
	"rate_bus":    {1, 16, false, "the forward crossbar reads int16 rates"},
	"err_bus":     {1, 16, false, "the transposed crossbar reads int16 errors"},
	"mac":         {1, 32, false, "the forward accumulator is the kernels' int32"},
	"mac_t":       {1, 32, false, "the transposed accumulator is the kernels' int32"},
	"w_mem":       {1, 48, false, "weight memory words are at most 48 bits"},
	"b":           {1, 32, false, "the neuron datapath is 32 bits wide"},
	"u":           {1, 32, false, "the neuron datapath is 32 bits wide"},
	"u_breve":     {1, 32, false, "the neuron datapath is 32 bits wide"},
	"v":           {1, 32, false, "the neuron datapath is 32 bits wide"},
	"e_breve":     {1, 32, false, "the neuron datapath is 32 bits wide"},
	"inst_e":      {1, 32, false, "the neuron datapath is 32 bits wide"},
	"eps_in":      {1, 32, false, "the neuron datapath is 32 bits wide"},
	"grad":        {1, 32, false, "gradients are 32-bit words"},
	"adam_m":      {1, 32, false, "first moments are 32-bit words"},
	"adam_v":      {-1, 56, false, "second moments are unsigned words of at most 56 bits"},
	"phi_in":      {1, 24, false, "the φ units read at most 24-bit inputs"},
	"r":           {1, 16, false, "rates are 16-bit words"},
	"r_prime":     {0, 17, true, "φ′ of the linear and piecewise-linear units is 1"},
	"dt_tau_m":    {-1, 24, true, "τm = dt gives dt/τm = 1"},
	"dt_tau_r":    {-1, 24, true, "τr = dt (a leaky integrator) gives dt/τr = 1"},
	"tau_r_tau_m": {-1, 24, true, "τr = τm (an instantaneous unit) gives τr/τm = 1"},
	"tau_m_tau_r": {-1, 24, true, "τr = τm gives τm/τr = 1"},
	"tau_m":       {-1, 26, true, "τ is held in units of dt and τ = dt is 1"},
	"exp_in":      {1, 24, false, "the exp unit reads at most 24-bit inputs"},
	"exp_out":     {-1, 17, true, "exp(0) = 1"},
	"lr":          {-1, 32, false, "registers are at most 32 bits"},
	"gamma":       {1, 24, false, "γ multiplies 32-bit errors within 64 bits"},
	"beta":        {-1, 24, false, "β multiplies errors within 64 bits"},
	"adam_eps":    {-1, 32, false, "registers are at most 32 bits"},
	"decay":       {-1, 33, true, "decay registers and β powers start at 1"},
	"trim_tau":    {1, 16, false, "trim registers are at most 16 bits"},
	"trim_offset": {1, 24, false, "the offset trim is added at the φ unit's input"},
}

// Validate reports the first problem of c with a message that says what to change.
func (c *Config) Validate() error {
	switch {
	case c.Rows < 1 || c.Cols < 1:
		return fmt.Errorf("chip: config: mesh of %d×%d tiles; give it at least 1 row and 1 column", c.Rows, c.Cols)
	case c.Rows > MaxMeshSide || c.Cols > MaxMeshSide:
		return fmt.Errorf("chip: config: mesh of %d×%d tiles; at most %d rows and %d columns are supported", c.Rows, c.Cols, MaxMeshSide, MaxMeshSide)
	case c.NeuronsPerTile < 1:
		return fmt.Errorf("chip: config: %d neurons per tile; give every tile at least 1 neuron slot (default 256)", c.NeuronsPerTile)
	case c.InputsPerNeuron < 1:
		return fmt.Errorf("chip: config: %d inputs per neuron; give every crossbar at least 1 column (default 256)", c.InputsPerNeuron)
	case c.NeuronsPerTile > MaxTileSize || c.InputsPerNeuron > MaxTileSize:
		return fmt.Errorf("chip: config: tiles of %d neurons × %d inputs; at most %d of each are supported", c.NeuronsPerTile, c.InputsPerNeuron, MaxTileSize)
	case c.MaxContexts < 1 || c.MaxContexts > MaxContextsLimit:
		return fmt.Errorf("chip: config: %d contexts; the context memory holds 1 to %d", c.MaxContexts, MaxContextsLimit)
	case c.LUTSegments != 0 && (c.LUTSegments < 2 || c.LUTSegments > 1<<20 || c.LUTSegments&(c.LUTSegments-1) != 0):
		return fmt.Errorf("chip: config: %d LUT segments; use a power of two from 2 to 1048576, or 0 for the defaults", c.LUTSegments)
	case c.ErrorBus > ErrorBusStatic:
		return fmt.Errorf("chip: config: error bus mode %d; use ErrorBusBlock (0) or ErrorBusStatic (1)", c.ErrorBus)
	case c.MACUnits < 1:
		return fmt.Errorf("chip: config: %d MAC units per tile; a tile needs at least 1", c.MACUnits)
	case c.NeuronCycles < 1:
		return fmt.Errorf("chip: config: %d cycles per neuron update; use at least 1", c.NeuronCycles)
	case c.DividerCycles < 1:
		return fmt.Errorf("chip: config: %d divider cycles; use at least 1", c.DividerCycles)
	case c.LinkBits < 1:
		return fmt.Errorf("chip: config: links of %d bits per cycle; use at least 1", c.LinkBits)
	case !(c.ClockHz > 0) || math.IsInf(c.ClockHz, 0):
		return fmt.Errorf("chip: config: clock of %g Hz; give a positive, finite frequency", c.ClockHz)
	}
	if err := c.Energy.validate(); err != nil {
		return err
	}
	if err := c.Analog.validate(c); err != nil {
		return err
	}
	return c.validateFormats()
}

func (e *Energy) validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"PJPerMAC", e.PJPerMAC}, {"PJPerSRAMRead", e.PJPerSRAMRead}, {"PJPerSRAMWrite", e.PJPerSRAMWrite},
		{"PJPerHop", e.PJPerHop}, {"PJPerNeuronUpdate", e.PJPerNeuronUpdate}, {"PJPerDivide", e.PJPerDivide}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return fmt.Errorf("chip: config: energy %s = %g pJ; use a finite value ≥ 0", f.name, f.v)
		}
	}
	return nil
}

func (a *Analog) validate(c *Config) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"TauMSigma", a.TauMSigma}, {"TauRSigma", a.TauRSigma}, {"GainSigma", a.GainSigma}, {"OffsetSigma", a.OffsetSigma},
		{"WeightWriteSigma", a.WeightWriteSigma}, {"UNoiseSigma", a.UNoiseSigma}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return fmt.Errorf("chip: config: analog %s = %g; use a finite value ≥ 0", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"TauMSigma", a.TauMSigma}, {"TauRSigma", a.TauRSigma}, {"GainSigma", a.GainSigma}} {
		if f.v > 0.25 {
			return fmt.Errorf("chip: config: analog %s = %g; relative mismatch above 0.25 can make a time constant or gain negative, use at most 0.25", f.name, f.v)
		}
	}
	if a.WeightBits != 0 {
		if w, ok := c.Formats.Lookup("w"); ok && (a.WeightBits < 2 || a.WeightBits > w.Format.Width()) {
			return fmt.Errorf("chip: config: analog WeightBits = %d; use 2 to %d (the width of w), or 0 for full resolution", a.WeightBits, w.Format.Width())
		}
	}
	return nil
}

// errFormats wraps every format problem, so callers can tell them apart.
var errFormats = errors.New("chip: config: formats")

func (c *Config) validateFormats() error {
	if len(c.Formats) == 0 {
		return fmt.Errorf("%w: the table is empty; start from fixedpoint.DefaultTable()", errFormats)
	}
	if err := c.Formats.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errFormats, err)
	}
	for _, name := range requiredVars {
		v, ok := c.Formats.Lookup(name)
		if !ok {
			return fmt.Errorf("%w: the table has no %q; add it (fixedpoint.DefaultTable() has every variable the chip needs)", errFormats, name)
		}
		r := formatRules[name]
		f := v.Format
		switch {
		case r.signed == 1 && !f.Signed:
			return fmt.Errorf("%w: %s is %s, unsigned; it holds negative values, use a signed (Q) format", errFormats, name, f)
		case r.signed == -1 && f.Signed:
			return fmt.Errorf("%w: %s is %s, signed; use an unsigned (UQ) format", errFormats, name, f)
		case f.Width() > r.maxWidth:
			return fmt.Errorf("%w: %s is %s, %d bits wide; at most %d fit because %s", errFormats, name, f, f.Width(), r.maxWidth, r.why)
		case r.holdsOne && f.Int < 1:
			return fmt.Errorf("%w: %s is %s and cannot hold 1; give it at least 1 integer bit, because %s", errFormats, name, f, r.why)
		}
	}
	get := func(name string) fixedpoint.Var { v, _ := c.Formats.Lookup(name); return v }
	w, wm := get("w"), get("w_mem")
	for _, acc := range []struct{ name, in string }{{"mac", "rate_bus"}, {"mac_t", "err_bus"}} {
		a, in := get(acc.name), get(acc.in)
		if a.Overflow != fixedpoint.Wrap {
			return fmt.Errorf("%w: %s must wrap (overflow \"wrap\"): partial sums are combined in wrapping arithmetic so that placement cannot change a result", errFormats, acc.name)
		}
		if a.Format.Frac != w.Format.Frac+in.Format.Frac {
			return fmt.Errorf("%w: %s has %d fraction bits; w × %s products have %d, make them equal", errFormats, acc.name, a.Format.Frac, acc.in, w.Format.Frac+in.Format.Frac)
		}
	}
	if wm.Format.Frac < w.Format.Frac || wm.Format.Int < w.Format.Int {
		return fmt.Errorf("%w: w_mem %s is narrower than the crossbar cells w %s; the weight memory must hold every cell value", errFormats, wm.Format, w.Format)
	}
	if v := get("adam_v"); v.Format.Frac%2 != 0 {
		return fmt.Errorf("%w: adam_v %s has an odd number of fraction bits; √v needs an even number", errFormats, v.Format)
	}
	if t := get("tau_m"); t.Format.Int < 1 {
		return fmt.Errorf("%w: tau_m %s cannot hold τ = dt", errFormats, t.Format)
	}
	if d := get("decay"); d.Format.Frac < 16 {
		return fmt.Errorf("%w: decay %s has %d fraction bits; Adam's β2 = 0.999 needs at least 16", errFormats, d.Format, d.Format.Frac)
	}
	return nil
}

// formatOf returns the Var called name; Validate guarantees it exists.
func (c *Config) formatOf(name string) fixedpoint.Var {
	v, ok := c.Formats.Lookup(name)
	if !ok {
		panic("chip: no format " + name + " (Config not validated)")
	}
	return v
}
