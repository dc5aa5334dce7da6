package command

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/glemu/glemu/chip/image"
)

// Every response body begins with one byte saying how the result comes.
const (
	// BodyInline: the rest of the body is the whole result.
	BodyInline = 0x00
	// BodySpooled: the result did not fit one frame. The body holds its length (u32),
	// its CRC-32/IEEE (u32) and its first bytes; the board keeps the whole result in its
	// outbox until the next spooled result, and the host fetches the rest with FETCH.
	BodySpooled = 0x01
)

// Body is a decoded response body.
type Body struct {
	Spooled     bool
	Length, CRC uint32 // spooled: the whole result's
	Data        []byte // the result (inline) or its first bytes (spooled); aliases the body
}

// SpoolHeaderLen is the size of a spooled body before its first bytes.
const SpoolHeaderLen = 9

// AppendInline appends an inline body holding result.
func AppendInline(dst, result []byte) []byte {
	dst = append(dst, BodyInline)
	return append(dst, result...)
}

// AppendSpooled appends a spooled body for result, with as many of its first bytes as
// make the body room bytes long (at least SpoolHeaderLen).
func AppendSpooled(dst, result []byte, room int) []byte {
	dst = append(dst, BodySpooled)
	dst = appendU32(dst, uint32(len(result)))
	dst = appendU32(dst, crc32.ChecksumIEEE(result))
	return append(dst, result[:min(len(result), max(0, room-SpoolHeaderLen))]...)
}

// ParseBody decodes a response body.
func ParseBody(b []byte) (Body, error) {
	r := newReader("response", b)
	switch r.u8("body kind") {
	case BodyInline:
		return Body{Data: r.rest()}, r.err
	case BodySpooled:
		bd := Body{Spooled: true, Length: r.u32("length"), CRC: r.u32("crc")}
		bd.Data = r.rest()
		if r.err == nil && uint32(len(bd.Data)) > bd.Length {
			r.fail("%d first bytes of a %d-byte result", len(bd.Data), bd.Length)
		}
		return bd, r.err
	}
	r.off--
	r.fail("unknown body kind 0x%02x", b[0])
	return Body{}, r.err
}

// A command's large argument (a snapshot to restore, a memory to write) is either
// inline or staged beforehand with STAGE requests.
const (
	ArgInline = 0x00
	ArgStaged = 0x01
)

// Arg is a decoded argument.
type Arg struct {
	Staged      bool
	Length, CRC uint32 // staged: the staged bytes' length and CRC-32/IEEE
	Data        []byte // inline: the argument; aliases the payload
}

// AppendArg appends data as an inline argument.
func AppendArg(dst, data []byte) []byte {
	dst = append(dst, ArgInline)
	return append(dst, data...)
}

// AppendStagedArg appends a reference to the staged bytes data (which the board holds).
func AppendStagedArg(dst, data []byte) []byte {
	dst = append(dst, ArgStaged)
	dst = appendU32(dst, uint32(len(data)))
	return appendU32(dst, crc32.ChecksumIEEE(data))
}

func (r *reader) arg() Arg {
	switch r.u8("argument kind") {
	case ArgInline:
		return Arg{Data: r.rest()}
	case ArgStaged:
		return Arg{Staged: true, Length: r.u32("staged length"), CRC: r.u32("staged crc")}
	}
	if r.err == nil {
		r.off--
		r.fail("unknown argument kind 0x%02x", r.b[r.off])
	}
	return Arg{}
}

// Ops of the generic REQUEST (proto.TypeRequest): the first byte of its payload.
type Op uint8

const (
	// OpEcho: the response's result is the rest of the request (ping).
	OpEcho Op = 0x01
	// OpFetch: u32 offset, u32 n: bytes offset…offset+n−1 of the outbox, the last
	// spooled result.
	OpFetch Op = 0x02
	// OpStage: u32 offset, then bytes: write them into the inbox at offset, which must
	// equal the bytes staged so far (0 starts a new argument).
	OpStage Op = 0x03
)

func (o Op) String() string {
	switch o {
	case OpEcho:
		return "ECHO"
	case OpFetch:
		return "FETCH"
	case OpStage:
		return "STAGE"
	}
	return fmt.Sprintf("OP(0x%02x)", uint8(o))
}

