package image

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"strconv"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
)

// Parse decodes the image at the start of buf and returns its program and the number of
// bytes the image occupies (the header's length; bytes after it are not read). It checks
// every CRC, bounds every count by the configuration and by the bytes present before
// allocating, skips section types of a newer minor revision, and passes the program
// through chip.Program.Validate. Errors match one of ErrNotImage, ErrTruncated,
// ErrCorrupt, ErrNewer or ErrInvalid and name the section and byte offset. Parse never
// panics and does not retain buf.
func Parse(buf []byte) (*chip.Program, int, error) {
	return decode(buf, nil)
}

func decode(buf []byte, ann *annotator) (*chip.Program, int, error) {
	h, err := ParseHeader(buf)
	if ann != nil && len(buf) >= HeaderSize && (err == nil || !isKind(err, ErrNotImage)) {
		ann.header(buf[:HeaderSize])
	}
	if err != nil {
		return nil, 0, err
	}
	if h.Length > uint64(len(buf)) {
		return nil, 0, newError(ErrTruncated, "the header gives %d bytes, only %d are present", h.Length, len(buf))
	}
	img := buf[:h.Length]
	d := dec{b: img, off: HeaderSize, idx: -1, ann: ann}
	s := state{p: new(chip.Program), sectionsLeft: int(h.Sections)}
	if h.Flags&FlagStaticErrorBus != 0 {
		s.p.Config.ErrorBus = chip.ErrorBusStatic
	}
	le := binary.LittleEndian
	for i := range int(h.Sections) {
		at := d.off
		d.idx, d.at, d.typ = i, at, 0
		if len(img)-at < sectionOverhead {
			return nil, 0, newError(ErrCorrupt, "section %d (offset %#x): %s left, a section takes at least %d", i, at, plural(len(img)-at, "byte"), sectionOverhead)
		}
		d.typ = SectionType(le.Uint16(img[at:]))
		n := le.Uint32(img[at+4:])
		if uint64(n) > uint64(len(img)-at-sectionOverhead) {
			return nil, 0, d.errorf(ErrCorrupt, "payload length %d runs past the end of the image (%s left)", n, plural(len(img)-at-sectionOverhead, "byte"))
		}
		end := at + sectionHead + int(n)
		got, want := crc32.ChecksumIEEE(img[at:end]), le.Uint32(img[end:])
		if ann != nil {
			ann.comment("section " + strconv.Itoa(i) + ": " + d.typ.String())
			ann.field(at, 2, "type", strconv.Itoa(int(d.typ))+" ("+d.typ.String()+")")
			ann.field(at+2, 2, "reserved", strconv.Itoa(int(le.Uint16(img[at+2:]))))
			ann.field(at+4, 4, "payload length", strconv.Itoa(int(n)))
		}
		if got != want {
			return nil, 0, d.errorf(ErrCorrupt, "crc mismatch (got 0x%08x, want 0x%08x)", got, want)
		}
		d.off, d.end = at+sectionHead, end
		s.sectionsLeft--
		if known(d.typ) {
			s.section(&d)
			if d.err == nil && d.off != d.end {
				d.failf(ErrCorrupt, "%s after the last field (at %#x)", plural(d.end-d.off, "unread byte"), d.off)
			}
			if d.err != nil {
				return nil, 0, d.err
			}
		} else if ann != nil {
			ann.field(d.off, end-d.off, "payload (unknown type, skipped)", "")
		}
		if ann != nil {
			ann.field(end, 4, "crc", hex32(want))
		}
		d.off = end + 4
	}
	if d.off != len(img) {
		return nil, 0, newError(ErrCorrupt, "%s after the last of the %d sections (offset %#x)", plural(len(img)-d.off, "byte"), h.Sections, d.off)
	}
	if got := crc32.ChecksumIEEE(img[HeaderSize:]); got != h.BodyCRC {
		return nil, 0, newError(ErrCorrupt, "body (offset %#x): crc mismatch (got 0x%08x, want 0x%08x)", HeaderSize, got, h.BodyCRC)
	}
	if err := s.finish(); err != nil {
		return nil, 0, err
	}
	if err := s.p.Validate(); err != nil {
		return nil, 0, wrapError(ErrInvalid, err, "the decoded program is invalid: %v", err)
	}
	return s.p, len(img), nil
}

