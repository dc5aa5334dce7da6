package command

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/host/proto"
)

// docPath is the protocol's description; its ```command blocks must decode.
var docPath = filepath.Join("..", "..", "docs", "protocol.md")

// docExample is one ```command block: a frame on the wire, what its header says, and
// its command-layer fields. A response names the request it answers.
type docExample struct {
	line                               int
	name, wire, frame, answers, fields string
}

// example is a frame the doc shows, built from the codecs.
type example struct {
	name    string
	frame   proto.Frame
	answers proto.Type
}

// exampleLayout is the layout of the doc's RUN examples: one context, three inputs and
// two outputs of the default 16-bit formats.
func exampleLayout() *Layout {
	l := testLayout()
	l.Contexts = 1
	return l
}

func examples() []example {
	fr := func(t proto.Type, flags proto.Flags, seq uint16, p []byte) proto.Frame {
		return proto.Frame{Version: proto.Version, Type: t, Flags: flags, Seq: seq, Payload: p}
	}
	resp := func(ref uint16, body []byte) []byte { return proto.AppendResponse(nil, ref, body) }
	small := chip.DefaultConfig()
	small.Rows, small.Cols, small.NeuronsPerTile, small.InputsPerNeuron, small.MaxContexts = 1, 2, 64, 64, 16
	small.Formats = small.Formats[:2]
	board := ChipOf(small)
	hb, _ := AppendHello(nil, Hello{Version: Version, Role: RoleBoard, Firmware: "fw 1", Chip: &board, MaxImage: 1 << 20, MaxStage: 1 << 24})
	host, _ := AppendHello(nil, Hello{Version: Version, Role: RoleHost})
	l := exampleLayout()
	flags := RunInputs | RunTargets | RunOutputs
	in := l.AppendStepIn(command0(DataRunIn, 6), flags, &StepIn{X: []int64{4096, -2048, 0}, Mode: TargetValues, Y: []int64{1024, -1}})
	in = l.AppendStepIn(in, flags, &StepIn{X: []int64{4096, -2048, 1}, Mode: TargetHold})
	out := l.AppendStepOut(command0(DataRunOut, 6), flags, []int64{0, 0}, false, nil, nil)
	out = l.AppendStepOut(out, flags, []int64{37, -5}, false, nil, nil)
	snap := bytes.Repeat([]byte("GLEMUSNP"), 40)
	return []example{
		{name: "host-description", frame: fr(proto.TypeHello, 0, 0, proto.AppendHello(nil, proto.Hello{Nonce: 0x12345678, MaxPayload: 1024, RxBuffer: 16384, Window: 32, Config: host}))},
		{name: "board-description", frame: fr(proto.TypeHello, proto.FlagReply, 0, proto.AppendHello(nil, proto.Hello{Nonce: 0x12345678, MaxPayload: 1024, RxBuffer: 8192, Window: 16, Config: hb}))},
		{name: "echo", frame: fr(proto.TypeRequest, 0, 0, AppendRequest(nil, Request{Op: OpEcho, Data: []byte("ping")}))},
		{name: "echo-result", frame: fr(proto.TypeResponse, 0, 0, resp(0, AppendInline(nil, []byte("ping")))), answers: proto.TypeRequest},
		{name: "load-chunk", frame: fr(proto.TypeLoadChunk, 0, 2, AppendLoadChunk(nil, 36, []byte{1, 0, 0, 0, 0x10, 0, 0, 0}))},
		{name: "load-end-result", frame: fr(proto.TypeResponse, 0, 3, resp(4, AppendInline(nil, AppendShape(nil, Shape{Contexts: 1, InputWidth: 3, OutputWidth: 2})))), answers: proto.TypeLoadEnd},
		{name: "run", frame: fr(proto.TypeRun, 0, 6, AppendRun(nil, Run{Steps: 2, Flags: flags}))},
		{name: "run-inputs", frame: fr(proto.TypeData, 0, 7, in)},
		{name: "run-outputs", frame: fr(proto.TypeData, 0, 5, out)},
		{name: "run-result", frame: fr(proto.TypeResponse, 0, 6, resp(6, AppendInline(nil, AppendRunResult(nil, RunResult{ChipSteps: 2, Done: 2})))), answers: proto.TypeRun},
		{name: "run-failed", frame: fr(proto.TypeResponse, proto.FlagError, 6, resp(6, []byte("firmware: RUN stopped after 0 of 2 steps (chip step 0): chip: label 3 of context 0 is outside 0…1"))), answers: proto.TypeRun},
		{name: "read-reg", frame: fr(proto.TypeReadReg, 0, 8, AppendReadReg(nil, RegSteps, RegLearning))},
		{name: "read-reg-result", frame: fr(proto.TypeResponse, 0, 7, resp(8, AppendInline(nil, AppendRegValue(AppendRegValue(nil, RegValue{Reg: RegSteps, Steps: 40000}), RegValue{Reg: RegLearning, Learning: true})))), answers: proto.TypeReadReg},
		{name: "read-mem", frame: fr(proto.TypeReadMem, 0, 9, AppendReadMem(nil, Mem{Space: SpaceState, Index: 1, Var: "u"}, EncRaw))},
		{name: "read-mem-result", frame: fr(proto.TypeResponse, 0, 8, resp(9, AppendInline(nil, AppendValues(nil, EncRaw, Values{Raw: []int64{16777216, -3, 0}})))), answers: proto.TypeReadMem},
		{name: "write-weights", frame: fr(proto.TypeWriteMem, 0, 10, AppendWriteMem(nil, Mem{Space: SpaceWeights, Index: 0}, EncFloat, AppendValues(nil, EncFloat, Values{Float: []float64{0.5, -0.25}}), false))},
		{name: "snapshot-result", frame: fr(proto.TypeResponse, 0, 9, resp(11, AppendSpooled(nil, snap, 40))), answers: proto.TypeSnapshot},
		{name: "fetch", frame: fr(proto.TypeRequest, 0, 12, AppendRequest(nil, Request{Op: OpFetch, Offset: 31, N: 289}))},
		{name: "stage", frame: fr(proto.TypeRequest, 0, 13, AppendRequest(nil, Request{Op: OpStage, Offset: 0, Data: []byte("GLEMUSNP")}))},
		{name: "restore-staged", frame: fr(proto.TypeRestore, 0, 14, AppendStagedArg(nil, snap))},
		{name: "set-probes", frame: fr(proto.TypeSetProbes, 0, 15, AppendSetProbes(nil, false, []chip.Probe{{Population: "h", Var: "u", Neurons: []int{0, 2}}}))},
		{name: "read-counters", frame: fr(proto.TypeReadCounters, 0, 16, AppendCountersRequest(nil, true))},
	}
}

