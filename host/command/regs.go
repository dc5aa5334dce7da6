package command

import (
	"encoding/binary"
	"fmt"

	"github.com/glemu/glemu/chip"
)

// Reg names a register of READ_REG and WRITE_REG.
type Reg uint8

const (
	// RegSteps: u64, the chip's step count (read only).
	RegSteps Reg = 0x01
	// RegLearning: u8, 1 while learning is on (read only; SET_LEARNING switches it).
	RegLearning Reg = 0x02
	// RegShape: the loaded program's Shape (read only).
	RegShape Reg = 0x03
	// RegLearningRegs: the learning registers, chip.Learning (read and write).
	RegLearningRegs Reg = 0x10
	// RegHealth: the chip's health report, text (read only).
	RegHealth Reg = 0x20
	// RegCost: the chip's cost per step, chip.Cost (read only).
	RegCost Reg = 0x21
)

var regNames = map[Reg]string{RegSteps: "STEPS", RegLearning: "LEARNING", RegShape: "SHAPE", RegLearningRegs: "LEARNING_REGS", RegHealth: "HEALTH", RegCost: "COST"}

func (g Reg) String() string {
	if n, ok := regNames[g]; ok {
		return n
	}
	return fmt.Sprintf("REG(0x%02x)", uint8(g))
}

// Known reports whether g is a register of this command set.
func (g Reg) Known() bool { _, ok := regNames[g]; return ok }

// RegValue is the value of one register; the field named by Reg is set.
type RegValue struct {
	Reg      Reg
	Steps    uint64
	Learning bool
	Shape    Shape
	Learn    chip.Learning
	Text     string
	Cost     chip.Cost
}

// AppendReadReg appends a READ_REG payload: the registers' ids.
func AppendReadReg(dst []byte, regs ...Reg) []byte {
	for _, g := range regs {
		dst = append(dst, byte(g))
	}
	return dst
}

// ParseReadReg decodes a READ_REG payload.
func ParseReadReg(b []byte) ([]Reg, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: READ_REG: no register named", ErrMalformed)
	}
	out := make([]Reg, len(b))
	for i, c := range b {
		out[i] = Reg(c)
		if !out[i].Known() {
			return nil, fmt.Errorf("%w: READ_REG: byte %d: unknown register 0x%02x", ErrMalformed, i, c)
		}
	}
	return out, nil
}

// AppendRegValue appends the value of v.Reg.
func AppendRegValue(dst []byte, v RegValue) []byte {
	switch v.Reg {
	case RegSteps:
		return appendU64(dst, v.Steps)
	case RegLearning:
		if v.Learning {
			return append(dst, 1)
		}
		return append(dst, 0)
	case RegShape:
		return AppendShape(dst, v.Shape)
	case RegLearningRegs:
		return AppendLearning(dst, v.Learn)
	case RegHealth:
		return appendStr(dst, v.Text)
	case RegCost:
		return AppendCost(dst, v.Cost)
	}
	return dst
}

func (r *reader) regValue(g Reg) RegValue {
	v := RegValue{Reg: g}
	switch g {
	case RegSteps:
		v.Steps = r.u64("steps")
	case RegLearning:
		v.Learning = r.bool("learning")
	case RegShape:
		v.Shape = r.shape()
	case RegLearningRegs:
		v.Learn = r.learning()
	case RegHealth:
		v.Text = r.str("health")
	case RegCost:
		v.Cost = r.cost()
	default:
		r.fail("unknown register 0x%02x", uint8(g))
	}
	return v
}

// ParseRegValues decodes a READ_REG result for the registers regs.
func ParseRegValues(b []byte, regs []Reg) ([]RegValue, error) {
	r := newReader("READ_REG result", b)
	out := make([]RegValue, len(regs))
	for i, g := range regs {
		out[i] = r.regValue(g)
	}
	return out, r.done()
}

// AppendWriteReg appends a WRITE_REG payload: the register's id and its value.
func AppendWriteReg(dst []byte, v RegValue) []byte {
	dst = append(dst, byte(v.Reg))
	return AppendRegValue(dst, v)
}

// ParseWriteReg decodes a WRITE_REG payload.
func ParseWriteReg(b []byte) (RegValue, error) {
	r := newReader("WRITE_REG", b)
	g := Reg(r.u8("register"))
	if r.err == nil && !g.Known() {
		r.off--
		r.fail("unknown register 0x%02x", uint8(g))
	}
	v := r.regValue(g)
	return v, r.done()
}