func isKind(err, kind error) bool {
	e, ok := err.(*kindError)
	return ok && e.kind == kind
}

func known(t SectionType) bool {
	switch t {
	case SectionConfig, SectionFormats, SectionProgram, SectionPopulations, SectionProjections,
		SectionLearning, SectionNeurons, SectionWeights, SectionRoutes:
		return true
	}
	return false
}

// dec reads the fields of one section little-endian; the first error sticks and later
// reads return zero values.
type dec struct {
	b        []byte // the image
	off, end int    // next byte; end of the current payload
	err      error
	ann      *annotator // nil unless dumping
	// the current section, for errors
	idx int
	at  int
	typ SectionType
}

func (d *dec) errorf(kind error, format string, args ...any) error {
	pre := "section " + strconv.Itoa(d.idx) + " (" + d.typ.String() + ", offset 0x" + strconv.FormatInt(int64(d.at), 16) + "): "
	return newError(kind, "%s", pre+fmt.Sprintf(format, args...))
}

func (d *dec) failf(kind error, format string, args ...any) {
	if d.err == nil {
		d.err = d.errorf(kind, format, args...)
	}
}

// need reports whether n more bytes are in the payload, failing otherwise.
func (d *dec) need(n int, label string) bool {
	if d.err != nil {
		return false
	}
	if d.end-d.off < n {
		d.failf(ErrCorrupt, "%s at %#x needs %s, the payload has %d left", label, d.off, plural(n, "byte"), d.end-d.off)
		return false
	}
	return true
}

func (d *dec) note(n int, label, value string) {
	if d.ann != nil {
		d.ann.field(d.off, n, label, value)
	}
}

func (d *dec) u8(label string) uint8 {
	if !d.need(1, label) {
		return 0
	}
	v := d.b[d.off]
	if d.ann != nil {
		d.note(1, label, strconv.Itoa(int(v)))
	}
	d.off++
	return v
}

// enum reads a u8 code; Dump shows it with its name.
func (d *dec) enum(label string, name func(uint8) string) uint8 {
	if !d.need(1, label) {
		return 0
	}
	v := d.b[d.off]
	if d.ann != nil {
		d.note(1, label, strconv.Itoa(int(v))+" ("+name(v)+")")
	}
	d.off++
	return v
}

func (d *dec) bool(label string) bool {
	at := d.off
	v := d.enum(label, boolName)
	if v > 1 {
		d.failf(ErrCorrupt, "%s at %#x is %d; a flag byte is 0 or 1", label, at, v)
	}
	return v == 1
}

// The names Dump gives codes.
func boolName(v uint8) string {
	switch v {
	case 0:
		return "false"
	case 1:
		return "true"
	}
	return "invalid"
}

func roleName(v uint8) string      { return chip.Role(v).String() }
func funcName(v uint8) string      { return fixedpoint.Func(v).String() }
func roundingName(v uint8) string  { return fixedpoint.Rounding(v).String() }
func overflowName(v uint8) string  { return fixedpoint.Overflow(v).String() }
func lossName(v uint8) string      { return chip.LossKind(v).String() }
func optimizerName(v uint8) string { return chip.OptimizerKind(v).String() }
func routeKindName(v uint8) string { return chip.RouteKind(v).String() }
func errorModeName(v uint8) string {
	switch chip.ErrorMode(v) {
	case chip.ErrorsProspective:
		return "prospective"
	case chip.ErrorsInstantaneous:
		return "instantaneous"
	}
	return "ErrorMode(" + strconv.Itoa(int(v)) + ")"
}

