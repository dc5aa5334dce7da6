package command

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
)

func boardHello() Hello {
	c := ChipOf(chip.DefaultConfig())
	return Hello{Version: Version, Role: RoleBoard, Firmware: "test firmware 1", Chip: &c, MaxImage: 1 << 20, MaxStage: 1 << 22}
}

func TestHelloRoundtrip(t *testing.T) {
	for _, h := range []Hello{boardHello(), {Version: Version, Role: RoleHost}} {
		b, err := AppendHello(nil, h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseHello(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, h) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, h)
		}
		if again, _ := AppendHello(nil, got); !bytes.Equal(again, b) {
			t.Errorf("re-encoding differs")
		}
	}
	b, _ := AppendHello(nil, boardHello())
	if len(b) > maxHello {
		t.Errorf("the reference chip's HELLO takes %d bytes, more than %d", len(b), maxHello)
	}
}

func TestCheck(t *testing.T) {
	board := boardHello()
	bb, _ := AppendHello(nil, board)
	host := Hello{Version: Version, Role: RoleHost}
	hb, _ := AppendHello(nil, host)
	other := chip.DefaultConfig()
	other.Rows, other.Cols = 2, 2
	oc := ChipOf(other)
	expect := Hello{Version: Version, Role: RoleHost, Chip: &oc}
	eb, _ := AppendHello(nil, expect)
	fmtc := chip.DefaultConfig()
	fmtc.Formats = append(fixedpoint.Table(nil), fmtc.Formats...)
	for i := range fmtc.Formats {
		if fmtc.Formats[i].Name == "u" {
			fmtc.Formats[i].Format = fixedpoint.Q(8, 23)
		}
	}
	fc := ChipOf(fmtc)
	expectFmt := Hello{Version: Version, Role: RoleHost, Chip: &fc}
	future := append([]byte{Version + 1, byte(RoleBoard)}, bb[2:]...)
	tests := []struct {
		name string
		me   Hello
		peer []byte
		want string
	}{
		{"host accepts board", host, bb, ""},
		{"board accepts host", board, hb, ""},
		{"host expecting this chip", Hello{Version: Version, Role: RoleHost, Chip: board.Chip}, bb, ""},
		{"host expecting another mesh", expect, bb, "the host expects another chip: expected a 2×2 mesh of 256-neuron tiles with 256 inputs per neuron, up to 256 contexts; got a 4×4 mesh of 256-neuron tiles with 256 inputs per neuron, up to 256 contexts"},
		{"board seeing that host", board, eb, "the host expects another chip: expected a 2×2 mesh of 256-neuron tiles with 256 inputs per neuron, up to 256 contexts; got a 4×4 mesh of 256-neuron tiles with 256 inputs per neuron, up to 256 contexts"},
		{"other formats", expectFmt, bb, "the host expects another chip: the expected chip holds u as Q8.23 (half-even, saturate); the board's chip holds it as Q7.24 (half-even, saturate); compile with the chip's formats"},
		{"newer command set", host, future, "it speaks command set 2, this host speaks 1; update glemu or the board firmware so they match"},
		{"two hosts", host, hb, "it is a host too; connect a host to a board"},
		{"garbage", host, []byte{Version, 1, 0}, "its chip description does not decode (command: malformed payload: HELLO: byte 3: firmware length needs 1 bytes, 0 remain); update glemu or the board firmware so they match"},
	}
	for _, tt := range tests {
		err := Check(tt.me, tt.peer)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestFits(t *testing.T) {
	c := ChipOf(chip.DefaultConfig())
	p := func(f func(*chip.Program)) *chip.Program {
		q := &chip.Program{Config: chip.DefaultConfig(), Contexts: 1}
		q.Config.Rows, q.Config.Cols = 1, 2
		f(q)
		return q
	}
	tests := []struct {
		p    *chip.Program
		want string
	}{
		{p(func(*chip.Program) {}), ""},
		{p(func(q *chip.Program) { q.Config.Cols = 5 }), "the program needs a 1×5 mesh of tiles; this chip has 4×4; compile the network for this chip (glemu compile --mesh 4x4 --neurons 256 --inputs 256)"},
		{p(func(q *chip.Program) { q.Config.NeuronsPerTile = 512 }), "the program uses 512 neurons per tile; this chip's tiles have 256; compile the network for this chip (glemu compile --mesh 4x4 --neurons 256 --inputs 256)"},
		{p(func(q *chip.Program) { q.Config.InputsPerNeuron = 300 }), "the program uses 300 inputs per neuron; this chip's crossbars have 256; compile the network for this chip (glemu compile --mesh 4x4 --neurons 256 --inputs 256)"},
		{p(func(q *chip.Program) { q.Contexts = 300 }), "the program runs 300 contexts; this chip holds at most 256; compile it with --contexts 256 or fewer"},
		{p(func(q *chip.Program) { q.Config.LUTSegments = 64 }), "the program's nonlinearity units have 64 segments; this chip's have the default segments; compile it with the chip's"},
		{p(func(q *chip.Program) { q.Config.Formats = q.Config.Formats[1:] }), `this chip declares the variable "w", which the program does not have; use a matching glemu on both sides`},
	}
	for i, tt := range tests {
		err := c.Fits(tt.p)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, tt.want)
		}
	}
}

