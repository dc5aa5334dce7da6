package image

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"slices"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
)

// AppendImage appends the image of p to dst and returns the extended slice. p must pass
// p.Validate(); an invalid program is refused with an error matching ErrInvalid and the
// chip's own error, and dst is returned unchanged (up to its length). The encoding is
// canonical: equal programs give equal bytes. AppendImage does not modify p.
func AppendImage(dst []byte, p *chip.Program) ([]byte, error) {
	if p == nil {
		return dst, encodeError(nil, "no program (nil)")
	}
	if err := p.Validate(); err != nil {
		return dst, encodeError(err, "cannot encode the program: %v", err)
	}
	start := len(dst)
	e := enc{b: slices.Grow(dst, sizeHint(p))}
	e.b = append(e.b, make([]byte, HeaderSize)...)
	e.sections(p)
	if e.err != nil {
		return dst[:start], e.err
	}
	h := Header{
		Major:    FormatVersion,
		Minor:    FormatMinor,
		Length:   uint64(len(e.b) - start),
		Sections: uint32(e.count),
		BodyCRC:  crc32.ChecksumIEEE(e.b[start+HeaderSize:]),
	}
	if p.Config.ErrorBus == chip.ErrorBusStatic {
		h.Flags |= FlagStaticErrorBus
	}
	appendHeader(e.b[:start], h)
	return e.b, nil
}

// sizeHint estimates the image's length, so that the bulk (weights, neurons) is
// appended without regrowing.
func sizeHint(p *chip.Program) int {
	kw := packWidth(formatOf(&p.Config, "w_mem"))
	n := 4096 + 64*len(p.Populations) + 16*len(p.Projections) + 50*len(p.Config.Formats)
	for _, q := range p.Populations {
		n += len(q.Name) + q.Size*8
	}
	for _, t := range p.Tiles {
		n += 3*sectionOverhead + 8*len(t.Slots) + 24*len(t.Routes)
		for _, b := range t.Blocks {
			n += 32 + len(b.W)*kw
		}
	}
	return n
}

// packWidth is the number of bytes a raw value of format f occupies in the image: the
// fewest whole bytes holding its Width bits.
func packWidth(f fixedpoint.Format) int { return (f.Width() + 7) / 8 }

// formatOf returns the format called name; Config.Validate guarantees it exists.
func formatOf(c *chip.Config, name string) fixedpoint.Format {
	v, _ := c.Formats.Lookup(name)
	return v.Format
}

// enc appends fields little-endian; the first error sticks.
type enc struct {
	b     []byte
	err   error
	count int // sections written
}

func (e *enc) failf(format string, args ...any) {
	if e.err == nil {
		e.err = encodeError(nil, format, args...)
	}
}

// encodeError is an ErrInvalid for a program the encoder refuses; its message says what
// to change in the program (no "recompile" advice: the caller built the program).
func encodeError(cause error, format string, args ...any) error {
	return &kindError{msg: "image: " + fmt.Sprintf(format, args...), kind: ErrInvalid, cause: cause}
}

func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) u16(v uint16) { e.b = binary.LittleEndian.AppendUint16(e.b, v) }
func (e *enc) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *enc) i64(v int64)  { e.u64(uint64(v)) }
func (e *enc) f64(v float64) {
	e.u64(math.Float64bits(v))
}