func (d *dec) u32(label string) uint32 {
	if !d.need(4, label) {
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b[d.off:])
	if d.ann != nil {
		d.note(4, label, strconv.FormatUint(uint64(v), 10))
	}
	d.off += 4
	return v
}

func (d *dec) int(label string) int { return int(d.u32(label)) }

func (d *dec) i32(label string) int {
	if !d.need(4, label) {
		return 0
	}
	v := int32(binary.LittleEndian.Uint32(d.b[d.off:]))
	if d.ann != nil {
		d.note(4, label, strconv.Itoa(int(v)))
	}
	d.off += 4
	return int(v)
}

func (d *dec) u64(label string) uint64 {
	if !d.need(8, label) {
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.off:])
	if d.ann != nil {
		d.note(8, label, strconv.FormatUint(v, 10))
	}
	d.off += 8
	return v
}

func (d *dec) i64(label string) int64 {
	if !d.need(8, label) {
		return 0
	}
	v := int64(binary.LittleEndian.Uint64(d.b[d.off:]))
	if d.ann != nil {
		d.note(8, label, strconv.FormatInt(v, 10))
	}
	d.off += 8
	return v
}

func (d *dec) f64(label string) float64 {
	if !d.need(8, label) {
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.off:]))
	if d.ann != nil {
		d.note(8, label, strconv.FormatFloat(v, 'g', -1, 64))
	}
	d.off += 8
	return v
}

func (d *dec) str(label string) string {
	if !d.need(2, label) {
		return ""
	}
	n := int(binary.LittleEndian.Uint16(d.b[d.off:]))
	if d.ann != nil {
		d.note(2, label+" length", strconv.Itoa(n))
	}
	d.off += 2
	if !d.need(n, label) {
		return ""
	}
	s := string(d.b[d.off : d.off+n])
	if d.ann != nil {
		d.note(n, label, strconv.Quote(s))
	}
	d.off += n
	return s
}

// reg reads a register; its fields' labels are given whole, so that errors read the
// same whether or not Dump is listing.
func (d *dec) reg(rawLabel, expLabel string) chip.Reg {
	return chip.Reg{Raw: d.i64(rawLabel), Exp: d.i32(expLabel)}
}

// count reads a record count and checks that count records of at least minSize bytes
// fit the payload and that count ≤ limit (what describes the limit, with a %d for it),
// so that the caller may allocate count records.
func (d *dec) count(label string, minSize, limit int, what string) int {
	at := d.off
	n := d.int(label)
	switch {
	case d.err != nil:
		return 0
	case n > limit:
		d.failf(ErrCorrupt, "%s at %#x is %d, more than "+what, label, at, n, limit)
		return 0
	case n > (d.end-d.off)/minSize:
		d.failf(ErrCorrupt, "%s at %#x is %d; records of at least %d bytes each cannot fit the %s left", label, at, n, minSize, plural(d.end-d.off, "byte"))
		return 0
	}
	return n
}

// packed reads len(dst) raw values of k bytes each, sign-extended for signed formats.
func (d *dec) packed(dst []int64, k int, signed bool, label string) {
	n := len(dst) * k
	if !d.need(n, label) {
		return
	}
	unpack(dst, d.b[d.off:d.off+n], k, signed)
	if d.ann != nil {
		d.note(n, label, formatValues(dst))
	}
	d.off += n
}

func unpack(dst []int64, src []byte, k int, signed bool) {
	le := binary.LittleEndian
	switch {
	case k == 4 && signed:
		for i := range dst {
			dst[i] = int64(int32(le.Uint32(src[4*i:])))
		}
	case k == 4:
		for i := range dst {
			dst[i] = int64(le.Uint32(src[4*i:]))
		}
	case k == 2 && signed:
		for i := range dst {
			dst[i] = int64(int16(le.Uint16(src[2*i:])))
		}
	default:
		shift := uint(64 - 8*k)
		for i := range dst {
			var u uint64
			for j := k - 1; j >= 0; j-- {
				u = u<<8 | uint64(src[i*k+j])
			}
			if signed {
				dst[i] = int64(u<<shift) >> shift
			} else {
				dst[i] = int64(u)
			}
		}
	}
}