// Request is a decoded generic REQUEST.
type Request struct {
	Op     Op
	Offset uint32 // FETCH, STAGE
	N      uint32 // FETCH: bytes wanted
	Data   []byte // ECHO, STAGE; aliases the payload
}

// FetchLen and StageLen are the sizes of a FETCH and of a STAGE before its bytes.
const (
	FetchLen = 9
	StageLen = 5
)

// AppendRequest appends q as a REQUEST payload.
func AppendRequest(dst []byte, q Request) []byte {
	dst = append(dst, byte(q.Op))
	switch q.Op {
	case OpFetch:
		dst = appendU32(dst, q.Offset)
		return appendU32(dst, q.N)
	case OpStage:
		dst = appendU32(dst, q.Offset)
	}
	return append(dst, q.Data...)
}

// ParseRequest decodes a REQUEST payload.
func ParseRequest(b []byte) (Request, error) {
	r := newReader("REQUEST", b)
	q := Request{Op: Op(r.u8("op"))}
	switch q.Op {
	case OpEcho:
		q.Data = r.rest()
	case OpFetch:
		q.Offset, q.N = r.u32("offset"), r.u32("n")
	case OpStage:
		q.Offset = r.u32("offset")
		q.Data = r.rest()
	default:
		if r.err == nil {
			r.off--
			r.fail("unknown op 0x%02x; the board speaks ECHO, FETCH and STAGE", uint8(q.Op))
		}
	}
	return q, r.done()
}

// ParseLoadBegin decodes a LOAD_BEGIN payload: the image's header.
func ParseLoadBegin(b []byte) (image.Header, error) {
	if len(b) != image.HeaderSize {
		return image.Header{}, fmt.Errorf("%w: LOAD_BEGIN: %d bytes, want the %d of an image header", ErrMalformed, len(b), image.HeaderSize)
	}
	return image.ParseHeader(b)
}

// LoadChunkLen is the size of a LOAD_CHUNK before its bytes.
const LoadChunkLen = 4

// AppendLoadChunk appends a LOAD_CHUNK payload: u32 offset, then the bytes.
func AppendLoadChunk(dst []byte, offset uint32, data []byte) []byte {
	dst = appendU32(dst, offset)
	return append(dst, data...)
}

// ParseLoadChunk decodes a LOAD_CHUNK payload; data aliases b.
func ParseLoadChunk(b []byte) (offset uint32, data []byte, err error) {
	r := newReader("LOAD_CHUNK", b)
	offset = r.u32("offset")
	data = r.rest()
	return offset, data, r.err
}

// Shape is what a loaded program looks like from outside: the result of LOAD_END and
// RESTORE, and the SHAPE register.
type Shape struct {
	Contexts, InputWidth, OutputWidth int
}

// ShapeLen is the size of an encoded Shape.
const ShapeLen = 12

func AppendShape(dst []byte, s Shape) []byte {
	dst = appendU32(dst, uint32(s.Contexts))
	dst = appendU32(dst, uint32(s.InputWidth))
	return appendU32(dst, uint32(s.OutputWidth))
}

func (r *reader) shape() Shape {
	s := Shape{Contexts: int(r.u32("contexts")), InputWidth: int(r.u32("input width")), OutputWidth: int(r.u32("output width"))}
	if s.Contexts > 1<<20 || s.InputWidth > 1<<26 || s.OutputWidth > 1<<26 {
		r.fail("shape %+v is out of range", s)
	}
	return s
}

// ParseShape decodes a Shape result.
func ParseShape(b []byte) (Shape, error) {
	r := newReader("shape", b)
	s := r.shape()
	return s, r.done()
}

// Space selects a memory of READ_MEM and WRITE_MEM.
type Space uint8

const (
	// SpaceWeights: the weight memory w_mem of projection Index (target × source).
	SpaceWeights Space = 1
	// SpaceCrossbar: the crossbar cells w of projection Index (read only).
	SpaceCrossbar Space = 2
	// SpaceState: variable Var of population Index (chip.StateVars).
	SpaceState Space = 3
	// SpaceOutput: the output reported at the last step (read only).
	SpaceOutput Space = 4
)