func (e *enc) bool(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

// u32 appends a count or index; what names it in the error if it does not fit.
func (e *enc) u32(v int, what string) {
	if v < 0 || v > math.MaxUint32 {
		e.failf("%s = %d does not fit the image's 32-bit unsigned field; use a smaller value", what, v)
	}
	e.b = binary.LittleEndian.AppendUint32(e.b, uint32(v))
}

// i32 appends an exponent or an index that may be negative.
func (e *enc) i32(v int, what string) {
	if v < math.MinInt32 || v > math.MaxInt32 {
		e.failf("%s = %d does not fit the image's 32-bit signed field; use a smaller value", what, v)
	}
	e.b = binary.LittleEndian.AppendUint32(e.b, uint32(int32(v)))
}

func (e *enc) str(s, what string) {
	if len(s) > math.MaxUint16 {
		e.failf("%s is %d bytes long; the image holds at most %d, shorten it", what, len(s), math.MaxUint16)
	}
	e.u16(uint16(len(s)))
	e.b = append(e.b, s...)
}

func (e *enc) reg(r chip.Reg, what string) {
	e.i64(r.Raw)
	e.i32(r.Exp, what)
}

// packed appends vs, k bytes each (the low k bytes of each value's two's complement).
func (e *enc) packed(vs []int64, k int) {
	n := len(e.b)
	e.b = slices.Grow(e.b, len(vs)*k)[:n+len(vs)*k]
	dst := e.b[n:]
	le := binary.LittleEndian
	switch k {
	case 2:
		for i, v := range vs {
			le.PutUint16(dst[2*i:], uint16(v))
		}
	case 4:
		for i, v := range vs {
			le.PutUint32(dst[4*i:], uint32(v))
		}
	default:
		for i, v := range vs {
			for j := range k {
				dst[i*k+j] = byte(v >> (8 * j))
			}
		}
	}
}

// begin starts a section and returns its offset; end finishes it.
func (e *enc) begin(t SectionType) int {
	at := len(e.b)
	e.u16(uint16(t))
	e.u16(0)
	e.b = binary.LittleEndian.AppendUint32(e.b, 0)
	return at
}

func (e *enc) end(at int, t SectionType) {
	n := len(e.b) - at - sectionHead
	if n > math.MaxUint32 {
		e.failf("a %s section of %d bytes; the format holds at most %d bytes per section", t, n, uint32(math.MaxUint32))
	}
	binary.LittleEndian.PutUint32(e.b[at+4:], uint32(n))
	e.b = binary.LittleEndian.AppendUint32(e.b, crc32.ChecksumIEEE(e.b[at:]))
	e.count++
}

func (e *enc) sections(p *chip.Program) {
	c := &p.Config

	at := e.begin(SectionConfig)
	for _, f := range []struct {
		v    int
		what string
	}{{c.Rows, "Config.Rows"}, {c.Cols, "Config.Cols"}, {c.NeuronsPerTile, "Config.NeuronsPerTile"},
		{c.InputsPerNeuron, "Config.InputsPerNeuron"}, {c.MaxContexts, "Config.MaxContexts"},
		{c.LUTSegments, "Config.LUTSegments"}, {c.MACUnits, "Config.MACUnits"},
		{c.NeuronCycles, "Config.NeuronCycles"}, {c.DividerCycles, "Config.DividerCycles"},
		{c.LinkBits, "Config.LinkBits"}} {
		e.u32(f.v, f.what)
	}
	e.f64(c.ClockHz)
	en := &c.Energy
	for _, v := range []float64{en.PJPerMAC, en.PJPerSRAMRead, en.PJPerSRAMWrite, en.PJPerHop, en.PJPerNeuronUpdate, en.PJPerDivide} {
		e.f64(v)
	}
	a := &c.Analog
	e.u64(a.Seed)
	for _, v := range []float64{a.TauMSigma, a.TauRSigma, a.GainSigma, a.OffsetSigma, a.WeightWriteSigma, a.UNoiseSigma} {
		e.f64(v)
	}
	e.u32(a.WeightBits, "Config.Analog.WeightBits")
	e.end(at, SectionConfig)

	at = e.begin(SectionFormats)
	e.u32(len(c.Formats), "number of formats")
	for _, v := range c.Formats {
		e.str(v.Name, "a format's name")
		e.bool(v.Format.Signed)
		e.u8(uint8(v.Format.Int))
		e.u8(uint8(v.Format.Frac))
		e.u8(uint8(v.Rounding))
		e.u8(uint8(v.Overflow))
		e.str(v.Doc, "a format's doc")
	}
	e.end(at, SectionFormats)

	at = e.begin(SectionProgram)
	e.str(p.Name, "Program.Name")
	e.u64(p.Seed)
	e.f64(p.Dt)
	e.u32(p.Contexts, "Program.Contexts")
	e.u8(uint8(p.Errors))
	e.end(at, SectionProgram)

	at = e.begin(SectionPopulations)
	e.u32(len(p.Populations), "number of populations")
	for _, q := range p.Populations {
		e.str(q.Name, "a population's name")
		e.u32(q.Size, "a population's size")
		e.u8(uint8(q.Role))
		e.u8(uint8(q.Activation))
		e.bool(q.Bias)
		e.reg(q.Gamma, "γ exponent of a population")
		e.i32(q.RateExp, "RateExp")
		e.i32(q.StateExp, "StateExp")
		e.i32(q.ErrorExp, "ErrorExp")
		e.i32(q.BiasGradExp, "BiasGradExp")
		e.i32(q.TauGradExp, "TauGradExp")
	}
	e.end(at, SectionPopulations)

	at = e.begin(SectionProjections)
	e.u32(len(p.Projections), "number of projections")
	for _, pr := range p.Projections {
		e.u32(pr.Source, "Projection.Source")
		e.u32(pr.Target, "Projection.Target")
		e.i32(pr.WeightExp, "WeightExp")
		e.i32(pr.GradExp, "GradExp")
	}
	e.end(at, SectionProjections)

	at = e.begin(SectionLearning)
	e.u8(uint8(p.Loss.Kind))
	e.reg(p.Loss.Beta, "Loss.Beta exponent")
	l := &p.Learning
	e.u8(uint8(l.Optimizer))
	for _, pl := range []*chip.ParamLearning{&l.Weights, &l.Biases, &l.TauM} {
		e.bool(pl.On)
		e.reg(pl.LR, "learning-rate exponent")
		e.reg(pl.Eps, "Adam ε exponent")
	}
	e.i64(l.Momentum)
	e.i64(l.Beta1)
	e.i64(l.Beta2)
	e.i64(l.TauMMin)
	e.end(at, SectionLearning)

	kt, kb, kw := packWidth(formatOf(c, "tau_m")), packWidth(formatOf(c, "b")), packWidth(formatOf(c, "w_mem"))
	var one [1]int64
	for t := range p.Tiles {
		tl := &p.Tiles[t]

		at = e.begin(SectionNeurons)
		e.u32(t, "tile")
		e.u32(len(tl.Slots), "number of slots")
		for _, ref := range tl.Slots {
			e.u32(ref.Population, "NeuronRef.Population")
			e.u32(ref.Neuron, "NeuronRef.Neuron")
			q := &p.Populations[ref.Population]
			if q.Role != chip.RoleInput {
				one[0] = q.TauM[ref.Neuron]
				e.packed(one[:], kt)
				one[0] = q.TauR[ref.Neuron]
				e.packed(one[:], kt)
			}
			if q.Bias {
				one[0] = q.B[ref.Neuron]
				e.packed(one[:], kb)
			}
		}
		e.end(at, SectionNeurons)

		at = e.begin(SectionWeights)
		e.u32(t, "tile")
		e.u32(len(tl.Blocks), "number of blocks")
		for _, b := range tl.Blocks {
			e.u32(b.Projection, "Block.Projection")
			e.u32(b.Row0, "Block.Row0")
			e.u32(b.Rows, "Block.Rows")
			e.u32(b.Col0, "Block.Col0")
			e.u32(b.Cols, "Block.Cols")
			e.u32(b.CrossbarRow, "Block.CrossbarRow")
			e.u32(b.CrossbarCol, "Block.CrossbarCol")
			e.bool(b.Plastic)
			e.packed(b.W, kw)
		}
		e.end(at, SectionWeights)

		at = e.begin(SectionRoutes)
		e.u32(t, "tile")
		e.u32(len(tl.Routes), "number of routes")
		for ri, r := range tl.Routes {
			e.u8(uint8(r.Kind))
			if r.Population < math.MinInt32 || r.Population > math.MaxInt32 || r.Projection < math.MinInt32 || r.Projection > math.MaxInt32 {
				e.failf("tile %d route %d: population %d or projection %d (the one the route's kind ignores) does not fit the image's 32-bit field; set it to 0", t, ri, r.Population, r.Projection)
			}
			e.i32(r.Population, "Route.Population")
			e.i32(r.Projection, "Route.Projection")
			e.u32(r.Lo, "Route.Lo")
			e.u32(r.Hi, "Route.Hi")
			e.u32(r.To, "Route.To")
		}
		e.end(at, SectionRoutes)
		if e.err != nil {
			return
		}
	}
}