// state assembles the program from its sections, which must come in the canonical
// order: config, formats, program, populations, projections, learning, then neurons,
// weights and routes of tile 0, of tile 1, and so on.
type state struct {
	p            *chip.Program
	stage        int // sections of the canonical order seen
	sectionsLeft int // sections the header announces after the current one
	n, f         int // neurons per tile, inputs per neuron
	kt, kb, kw   int // bytes per τ, bias and weight
	st, sb, sw   bool
	placed       [][]bool // placed[q][i]: neuron i of population q has a slot
}

var order = [...]SectionType{SectionConfig, SectionFormats, SectionProgram, SectionPopulations, SectionProjections, SectionLearning}

var tileOrder = [...]SectionType{SectionNeurons, SectionWeights, SectionRoutes}

// expected returns the section type the next known section must have and, for a tile
// section, the tile (else −1); ok is false when every section has been seen.
func (s *state) expected() (t SectionType, tile int, ok bool) {
	if s.stage < len(order) {
		return order[s.stage], -1, true
	}
	k := s.stage - len(order)
	if k >= 3*len(s.p.Tiles) {
		return 0, -1, false
	}
	return tileOrder[k%3], k / 3, true
}

func describe(t SectionType, tile int) string {
	if tile < 0 {
		return "the " + t.String() + " section"
	}
	return "the " + t.String() + " section of tile " + strconv.Itoa(tile)
}

func (s *state) section(d *dec) {
	want, tile, ok := s.expected()
	switch {
	case !ok:
		d.failf(ErrCorrupt, "a %s section after the last tile's; every section appears once", d.typ)
		return
	case d.typ != want:
		d.failf(ErrCorrupt, "a %s section where %s belongs", d.typ, describe(want, tile))
		return
	}
	s.stage++
	switch d.typ {
	case SectionConfig:
		s.config(d)
	case SectionFormats:
		s.formats(d)
	case SectionProgram:
		s.program(d)
	case SectionPopulations:
		s.populations(d)
	case SectionProjections:
		s.projections(d)
	case SectionLearning:
		s.learning(d)
	default:
		at := d.off
		if t := d.int("tile"); d.err == nil && t != tile {
			d.failf(ErrCorrupt, "tile %d at %#x, but %s belongs here", t, at, describe(d.typ, tile))
			return
		}
		switch d.typ {
		case SectionNeurons:
			s.neurons(d, tile)
		case SectionWeights:
			s.weights(d, tile)
		case SectionRoutes:
			s.routes(d, tile)
		}
	}
}

func (s *state) config(d *dec) {
	c := &s.p.Config
	for _, f := range []struct {
		v     *int
		label string
	}{{&c.Rows, "Rows"}, {&c.Cols, "Cols"}, {&c.NeuronsPerTile, "NeuronsPerTile"},
		{&c.InputsPerNeuron, "InputsPerNeuron"}, {&c.MaxContexts, "MaxContexts"},
		{&c.LUTSegments, "LUTSegments"}, {&c.MACUnits, "MACUnits"},
		{&c.NeuronCycles, "NeuronCycles"}, {&c.DividerCycles, "DividerCycles"},
		{&c.LinkBits, "LinkBits"}} {
		*f.v = d.int(f.label)
	}
	c.ClockHz = d.f64("ClockHz")
	en := &c.Energy
	en.PJPerMAC = d.f64("Energy.PJPerMAC")
	en.PJPerSRAMRead = d.f64("Energy.PJPerSRAMRead")
	en.PJPerSRAMWrite = d.f64("Energy.PJPerSRAMWrite")
	en.PJPerHop = d.f64("Energy.PJPerHop")
	en.PJPerNeuronUpdate = d.f64("Energy.PJPerNeuronUpdate")
	en.PJPerDivide = d.f64("Energy.PJPerDivide")
	a := &c.Analog
	a.Seed = d.u64("Analog.Seed")
	a.TauMSigma = d.f64("Analog.TauMSigma")
	a.TauRSigma = d.f64("Analog.TauRSigma")
	a.GainSigma = d.f64("Analog.GainSigma")
	a.OffsetSigma = d.f64("Analog.OffsetSigma")
	a.WeightWriteSigma = d.f64("Analog.WeightWriteSigma")
	a.UNoiseSigma = d.f64("Analog.UNoiseSigma")
	a.WeightBits = d.int("Analog.WeightBits")
}