func command0(k DataKind, run uint16) []byte { return AppendDataHeader(nil, k, run) }

// describeFields is the "fields" line: the command-layer payload field by field.
func describeFields(f proto.Frame, answers proto.Type) string {
	p := f.Payload
	e := func(err error) string { return "error: " + err.Error() }
	switch f.Type {
	case proto.TypeHello:
		h, err := proto.ParseHello(p)
		if err != nil {
			return e(err)
		}
		d, err := ParseHello(h.Config)
		if err != nil {
			return e(err)
		}
		s := fmt.Sprintf("version=%d role=%v firmware=%q", d.Version, d.Role, d.Firmware)
		if c := d.Chip; c != nil {
			var names []string
			for _, v := range c.Formats {
				names = append(names, fmt.Sprintf("%s=%v/%v/%v", v.Name, v.Format, v.Rounding, v.Overflow))
			}
			s += fmt.Sprintf(" chip=%dx%d N=%d F=%d C≤%d lut=%d formats=[%s]", c.Rows, c.Cols, c.NeuronsPerTile, c.InputsPerNeuron, c.MaxContexts, c.LUTSegments, strings.Join(names, " "))
		} else {
			s += " chip=any"
		}
		return s + fmt.Sprintf(" max_image=%d max_stage=%d", d.MaxImage, d.MaxStage)
	case proto.TypeRequest:
		q, err := ParseRequest(p)
		if err != nil {
			return e(err)
		}
		switch q.Op {
		case OpFetch:
			return fmt.Sprintf("op=%v offset=%d n=%d", q.Op, q.Offset, q.N)
		case OpStage:
			return fmt.Sprintf("op=%v offset=%d data=%q", q.Op, q.Offset, q.Data)
		}
		return fmt.Sprintf("op=%v data=%q", q.Op, q.Data)
	case proto.TypeLoadChunk:
		off, data, err := ParseLoadChunk(p)
		if err != nil {
			return e(err)
		}
		return fmt.Sprintf("offset=%d data=% x", off, data)
	case proto.TypeRun:
		q, err := ParseRun(p)
		if err != nil {
			return e(err)
		}
		return fmt.Sprintf("steps=%d flags=%s", q.Steps, runFlags(q.Flags))
	case proto.TypeData:
		k, run, data, err := ParseData(p)
		if err != nil {
			return e(err)
		}
		l := exampleLayout()
		var recs []string
		for len(data) > 0 {
			if k == DataRunIn {
				var in StepIn
				n, err := l.ParseStepIn(data, RunInputs|RunTargets, &in)
				if err != nil || n == 0 {
					return fmt.Sprintf("error: %v at % x", err, data)
				}
				r := fmt.Sprintf("x=%v target=%v", in.X, in.Mode)
				if in.Mode == TargetValues {
					r += fmt.Sprintf(" y=%v", in.Y)
				}
				recs, data = append(recs, r), data[n:]
				continue
			}
			out := make([]int64, 2)
			n := l.ParseStepOut(data, RunOutputs, out, false, nil, nil)
			if n == 0 {
				return fmt.Sprintf("error: short record % x", data)
			}
			recs, data = append(recs, fmt.Sprintf("out=%v", out)), data[n:]
		}
		return fmt.Sprintf("kind=%d run=%d records: %s", k, run, strings.Join(recs, "; "))
	case proto.TypeReadReg:
		regs, err := ParseReadReg(p)
		if err != nil {
			return e(err)
		}
		return fmt.Sprintf("registers=%v", regs)
	case proto.TypeReadMem:
		m, enc, err := ParseReadMem(p)
		if err != nil {
			return e(err)
		}
		return fmt.Sprintf("space=%v index=%d var=%q encoding=%d", m.Space, m.Index, m.Var, enc)
	case proto.TypeWriteMem:
		m, enc, a, err := ParseWriteMem(p)
		if err != nil {
			return e(err)
		}
		v, err := ParseValues(a.Data, enc)
		if err != nil {
			return e(err)
		}
		return fmt.Sprintf("space=%v index=%d var=%q encoding=%d inline values=%v", m.Space, m.Index, m.Var, enc, v.Float)
	case proto.TypeRestore:
		a, err := ParseArgument("RESTORE", p)
		if err != nil {
			return e(err)
		}
		return fmt.Sprintf("staged=%v length=%d crc=0x%08x", a.Staged, a.Length, a.CRC)
	case proto.TypeSetProbes:
		raw, probes, err := ParseSetProbes(p)
		if err != nil {
			return e(err)
		}
		return fmt.Sprintf("raw=%v probes=%+v", raw, probes)
	case proto.TypeReadCounters:
		reset, err := ParseCountersRequest(p)
		if err != nil {
			return e(err)
		}
		return fmt.Sprintf("reset=%v", reset)
	case proto.TypeResponse:
		ref, body, err := proto.ParseResponse(p)
		if err != nil {
			return e(err)
		}
		if f.Flags&proto.FlagError != 0 {
			return fmt.Sprintf("ref=%d error=%q", ref, body)
		}
		b, err := ParseBody(body)
		if err != nil {
			return e(err)
		}
		if b.Spooled {
			return fmt.Sprintf("ref=%d spooled length=%d crc=0x%08x first=%q", ref, b.Length, b.CRC, b.Data)
		}
		s := fmt.Sprintf("ref=%d inline ", ref)
		switch answers {
		case proto.TypeLoadEnd:
			sh, err := ParseShape(b.Data)
			if err != nil {
				return e(err)
			}
			return s + fmt.Sprintf("shape=%+v", sh)
		case proto.TypeRun:
			r, err := ParseRunResult(b.Data)
			if err != nil {
				return e(err)
			}
			return s + fmt.Sprintf("chip_steps=%d done=%d", r.ChipSteps, r.Done)
		case proto.TypeReadReg:
			vs, err := ParseRegValues(b.Data, []Reg{RegSteps, RegLearning})
			if err != nil {
				return e(err)
			}
			return s + fmt.Sprintf("steps=%d learning=%v", vs[0].Steps, vs[1].Learning)
		case proto.TypeReadMem:
			v, err := ParseValues(b.Data, EncRaw)
			if err != nil {
				return e(err)
			}
			return s + fmt.Sprintf("values=%v", v.Raw)
		}
		return s + fmt.Sprintf("result=%q", b.Data)
	}
	return fmt.Sprintf("% x", p)
}