func (s Space) String() string {
	switch s {
	case SpaceWeights:
		return "weights"
	case SpaceCrossbar:
		return "crossbar"
	case SpaceState:
		return "state"
	case SpaceOutput:
		return "output"
	}
	return fmt.Sprintf("space %d", uint8(s))
}

// Encoding says how a memory's values are sent.
type Encoding uint8

const (
	// EncRaw: raw integers, each a zigzag varint (encoding/binary's AppendVarint).
	EncRaw Encoding = 0
	// EncFloat: dequantized values, each a float64 (IEEE 754 bits, little-endian), as
	// the chip's own State and Weights give them.
	EncFloat Encoding = 1
)

// Mem names a memory.
type Mem struct {
	Space Space
	Index int // projection or population
	Var   string
}

func (m Mem) String() string {
	switch m.Space {
	case SpaceWeights, SpaceCrossbar:
		return fmt.Sprintf("%v of projection %d", m.Space, m.Index)
	case SpaceState:
		return fmt.Sprintf("%s of population %d", m.Var, m.Index)
	}
	return m.Space.String()
}

func appendMem(dst []byte, m Mem, enc Encoding) []byte {
	dst = append(dst, byte(m.Space))
	dst = appendU16(dst, uint16(m.Index))
	dst = appendStr8(dst, m.Var)
	return append(dst, byte(enc))
}

func (r *reader) mem() (Mem, Encoding) {
	m := Mem{Space: Space(r.u8("space")), Index: int(r.u16("index")), Var: r.str8("var")}
	enc := Encoding(r.u8("encoding"))
	if r.err == nil && (m.Space < SpaceWeights || m.Space > SpaceOutput) {
		r.fail("unknown memory space %d", uint8(m.Space))
	}
	if r.err == nil && enc > EncFloat {
		r.fail("unknown encoding %d", uint8(enc))
	}
	return m, enc
}

// AppendReadMem appends a READ_MEM payload.
func AppendReadMem(dst []byte, m Mem, enc Encoding) []byte { return appendMem(dst, m, enc) }

// ParseReadMem decodes a READ_MEM payload.
func ParseReadMem(b []byte) (Mem, Encoding, error) {
	r := newReader("READ_MEM", b)
	m, enc := r.mem()
	return m, enc, r.done()
}

// AppendWriteMem appends a WRITE_MEM payload whose values (AppendValues) are inline,
// or staged if staged is true.
func AppendWriteMem(dst []byte, m Mem, enc Encoding, values []byte, staged bool) []byte {
	dst = appendMem(dst, m, enc)
	if staged {
		return AppendStagedArg(dst, values)
	}
	return AppendArg(dst, values)
}

// ParseWriteMem decodes a WRITE_MEM payload.
func ParseWriteMem(b []byte) (Mem, Encoding, Arg, error) {
	r := newReader("WRITE_MEM", b)
	m, enc := r.mem()
	a := r.arg()
	return m, enc, a, r.done()
}

// Values are a memory's contents: Raw with EncRaw, Float with EncFloat.
type Values struct {
	Raw   []int64
	Float []float64
}

// Len is the number of values.
func (v Values) Len() int { return max(len(v.Raw), len(v.Float)) }

// AppendValues appends a uvarint count and the values in encoding enc.
func AppendValues(dst []byte, enc Encoding, v Values) []byte {
	if enc == EncFloat {
		dst = binary.AppendUvarint(dst, uint64(len(v.Float)))
		for _, x := range v.Float {
			dst = appendF64(dst, x)
		}
		return dst
	}
	dst = binary.AppendUvarint(dst, uint64(len(v.Raw)))
	for _, x := range v.Raw {
		dst = binary.AppendVarint(dst, x)
	}
	return dst
}

// ParseValues decodes values written by AppendValues.
func ParseValues(b []byte, enc Encoding) (Values, error) {
	r := newReader("values", b)
	var v Values
	if enc == EncFloat {
		n := r.count("count", 8)
		v.Float = make([]float64, n)
		for i := range v.Float {
			v.Float[i] = r.f64("value")
		}
	} else {
		n := r.count("count", 1)
		v.Raw = make([]int64, n)
		for i := range v.Raw {
			v.Raw[i] = r.varint("value")
		}
	}
	return v, r.done()
}