// minVar is the smallest format record: two empty strings and five bytes.
const minVar = 2 + 5 + 2

func (s *state) formats(d *dec) {
	c := &s.p.Config
	n := d.count("number of formats", minVar, math.MaxInt32, "the format's limit of %d")
	if n > 0 {
		c.Formats = make(fixedpoint.Table, n)
	}
	for i := range n {
		start := d.off
		if d.ann != nil {
			d.ann.quiet++
		}
		v := &c.Formats[i]
		v.Name = d.str("Name")
		v.Format.Signed = d.bool("Signed")
		v.Format.Int = int(d.u8("Int"))
		v.Format.Frac = int(d.u8("Frac"))
		v.Rounding = fixedpoint.Rounding(d.enum("Rounding", roundingName))
		v.Overflow = fixedpoint.Overflow(d.enum("Overflow", overflowName))
		v.Doc = d.str("Doc")
		if d.ann != nil {
			d.ann.quiet--
			d.ann.field(start, d.off-start, "format "+strconv.Itoa(i), describeVar(v))
		}
		if d.err != nil {
			return
		}
	}
	if d.off != d.end {
		return // reported by the caller
	}
	// The configuration is complete: validate it now, so that every later count is
	// bounded by a configuration the chip accepts.
	if err := c.Validate(); err != nil {
		if d.err == nil {
			d.err = d.errorf(ErrInvalid, "the configuration (sections 0 and 1) is invalid: %v", err)
			d.err.(*kindError).cause = err
		}
		return
	}
	tiles := c.Tiles()
	if need := len(order) - s.stage + 3*tiles; need > s.sectionsLeft {
		d.failf(ErrCorrupt, "a %d×%d mesh needs %d more sections, the header announces only %d more", c.Rows, c.Cols, need, s.sectionsLeft)
		return
	}
	s.p.Tiles = make([]chip.Tile, tiles)
	s.n, s.f = c.NeuronsPerTile, c.InputsPerNeuron
	t, b, w := formatOf(c, "tau_m"), formatOf(c, "b"), formatOf(c, "w_mem")
	s.kt, s.kb, s.kw = packWidth(t), packWidth(b), packWidth(w)
	s.st, s.sb, s.sw = t.Signed, b.Signed, w.Signed
}

func (s *state) program(d *dec) {
	p := s.p
	p.Name = d.str("Name")
	p.Seed = d.u64("Seed")
	p.Dt = d.f64("Dt")
	p.Contexts = d.int("Contexts")
	p.Errors = chip.ErrorMode(d.enum("Errors", errorModeName))
}

// minPopulation is the size of a population record with an empty name.
const minPopulation = 2 + 4 + 3 + 12 + 5*4

