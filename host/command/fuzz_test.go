package command

import (
	"reflect"
	"testing"
)

// FuzzParse: no decoder panics on any input, and whatever one accepts encodes to
// bytes it decodes to the same value (a round trip through the canonical form).
func FuzzParse(f *testing.F) {
	h, _ := AppendHello(nil, boardHello())
	f.Add(h)
	f.Add(AppendSpooled(nil, []byte("result"), 12))
	f.Add(AppendRequest(nil, Request{Op: OpFetch, Offset: 1, N: 2}))
	f.Add(AppendWriteMem(nil, Mem{Space: SpaceState, Index: 1, Var: "u"}, EncRaw, AppendValues(nil, EncRaw, Values{Raw: []int64{-5, 7}}), false))
	f.Add(AppendSetProbes(nil, true, nil))
	f.Add(AppendRun(nil, Run{Steps: 3, Flags: RunInputs}))
	f.Add([]byte{1, 2, 3, 0x10})
	l := testLayout()
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseHello(b); err == nil && h.Version == Version {
			b2, err := AppendHello(nil, h)
			if err != nil {
				t.Fatalf("accepted HELLO does not encode: %v", err)
			}
			if h2, err := ParseHello(b2); err != nil || !reflect.DeepEqual(h2, h) {
				t.Fatalf("HELLO round trip: %+v, %v", h2, err)
			}
		}
		if q, err := ParseRequest(b); err == nil {
			if q2, err := ParseRequest(AppendRequest(nil, q)); err != nil || !reflect.DeepEqual(q2, q) {
				t.Fatalf("REQUEST round trip: %+v %v", q2, err)
			}
		}
		ParseBody(b)
		ParseLoadBegin(b)
		ParseLoadChunk(b)
		ParseShape(b)
		ParseReadReg(b)
		ParseWriteReg(b)
		if m, enc, err := ParseReadMem(b); err == nil {
			if m2, enc2, err := ParseReadMem(AppendReadMem(nil, m, enc)); err != nil || m2 != m || enc2 != enc {
				t.Fatalf("READ_MEM round trip")
			}
		}
		ParseWriteMem(b)
		for _, enc := range []Encoding{EncRaw, EncFloat} {
			if v, err := ParseValues(b, enc); err == nil {
				if v2, err := ParseValues(AppendValues(nil, enc, v), enc); err != nil || v2.Len() != v.Len() {
					t.Fatalf("values round trip")
				}
			}
		}
		if q, err := ParseRun(b); err == nil {
			if q2, err := ParseRun(AppendRun(nil, q)); err != nil || q2 != q {
				t.Fatalf("RUN round trip")
			}
		}
		ParseRunResult(b)
		ParseData(b)
		ParseLearning(b)
		if c, err := ParseCounters(b); err == nil {
			if c2, err := ParseCounters(AppendCounters(nil, c)); err != nil || !reflect.DeepEqual(c2, c) {
				t.Fatalf("counters round trip: %v", err)
			}
		}
		ParseCountersRequest(b)
		ParseFlag("flag", b)
		ParseSetProbes(b)
		ParseProbeInfos(b)
		vals, raws := make([]float64, 3), make([]int64, 3)
		ParseProbeRead(b, true, vals, raws)
		ParseArgument("arg", b)
		var in StepIn
		for _, flags := range []RunFlags{RunInputs, RunTargets, RunInputs | RunTargets} {
			l.ParseStepIn(b, flags, &in)
		}
		l.ParseStepOut(b, RunOutputs|RunProbes, make([]int64, 4), true, vals, raws)
	})
}
