package command

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/trace"
)

func tinyProgram(t testing.TB, contexts int) *chip.Program {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "tiny.net.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	net, err := network.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: contexts})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMachineNeedsAProgram(t *testing.T) {
	var m Machine
	_, err1 := m.ReadReg(RegSteps)
	_, err2 := m.ReadMem(Mem{Space: SpaceWeights}, EncRaw)
	_, err3 := m.SetProbes(false, nil)
	_, err4 := m.Snapshot()
	for i, err := range []error{m.Loaded(), err1, err2, err3, err4, m.Step(&StepIn{}), m.Reset(false), m.WriteReg(RegValue{})} {
		if !errors.Is(err, ErrNoProgram) || err.Error() != "command: no program loaded; load an image (or restore a snapshot) first" {
			t.Errorf("%d: %v", i, err)
		}
	}
}

// Probes sampled by the Machine and written the host's way equal the chip's own probe
// records; Reset puts everything back to the start.
func TestMachineProbesAndReset(t *testing.T) {
	p := tinyProgram(t, 2)
	var m Machine
	if err := m.Load(p); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ref, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	probes := []chip.Probe{{Population: "h", Var: "u"}, {Population: "h", Var: "b", Neurons: []int{1, 4}}, {Population: "x", Var: "r", Contexts: []int{1}}}
	var want bytes.Buffer
	wcsv := trace.NewCSVWriter(&want, true)
	if err := ref.SetProbes(chip.ProbeOutput{CSV: wcsv, Raw: true}, probes...); err != nil {
		t.Fatal(err)
	}
	infos, err := m.SetProbes(true, probes)
	if err != nil {
		t.Fatal(err)
	}
	if n := ProbeValues(infos); n != 6*2+2+3 {
		t.Fatalf("%d probe values per step", n)
	}
	vals, raws := make([]float64, ProbeValues(infos)), make([]int64, ProbeValues(infos))
	in := StepIn{X: make([]int64, 6), Mode: TargetValues, Y: make([]int64, 4)}
	var got []float64
	for k := range 20 {
		for i := range in.X {
			in.X[i] = int64((k*7 + i*13) % 4096)
		}
		for i := range in.Y {
			in.Y[i] = int64(i * 100)
		}
		if err := m.Step(&in); err != nil {
			t.Fatal(err)
		}
		ref.SetInputRaw(in.X)
		ref.SetTargetRaw(in.Y)
		if err := ref.Step(); err != nil {
			t.Fatal(err)
		}
		if err := m.SampleProbes(vals, raws); err != nil {
			t.Fatal(err)
		}
		got = append(got, vals...)
	}
	wcsv.Flush()
	recs, err := trace.ReadAll(&want)
	if err != nil {
		t.Fatal(err)
	}
	var wantVals []float64
	for _, r := range recs {
		if r.Var != "u_raw" && r.Var != "b_raw" && r.Var != "r_raw" {
			wantVals = append(wantVals, r.Value)
		}
	}
	if !reflect.DeepEqual(got, wantVals) {
		t.Fatalf("probe values differ from the chip's own probes (%d vs %d values)", len(got), len(wantVals))
	}
	if !reflect.DeepEqual(m.Output(nil), ref.OutputRaw(nil)) {
		t.Error("outputs differ")
	}
	if err := m.Reset(false); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.ReadReg(RegSteps); v.Steps != 0 {
		t.Errorf("%d steps after Reset", v.Steps)
	}
	if ps, _ := m.Probes(); ps != nil {
		t.Error("probes survive Reset")
	}
	if err := m.Reset(true); err != nil || m.Loaded() == nil {
		t.Errorf("unload: %v, loaded %v", err, m.Loaded())
	}
}

func TestMachineRefuses(t *testing.T) {
	p := tinyProgram(t, 2)
	small := chip.DefaultConfig()
	small.MaxContexts = 1
	board := ChipOf(small)
	m := Machine{Board: &board}
	if err := m.Load(p); err == nil || err.Error() != "command: the program runs 2 contexts; this chip holds at most 1; compile it with --contexts 1 or fewer" {
		t.Errorf("Load on a small board: %v", err)
	}
	var ok Machine
	ok.Load(p)
	defer ok.Close()
	tests := []struct {
		err  error
		want string
	}{
		{ok.WriteReg(RegValue{Reg: RegSteps}), "command: register STEPS is read only; only LEARNING_REGS is written (SET_LEARNING switches learning)"},
		{ok.WriteMem(Mem{Space: SpaceCrossbar}, EncRaw, Values{}), "command: crossbar is read only; write the weights (the crossbar follows them)"},
		{second(ok.ReadMem(Mem{Space: SpaceCrossbar}, EncFloat)), "command: the crossbar cells are read raw only"},
		{second(ok.SetProbes(false, []chip.Probe{{Population: "nope", Var: "u"}})), `command: probe: no population "nope"`},
		{second(ok.SetProbes(false, []chip.Probe{{Population: "h", Var: "u", Neurons: []int{6}}})), `command: probe: population "h" has no neuron 6 (size 6)`},
		{second(ok.SetProbes(false, []chip.Probe{{Population: "h", Var: "u", Contexts: []int{2}}})), "command: probe: context 2 does not exist (2 contexts)"},
		{ok.Step(&StepIn{Mode: TargetLabels, Labels: []int{0, 5}}), "chip: label 5 of context 1 is outside 0…1"},
	}
	for i, tt := range tests {
		if tt.err == nil || tt.err.Error() != tt.want {
			t.Errorf("%d:\n got %v\nwant %s", i, tt.err, tt.want)
		}
	}
}