func TestBodiesAndRequests(t *testing.T) {
	result := bytes.Repeat([]byte("abc"), 500)
	sp := AppendSpooled(nil, result, 100)
	if len(sp) != 100 {
		t.Fatalf("spooled body of %d bytes, want 100", len(sp))
	}
	b, err := ParseBody(sp)
	if err != nil || !b.Spooled || b.Length != 1500 || !bytes.Equal(b.Data, result[:91]) {
		t.Fatalf("ParseBody(spooled) = %+v, %v", b, err)
	}
	if b, err := ParseBody(AppendInline(nil, []byte("hi"))); err != nil || b.Spooled || string(b.Data) != "hi" {
		t.Fatalf("ParseBody(inline) = %+v, %v", b, err)
	}
	for _, q := range []Request{{Op: OpEcho, Data: []byte("ping")}, {Op: OpFetch, Offset: 7, N: 1000}, {Op: OpStage, Offset: 9, Data: []byte{0, 1, 2}}} {
		got, err := ParseRequest(AppendRequest(nil, q))
		if err != nil || !reflect.DeepEqual(got, q) {
			t.Errorf("request %+v: %+v, %v", q, got, err)
		}
	}
	data := []byte("snapshot")
	for _, staged := range []bool{false, true} {
		mem := Mem{Space: SpaceState, Index: 3, Var: "u"}
		vals := AppendValues(nil, EncRaw, Values{Raw: []int64{-1, 0, math.MaxInt64, math.MinInt64}})
		m, enc, a, err := ParseWriteMem(AppendWriteMem(nil, mem, EncRaw, vals, staged))
		if err != nil || m != mem || enc != EncRaw || a.Staged != staged {
			t.Fatalf("WRITE_MEM staged=%v: %v %v %+v %v", staged, m, enc, a, err)
		}
		if staged {
			if err := CheckStaged(a, vals); err != nil {
				t.Error(err)
			}
			if err := CheckStaged(a, data); err == nil {
				t.Error("CheckStaged accepts other bytes")
			}
		} else if !bytes.Equal(a.Data, vals) {
			t.Errorf("inline argument % x", a.Data)
		}
	}
	for _, v := range []Values{{Raw: []int64{1, -2, 3}}, {Float: []float64{0.5, math.Inf(-1), -0}}} {
		enc := EncRaw
		if v.Float != nil {
			enc = EncFloat
		}
		got, err := ParseValues(AppendValues(nil, enc, v), enc)
		if err != nil || !reflect.DeepEqual(got, v) {
			t.Errorf("values %v: %v, %v", v, got, err)
		}
	}
}

func TestRegisterRoundtrip(t *testing.T) {
	l := chip.Learning{Optimizer: chip.OptAdam, Weights: chip.ParamLearning{On: true, LR: chip.Reg{Raw: 12345, Exp: -7}, Eps: chip.Reg{Raw: 3, Exp: -30}},
		TauM: chip.ParamLearning{On: true, LR: chip.Reg{Raw: -1, Exp: 2}}, Momentum: 5, Beta1: 1 << 30, Beta2: 2 << 30, TauMMin: 1 << 16}
	vals := []RegValue{
		{Reg: RegSteps, Steps: 1<<40 + 3},
		{Reg: RegLearning, Learning: true},
		{Reg: RegShape, Shape: Shape{Contexts: 4, InputWidth: 3, OutputWidth: 2}},
		{Reg: RegLearningRegs, Learn: l},
		{Reg: RegHealth, Text: "all quiet"},
		{Reg: RegCost, Cost: chip.Cost{Tiles: []chip.TileCost{{Tile: 0, Forward: 1, Cycles: 9, WordsSent: 4}}, CyclesPerStep: 9, MaxStepRate: 2.2e7, EnergyPJ: 1.5, HopWords: 3}},
	}
	var regs []Reg
	var b []byte
	for _, v := range vals {
		regs = append(regs, v.Reg)
		b = AppendRegValue(b, v)
		w, err := ParseWriteReg(AppendWriteReg(nil, v))
		if err != nil || !reflect.DeepEqual(w, v) {
			t.Errorf("WRITE_REG %v: %+v, %v", v.Reg, w, err)
		}
	}
	got, err := ParseRegValues(b, regs)
	if err != nil || !reflect.DeepEqual(got, vals) {
		t.Fatalf("READ_REG result:\n got %+v, %v\nwant %+v", got, err, vals)
	}
	if len(AppendLearning(nil, l)) != LearningLen {
		t.Errorf("learning registers take %d bytes, LearningLen says %d", len(AppendLearning(nil, l)), LearningLen)
	}
	ids, err := ParseReadReg(AppendReadReg(nil, regs...))
	if err != nil || !reflect.DeepEqual(ids, regs) {
		t.Errorf("READ_REG: %v, %v", ids, err)
	}
}