func (r *reader) bool(field string) bool {
	switch c := r.u8(field); c {
	case 0:
		return false
	case 1:
		return true
	default:
		r.off--
		r.fail("%s is %d, want 0 or 1", field, c)
		return false
	}
}

// AppendLearning appends the learning registers: optimizer (u8); for weights, biases
// and τm: on (u8), lr (i64 raw, i32 exp), ε (i64, i32); momentum, β1, β2, τm clamp (i64).
func AppendLearning(dst []byte, l chip.Learning) []byte {
	dst = append(dst, byte(l.Optimizer))
	for _, p := range []chip.ParamLearning{l.Weights, l.Biases, l.TauM} {
		on := byte(0)
		if p.On {
			on = 1
		}
		dst = append(dst, on)
		dst = appendReg(dst, p.LR)
		dst = appendReg(dst, p.Eps)
	}
	for _, x := range []int64{l.Momentum, l.Beta1, l.Beta2, l.TauMMin} {
		dst = appendU64(dst, uint64(x))
	}
	return dst
}

// LearningLen is the size of encoded learning registers.
const LearningLen = 1 + 3*(1+12+12) + 4*8

func appendReg(dst []byte, g chip.Reg) []byte {
	dst = appendU64(dst, uint64(g.Raw))
	return appendU32(dst, uint32(int32(g.Exp)))
}

func (r *reader) reg(field string) chip.Reg {
	return chip.Reg{Raw: int64(r.u64(field)), Exp: int(int32(r.u32(field + " exponent")))}
}

func (r *reader) learning() chip.Learning {
	l := chip.Learning{Optimizer: chip.OptimizerKind(r.u8("optimizer"))}
	for _, p := range []*chip.ParamLearning{&l.Weights, &l.Biases, &l.TauM} {
		p.On = r.bool("on")
		p.LR = r.reg("lr")
		p.Eps = r.reg("eps")
	}
	for _, x := range []*int64{&l.Momentum, &l.Beta1, &l.Beta2, &l.TauMMin} {
		*x = int64(r.u64("decay"))
	}
	return l
}

// ParseLearning decodes learning registers.
func ParseLearning(b []byte) (chip.Learning, error) {
	r := newReader("learning registers", b)
	l := r.learning()
	return l, r.done()
}

// AppendCounters appends the chip's counters: steps; the host's saturations; the
// total; every tile's counters; every link's four words counts. Integers are uvarints,
// tile numbers zigzag varints; a counter set is its tile, its variables with events
// (name, saturations, wraps) and its nine activity counts.
func AppendCounters(dst []byte, c chip.Counters) []byte {
	dst = binary.AppendUvarint(dst, c.Steps)
	dst = appendVarCount(dst, c.Host)
	dst = appendTileCounters(dst, c.Total)
	dst = binary.AppendUvarint(dst, uint64(len(c.Tiles)))
	for _, t := range c.Tiles {
		dst = appendTileCounters(dst, t)
	}
	dst = binary.AppendUvarint(dst, uint64(len(c.Links)))
	for _, l := range c.Links {
		for _, x := range l {
			dst = binary.AppendUvarint(dst, x)
		}
	}
	return dst
}

func appendVarCount(dst []byte, v chip.VarCount) []byte {
	dst = appendStr8(dst, v.Var)
	dst = binary.AppendUvarint(dst, v.Saturations)
	return binary.AppendUvarint(dst, v.Wraps)
}

func (r *reader) varCount() chip.VarCount {
	return chip.VarCount{Var: r.str8("variable"), Saturations: r.uvarint("saturations"), Wraps: r.uvarint("wraps")}
}

func appendTileCounters(dst []byte, t chip.TileCounters) []byte {
	dst = binary.AppendVarint(dst, int64(t.Tile))
	dst = binary.AppendUvarint(dst, uint64(len(t.Vars)))
	for _, v := range t.Vars {
		dst = appendVarCount(dst, v)
	}
	for _, x := range []uint64{t.WeightClips, t.MACs, t.NeuronUpdates, t.Divides, t.SRAMReads, t.SRAMWrites, t.WordsSent, t.BusyCycles, t.StalledCycles} {
		dst = binary.AppendUvarint(dst, x)
	}
	return dst
}