func (s *state) populations(d *dec) {
	p := s.p
	slots := len(p.Tiles) * s.n
	n := d.count("number of populations", minPopulation, slots, "the mesh's %d neuron slots")
	if n > 0 {
		p.Populations = make([]chip.Population, n)
		s.placed = make([][]bool, n)
	}
	total := 0
	for i := range n {
		if d.ann != nil {
			d.ann.comment("population " + strconv.Itoa(i))
		}
		q := &p.Populations[i]
		q.Name = d.str("Name")
		at := d.off
		q.Size = d.int("Size")
		q.Role = chip.Role(d.enum("Role", roleName))
		q.Activation = fixedpoint.Func(d.enum("Activation", funcName))
		q.Bias = d.bool("Bias")
		q.Gamma = d.reg("Gamma.Raw", "Gamma.Exp")
		q.RateExp = d.i32("RateExp")
		q.StateExp = d.i32("StateExp")
		q.ErrorExp = d.i32("ErrorExp")
		q.BiasGradExp = d.i32("BiasGradExp")
		q.TauGradExp = d.i32("TauGradExp")
		if d.err != nil {
			return
		}
		// Every neuron needs a slot, and every slot at least 8 bytes of a later
		// section: bound the sizes before allocating per-neuron values.
		total += q.Size
		if total > slots || total > (len(d.b)-d.off)/8 {
			d.failf(ErrCorrupt, "population %d size %d at %#x: %d neurons in all cannot fit the mesh's %d slots or the %s left", i, q.Size, at, total, slots, plural(len(d.b)-d.off, "byte"))
			return
		}
		s.placed[i] = make([]bool, q.Size)
		if q.Role != chip.RoleInput {
			q.TauM, q.TauR = make([]int64, q.Size), make([]int64, q.Size)
		}
		if q.Bias {
			q.B = make([]int64, q.Size)
		}
	}
}

// minProjection is the size of a projection record.
const minProjection = 16

func (s *state) projections(d *dec) {
	p := s.p
	n := d.count("number of projections", minProjection, math.MaxInt32, "the format's limit of %d")
	if n > 0 {
		p.Projections = make([]chip.Projection, n)
	}
	for i := range n {
		if d.ann != nil {
			d.ann.comment("projection " + strconv.Itoa(i))
		}
		pr := &p.Projections[i]
		pr.Source = d.int("Source")
		pr.Target = d.int("Target")
		pr.WeightExp = d.i32("WeightExp")
		pr.GradExp = d.i32("GradExp")
		if d.err != nil {
			return
		}
	}
}

func (s *state) learning(d *dec) {
	p := s.p
	p.Loss.Kind = chip.LossKind(d.enum("Loss.Kind", lossName))
	p.Loss.Beta = d.reg("Loss.Beta.Raw", "Loss.Beta.Exp")
	l := &p.Learning
	l.Optimizer = chip.OptimizerKind(d.enum("Learning.Optimizer", optimizerName))
	for _, pl := range []struct {
		v                                *chip.ParamLearning
		on, lrRaw, lrExp, epsRaw, epsExp string
	}{
		{&l.Weights, "Learning.Weights.On", "Learning.Weights.LR.Raw", "Learning.Weights.LR.Exp", "Learning.Weights.Eps.Raw", "Learning.Weights.Eps.Exp"},
		{&l.Biases, "Learning.Biases.On", "Learning.Biases.LR.Raw", "Learning.Biases.LR.Exp", "Learning.Biases.Eps.Raw", "Learning.Biases.Eps.Exp"},
		{&l.TauM, "Learning.TauM.On", "Learning.TauM.LR.Raw", "Learning.TauM.LR.Exp", "Learning.TauM.Eps.Raw", "Learning.TauM.Eps.Exp"},
	} {
		pl.v.On = d.bool(pl.on)
		pl.v.LR = d.reg(pl.lrRaw, pl.lrExp)
		pl.v.Eps = d.reg(pl.epsRaw, pl.epsExp)
	}
	l.Momentum = d.i64("Learning.Momentum")
	l.Beta1 = d.i64("Learning.Beta1")
	l.Beta2 = d.i64("Learning.Beta2")
	l.TauMMin = d.i64("Learning.TauMMin")
}