func runFlags(f RunFlags) string {
	var s []string
	for _, x := range []struct {
		f RunFlags
		n string
	}{{RunInputs, "inputs"}, {RunTargets, "targets"}, {RunOutputs, "outputs"}, {RunProbes, "probes"}} {
		if f&x.f != 0 {
			s = append(s, x.n)
		}
	}
	return strings.Join(s, "|")
}

func describeFrame(f proto.Frame) string {
	return fmt.Sprintf("%v flags=0x%02x seq=%d len=%d", f.Type, uint8(f.Flags), f.Seq, len(f.Payload))
}

func readDocExamples(t *testing.T) []docExample {
	t.Helper()
	file, err := os.Open(docPath)
	if err != nil {
		t.Fatalf("%v: the protocol must be written down there", err)
	}
	defer file.Close()
	var out []docExample
	var cur *docExample
	sc := bufio.NewScanner(file)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case text == "```command":
			out = append(out, docExample{line: line})
			cur = &out[len(out)-1]
		case text == "```":
			cur = nil
		case cur != nil:
			key, val, ok := strings.Cut(text, ":")
			if !ok {
				t.Fatalf("%s:%d: want \"key: value\" in a command block, got %q", docPath, line, text)
			}
			val = strings.TrimSpace(val)
			switch key {
			case "name":
				cur.name = val
			case "wire":
				cur.wire = val
			case "frame":
				cur.frame = val
			case "answers":
				cur.answers = val
			case "fields":
				cur.fields = val
			default:
				t.Fatalf("%s:%d: unknown key %q", docPath, line, key)
			}
		}
	}
	return out
}