func TestCountersRoundtrip(t *testing.T) {
	c := chip.Counters{Steps: 10, Host: chip.VarCount{Var: "host", Saturations: 2},
		Tiles: []chip.TileCounters{{Tile: 0, MACs: 100, Vars: []chip.VarCount{{Var: "u", Saturations: 3, Wraps: 1}}}, {Tile: 1, BusyCycles: 7}},
		Links: [][4]uint64{{1, 2, 3, 4}, {0, 0, 0, 9}}, Total: chip.TileCounters{Tile: -1, MACs: 100, BusyCycles: 7, Vars: []chip.VarCount{{Var: "u", Saturations: 3, Wraps: 1}}}}
	got, err := ParseCounters(AppendCounters(nil, c))
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("counters:\n got %+v, %v\nwant %+v", got, err, c)
	}
}

func TestProbesRoundtrip(t *testing.T) {
	probes := []chip.Probe{{Population: "h", Var: "u"}, {Population: "x", Var: "r", Neurons: []int{0, 2}, Contexts: []int{1}}}
	raw, got, err := ParseSetProbes(AppendSetProbes(nil, true, probes))
	if err != nil || !raw || !reflect.DeepEqual(got, probes) {
		t.Fatalf("SET_PROBES: %v %+v %v", raw, got, err)
	}
	infos := []ProbeInfo{{Pop: 1, Layer: 0, Var: "u", Neurons: []int{0, 1}, Contexts: []int{0, 1}}, {Pop: 1, Layer: 0, Var: "b", Neurons: []int{1}}}
	gi, err := ParseProbeInfos(AppendProbeInfos(nil, infos))
	if err != nil || !reflect.DeepEqual(gi, infos) || ProbeValues(infos) != 5 {
		t.Fatalf("SET_PROBES result: %+v %v", gi, err)
	}
	vals, raws := []float64{1, -2.5, 3, 4, 5}, []int64{1, -2, 3, 4, 1 << 50}
	gv, gr := make([]float64, 5), make([]int64, 5)
	step, err := ParseProbeRead(AppendProbeRead(nil, -1, true, vals, raws), true, gv, gr)
	if err != nil || step != -1 || !reflect.DeepEqual(gv, vals) || !reflect.DeepEqual(gr, raws) {
		t.Fatalf("READ_PROBES: %d %v %v %v", step, gv, gr, err)
	}
}

func testLayout() *Layout {
	in, _ := fixedpoint.DefaultTable().Lookup("rate_bus")
	out, _ := fixedpoint.DefaultTable().Lookup("r")
	return &Layout{Shape: Shape{Contexts: 2, InputWidth: 3, OutputWidth: 2}, In: in, Out: out, InBytes: 2, OutBytes: 2}
}