// RunFlags say what a RUN streams.
type RunFlags uint8

const (
	// RunInputs: every step record from the host holds the step's inputs.
	RunInputs RunFlags = 1 << 0
	// RunTargets: every step record from the host holds a target record.
	RunTargets RunFlags = 1 << 1
	// RunOutputs: the board streams every step's outputs back.
	RunOutputs RunFlags = 1 << 2
	// RunProbes: the board streams every step's probe values back.
	RunProbes RunFlags = 1 << 3
)

// Run is a decoded RUN request.
type Run struct {
	Steps uint32
	Flags RunFlags
}

// RunLen is the size of a RUN payload.
const RunLen = 5

func AppendRun(dst []byte, q Run) []byte {
	dst = appendU32(dst, q.Steps)
	return append(dst, byte(q.Flags))
}

func ParseRun(b []byte) (Run, error) {
	r := newReader("RUN", b)
	q := Run{Steps: r.u32("steps"), Flags: RunFlags(r.u8("flags"))}
	if r.err == nil && q.Flags&^(RunInputs|RunTargets|RunOutputs|RunProbes) != 0 {
		r.off--
		r.fail("unknown flags 0x%02x", uint8(q.Flags))
	}
	return q, r.done()
}

// RunResult is the result of a RUN: the chip's step count after it and the steps run.
type RunResult struct {
	ChipSteps uint64
	Done      uint32
}

func AppendRunResult(dst []byte, res RunResult) []byte {
	dst = appendU64(dst, res.ChipSteps)
	return appendU32(dst, res.Done)
}

func ParseRunResult(b []byte) (RunResult, error) {
	r := newReader("RUN result", b)
	res := RunResult{ChipSteps: r.u64("chip steps"), Done: r.u32("done")}
	return res, r.done()
}

// DataKind is the first byte of a DATA chunk of the command layer.
type DataKind uint8

const (
	// DataRunIn: the host's step records of a RUN (inputs, targets), a byte stream cut
	// into chunks anywhere.
	DataRunIn DataKind = 1
	// DataRunOut: the board's step records of a RUN (outputs, probes).
	DataRunOut DataKind = 2
	// DataRunAbort: the host ends the RUN early; the board stops at once and answers
	// the RUN with an error.
	DataRunAbort DataKind = 3
)

// DataHeaderLen is the size of a DATA chunk's header: kind, the RUN's seq.
const DataHeaderLen = 3

// AppendDataHeader appends the header of a DATA chunk of the RUN with sequence number run.
func AppendDataHeader(dst []byte, kind DataKind, run uint16) []byte {
	dst = append(dst, byte(kind))
	return appendU16(dst, run)
}

// ParseData splits a DATA chunk into its kind, its RUN's seq and its bytes (aliasing b).
func ParseData(b []byte) (DataKind, uint16, []byte, error) {
	r := newReader("DATA", b)
	k, run := DataKind(r.u8("kind")), r.u16("run")
	if r.err == nil && (k < DataRunIn || k > DataRunAbort) {
		r.fail("unknown data kind %d", uint8(k))
	}
	return k, run, r.rest(), r.err
}

// CheckStaged reports whether the staged bytes match a staged argument's length and CRC.
func CheckStaged(a Arg, staged []byte) error {
	if uint32(len(staged)) != a.Length {
		return fmt.Errorf("%d bytes are staged, the command names %d; stage the argument again", len(staged), a.Length)
	}
	if c := crc32.ChecksumIEEE(staged); c != a.CRC {
		return fmt.Errorf("the staged bytes' CRC is 0x%08x, the command names 0x%08x; stage the argument again", c, a.CRC)
	}
	return nil
}

// ParseArgument decodes a payload that is one argument (RESTORE's).
func ParseArgument(what string, b []byte) (Arg, error) {
	r := newReader(what, b)
	a := r.arg()
	return a, r.done()
}