func (r *reader) tileCounters() chip.TileCounters {
	t := chip.TileCounters{Tile: int(r.varint("tile"))}
	n := r.count("variables", 3)
	for range n {
		t.Vars = append(t.Vars, r.varCount())
	}
	for _, x := range []*uint64{&t.WeightClips, &t.MACs, &t.NeuronUpdates, &t.Divides, &t.SRAMReads, &t.SRAMWrites, &t.WordsSent, &t.BusyCycles, &t.StalledCycles} {
		*x = r.uvarint("count")
	}
	return t
}

// ParseCounters decodes counters written by AppendCounters. Empty lists decode as nil,
// as the chip returns them.
func ParseCounters(b []byte) (chip.Counters, error) {
	r := newReader("counters", b)
	c := chip.Counters{Steps: r.uvarint("steps"), Host: r.varCount(), Total: r.tileCounters()}
	n := r.count("tiles", 11)
	for range n {
		c.Tiles = append(c.Tiles, r.tileCounters())
	}
	n = r.count("links", 4)
	for range n {
		var l [4]uint64
		for d := range l {
			l[d] = r.uvarint("link words")
		}
		c.Links = append(c.Links, l)
	}
	return c, r.done()
}

// AppendCost appends the chip's cost per step: per tile its phases and counts
// (uvarints), then the critical tile, cycles per step, the step rate (f64), synaptic
// operations, the energy and its parts (f64) and the hop words.
func AppendCost(dst []byte, c chip.Cost) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(c.Tiles)))
	for _, t := range c.Tiles {
		dst = binary.AppendVarint(dst, int64(t.Tile))
		for _, x := range []uint64{t.Forward, t.Neurons, t.Backward, t.Learning, t.Link, t.Cycles, t.MACs, t.NeuronUpdates, t.SRAMReads, t.SRAMWrites, t.WordsSent} {
			dst = binary.AppendUvarint(dst, x)
		}
	}
	dst = binary.AppendVarint(dst, int64(c.CriticalTile))
	dst = binary.AppendUvarint(dst, c.CyclesPerStep)
	dst = appendF64(dst, c.MaxStepRate)
	dst = binary.AppendUvarint(dst, c.SynapticOps)
	for _, x := range []float64{c.EnergyPJ, c.MACPJ, c.SRAMPJ, c.LinkPJ, c.NeuronPJ, c.DividePJ} {
		dst = appendF64(dst, x)
	}
	return binary.AppendUvarint(dst, c.HopWords)
}

func (r *reader) cost() chip.Cost {
	var c chip.Cost
	n := r.count("tiles", 12)
	for range n {
		t := chip.TileCost{Tile: int(r.varint("tile"))}
		for _, x := range []*uint64{&t.Forward, &t.Neurons, &t.Backward, &t.Learning, &t.Link, &t.Cycles, &t.MACs, &t.NeuronUpdates, &t.SRAMReads, &t.SRAMWrites, &t.WordsSent} {
			*x = r.uvarint("count")
		}
		c.Tiles = append(c.Tiles, t)
	}
	c.CriticalTile = int(r.varint("critical tile"))
	c.CyclesPerStep = r.uvarint("cycles per step")
	c.MaxStepRate = r.f64("step rate")
	c.SynapticOps = r.uvarint("synaptic ops")
	for _, x := range []*float64{&c.EnergyPJ, &c.MACPJ, &c.SRAMPJ, &c.LinkPJ, &c.NeuronPJ, &c.DividePJ} {
		*x = r.f64("energy")
	}
	c.HopWords = r.uvarint("hop words")
	return c
}

// AppendCountersRequest appends a READ_COUNTERS payload; reset clears the counters
// (not the step count) after they are read.
func AppendCountersRequest(dst []byte, reset bool) []byte {
	if reset {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// ParseCountersRequest decodes a READ_COUNTERS payload.
func ParseCountersRequest(b []byte) (reset bool, err error) {
	r := newReader("READ_COUNTERS", b)
	reset = r.bool("reset")
	return reset, r.done()
}

// ParseFlag decodes a one-byte 0/1 payload (SET_LEARNING, RESET, the LEARNING result).
func ParseFlag(what string, b []byte) (bool, error) {
	r := newReader(what, b)
	on := r.bool("flag")
	return on, r.done()
}

// AppendFlag appends a one-byte 0/1 payload.
func AppendFlag(dst []byte, on bool) []byte {
	if on {
		return append(dst, 1)
	}
	return append(dst, 0)
}