func TestStepRecords(t *testing.T) {
	l := testLayout()
	flags := RunInputs | RunTargets
	ins := []StepIn{
		{X: []int64{1, -1, 32767, -32768, 0, 5}, Mode: TargetValues, Y: []int64{-3, 4, 5, -32768}},
		{X: []int64{0, 0, 0, 0, 0, 1}, Mode: TargetLabels, Labels: []int{1, 0}},
		{X: []int64{2, 2, 2, 2, 2, 2}, Mode: TargetHold},
		{X: []int64{3, 3, 3, 3, 3, 3}, Mode: TargetNone},
	}
	var stream []byte
	for i := range ins {
		before := len(stream)
		stream = l.AppendStepIn(stream, flags, &ins[i])
		if n := len(stream) - before; n != l.InRecordLen(flags, ins[i].Mode) {
			t.Errorf("record %d takes %d bytes, InRecordLen says %d", i, n, l.InRecordLen(flags, ins[i].Mode))
		}
	}
	// Fed one byte at a time, the parser waits for whole records and finds them all.
	var got []StepIn
	var pending []byte
	for _, c := range stream {
		pending = append(pending, c)
		var in StepIn
		n, err := l.ParseStepIn(pending, flags, &in)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			got = append(got, in)
			pending = pending[n:]
		}
	}
	if len(got) != len(ins) || len(pending) != 0 {
		t.Fatalf("%d records parsed, %d bytes left", len(got), len(pending))
	}
	for i := range ins {
		w, g := ins[i], got[i]
		if !reflect.DeepEqual(w.X, g.X) || w.Mode != g.Mode || (w.Mode == TargetValues && !reflect.DeepEqual(w.Y, g.Y)) || (w.Mode == TargetLabels && !reflect.DeepEqual(w.Labels, g.Labels)) {
			t.Errorf("record %d: got %+v, want %+v", i, g, w)
		}
	}
	if _, err := l.ParseStepIn(append(make([]byte, 12), 9), flags, &StepIn{}); err == nil || err.Error() != "command: malformed payload: step record: byte 12: unknown target mode 9" {
		t.Errorf("bad mode: %v", err)
	}
	out := []int64{1, -2, 3, -4}
	rec := l.AppendStepOut(nil, RunOutputs|RunProbes, out, true, []float64{0.5}, []int64{7})
	o, v, r := make([]int64, 4), make([]float64, 1), make([]int64, 1)
	if n := l.ParseStepOut(rec[:len(rec)-1], RunOutputs|RunProbes, o, true, v, r); n != 0 {
		t.Errorf("a short record parsed (%d)", n)
	}
	if n := l.ParseStepOut(rec, RunOutputs|RunProbes, o, true, v, r); n != len(rec) || !reflect.DeepEqual(o, out) || v[0] != 0.5 || r[0] != 7 {
		t.Errorf("out record: n=%d %v %v %v", n, o, v, r)
	}
}

func TestParseFails(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"body kind", second(ParseBody([]byte{7})), "command: malformed payload: response: byte 0: unknown body kind 0x07"},
		{"spool too long", second(ParseBody(append([]byte{1, 1, 0, 0, 0, 0, 0, 0, 0}, 1, 2))), "command: malformed payload: response: byte 11: 2 first bytes of a 1-byte result"},
		{"op", second(ParseRequest([]byte{9})), "command: malformed payload: REQUEST: byte 0: unknown op 0x09; the board speaks ECHO, FETCH and STAGE"},
		{"fetch short", second(ParseRequest([]byte{2, 0, 0})), "command: malformed payload: REQUEST: byte 1: offset needs 4 bytes, 2 remain"},
		{"fetch long", second(ParseRequest(make([]byte, 10))), "command: malformed payload: REQUEST: byte 0: unknown op 0x00; the board speaks ECHO, FETCH and STAGE"},
		{"space", third(ParseReadMem([]byte{9, 0, 0, 0, 0})), "command: malformed payload: READ_MEM: byte 5: unknown memory space 9"},
		{"encoding", third(ParseReadMem([]byte{1, 0, 0, 0, 5})), "command: malformed payload: READ_MEM: byte 5: unknown encoding 5"},
		{"trailing", third(ParseReadMem([]byte{1, 0, 0, 0, 0, 0})), "command: malformed payload: READ_MEM: byte 5: 1 bytes after the end"},
		{"values count", second(ParseValues([]byte{200, 1}, EncFloat)), "command: malformed payload: values: byte 2: count 200 exceeds what the 0 remaining bytes hold"},
		{"run flags", second(ParseRun([]byte{1, 0, 0, 0, 0x30})), "command: malformed payload: RUN: byte 4: unknown flags 0x30"},
		{"data kind", fourth(ParseData([]byte{7, 0, 0})), "command: malformed payload: DATA: byte 3: unknown data kind 7"},
		{"register", second(ParseReadReg([]byte{1, 0x99})), "command: malformed payload: READ_REG: byte 1: unknown register 0x99"},
		{"no register", second(ParseReadReg(nil)), "command: malformed payload: READ_REG: no register named"},
		{"flag", second(ParseFlag("SET_LEARNING", []byte{2})), "command: malformed payload: SET_LEARNING: byte 0: flag is 2, want 0 or 1"},
		{"load begin", second(ParseLoadBegin(make([]byte, 10))), "command: malformed payload: LOAD_BEGIN: 10 bytes, want the 36 of an image header"},
		{"counters", second(ParseCounters([]byte{1})), "command: malformed payload: counters: byte 1: variable length needs 1 bytes, 0 remain"},
	}
	for _, tt := range tests {
		if tt.err == nil || tt.err.Error() != tt.want || !errors.Is(tt.err, ErrMalformed) {
			t.Errorf("%s:\n got %v\nwant %s", tt.name, tt.err, tt.want)
		}
	}
}

func second[A any](_ A, err error) error                 { return err }
func third[A, B any](_ A, _ B, err error) error          { return err }
func fourth[A, B, C any](_ A, _ B, _ C, err error) error { return err }