// TestDocCommandExamples: every ```command example of docs/protocol.md decodes to the
// header and fields the doc says, and encodes back to the same bytes.
func TestDocCommandExamples(t *testing.T) {
	exs := readDocExamples(t)
	if len(exs) < len(examples()) {
		t.Fatalf("%s has %d command examples; it should show the %d of TestPrintCommandExamples", docPath, len(exs), len(examples()))
	}
	types := map[string]proto.Type{}
	for i := range 256 {
		types[proto.Type(i).String()] = proto.Type(i)
	}
	for _, ex := range exs {
		t.Run(ex.name, func(t *testing.T) {
			where := fmt.Sprintf("%s:%d (%s)", docPath, ex.line, ex.name)
			wire, err := hex.DecodeString(strings.ReplaceAll(ex.wire, " ", ""))
			if err != nil {
				t.Fatalf("%s: wire: %v", where, err)
			}
			f, n, err := proto.ParseFrame(bytes.Clone(wire))
			if err != nil || n != len(wire) {
				t.Fatalf("%s: does not decode: n=%d of %d, %v", where, n, len(wire), err)
			}
			if got := describeFrame(f); got != ex.frame {
				t.Errorf("%s: frame\n got: %s\nwant: %s", where, got, ex.frame)
			}
			if got := describeFields(f, types[ex.answers]); got != ex.fields {
				t.Errorf("%s: fields\n got: %s\nwant: %s", where, got, ex.fields)
			}
			if again := proto.AppendFrame(nil, f); !bytes.Equal(again, wire) {
				t.Errorf("%s: re-encodes to % x", where, again)
			}
		})
	}
}

// TestPrintCommandExamples prints the command blocks for docs/protocol.md (go test -run
// PrintCommand -v), so the doc is written from the code, then checked.
func TestPrintCommandExamples(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("run with -v to print the doc's command blocks")
	}
	for _, ex := range examples() {
		wire := proto.AppendFrame(nil, ex.frame)
		w := fmt.Sprintf("% x", wire)
		if len(wire) > 48 {
			w = fmt.Sprintf("%x", wire)
		}
		ans := ""
		if ex.answers != 0 {
			ans = fmt.Sprintf("answers: %v\n", ex.answers)
		}
		t.Logf("\n```command\nname:    %s\nwire:    %s\nframe:   %s\n%sfields:  %s\n```", ex.name, w, describeFrame(ex.frame), ans, describeFields(ex.frame, ex.answers))
	}
}