func (s *state) neurons(d *dec, t int) {
	p := s.p
	n := d.count("number of slots", 8, s.n, "the tile's %d neuron slots (NeuronsPerTile)")
	if n > 0 {
		p.Tiles[t].Slots = make([]chip.NeuronRef, n)
	}
	var one [1]int64
	for i := range n {
		if d.ann != nil {
			d.ann.comment("slot " + strconv.Itoa(i))
		}
		at := d.off
		ref := &p.Tiles[t].Slots[i]
		ref.Population = d.int("Population")
		ref.Neuron = d.int("Neuron")
		if d.err != nil {
			return
		}
		if ref.Population >= len(p.Populations) || ref.Neuron >= p.Populations[ref.Population].Size {
			d.failf(ErrCorrupt, "slot %d at %#x names neuron %d of population %d, which does not exist", i, at, ref.Neuron, ref.Population)
			return
		}
		q := &p.Populations[ref.Population]
		if s.placed[ref.Population][ref.Neuron] {
			d.failf(ErrCorrupt, "slot %d at %#x names neuron %d of population %q, which an earlier slot holds; every neuron lives in one slot", i, at, ref.Neuron, q.Name)
			return
		}
		s.placed[ref.Population][ref.Neuron] = true
		if q.Role != chip.RoleInput {
			d.packed(one[:], s.kt, s.st, "TauM")
			q.TauM[ref.Neuron] = one[0]
			d.packed(one[:], s.kt, s.st, "TauR")
			q.TauR[ref.Neuron] = one[0]
		}
		if q.Bias {
			d.packed(one[:], s.kb, s.sb, "B")
			q.B[ref.Neuron] = one[0]
		}
	}
}

func (s *state) weights(d *dec, t int) {
	p := s.p
	minBlock := 7*4 + 1 + s.kw
	n := d.count("number of blocks", minBlock, s.n*s.f, "the %d cells of a crossbar")
	if n > 0 {
		p.Tiles[t].Blocks = make([]chip.Block, n)
	}
	for i := range n {
		if d.ann != nil {
			d.ann.comment("block " + strconv.Itoa(i))
		}
		b := &p.Tiles[t].Blocks[i]
		b.Projection = d.int("Projection")
		b.Row0 = d.int("Row0")
		at := d.off
		b.Rows = d.int("Rows")
		b.Col0 = d.int("Col0")
		b.Cols = d.int("Cols")
		b.CrossbarRow = d.int("CrossbarRow")
		b.CrossbarCol = d.int("CrossbarCol")
		b.Plastic = d.bool("Plastic")
		if d.err != nil {
			return
		}
		if b.Rows > s.n || b.Cols > s.f {
			d.failf(ErrCorrupt, "block %d at %#x is %d×%d; a crossbar holds %d×%d", i, at, b.Rows, b.Cols, s.n, s.f)
			return
		}
		if k := b.Rows * b.Cols; k > 0 {
			if !d.need(k*s.kw, "W") {
				return
			}
			b.W = make([]int64, k)
			d.packed(b.W, s.kw, s.sw, "W")
		}
	}
}

// minRoute is the size of a route record.
const minRoute = 1 + 5*4

func (s *state) routes(d *dec, t int) {
	p := s.p
	n := d.count("number of routes", minRoute, math.MaxInt32, "the format's limit of %d")
	if n > 0 {
		p.Tiles[t].Routes = make([]chip.Route, n)
	}
	for i := range n {
		if d.ann != nil {
			d.ann.comment("route " + strconv.Itoa(i))
		}
		r := &p.Tiles[t].Routes[i]
		r.Kind = chip.RouteKind(d.enum("Kind", routeKindName))
		r.Population = d.i32("Population")
		r.Projection = d.i32("Projection")
		r.Lo = d.int("Lo")
		r.Hi = d.int("Hi")
		r.To = d.int("To")
		if d.err != nil {
			return
		}
	}
}

// finish checks that every section arrived and every neuron has a slot.
func (s *state) finish() error {
	if t, tile, ok := s.expected(); ok {
		return newError(ErrCorrupt, "the image ends before %s", describe(t, tile))
	}
	for qi, pl := range s.placed {
		for i, ok := range pl {
			if !ok {
				return newError(ErrCorrupt, "neuron %d of population %q has no slot in any tile's neurons section", i, s.p.Populations[qi].Name)
			}
		}
	}
	return nil
}
