package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/trace"
)

// execute runs glemu with args, every flag reset to its default first (cobra keeps
// flag values between runs of one process).
func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var reset func(c *cobra.Command)
	reset = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				// Set appends to a slice flag once it has been set: empty it instead.
				_ = sv.Replace(nil)
			} else {
				_ = f.Value.Set(f.DefValue)
			}
			f.Changed = false
		})
		for _, sub := range c.Commands() {
			reset(sub)
		}
	}
	reset(rootCmd)
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	return out.String(), err
}

const ceNet = `{
  "format": "glemu-network", "version": 1, "name": "tiny-ce", "dt": 0.2, "seed": 5,
  "populations": [
    {"name": "x", "size": 2, "input": true},
    {"name": "h", "size": 3, "activation": "tanh", "bias": true, "tau_m": 1.2, "tau_r": [0.2, 0.2, 1.2]},
    {"name": "out", "size": 3, "activation": "identity", "tau_m": 1.2, "tau_r": 1.2, "output": true}
  ],
  "projections": [{"source": "x", "target": "h"}, {"source": "h", "target": "out"}],
  "loss": {"kind": "cross_entropy", "beta": 1},
  "learning": {"optimizer": {"kind": "adam", "lr": 0.01}, "weights": true, "biases": true}
}`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRunWritesTheReferenceTrace: glemu run's trace equals the trace of the same run
// through package gle, and the VCD is written.
func TestRunWritesTheReferenceTrace(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"net.json":   ceNet,
		"in.csv":     "a,b,context\n0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,0\n0.7,0.8,1\n0.9,1.0,0\n1.1,1.2,1\n",
		"labels.csv": "label,context\n0,0\n2,1\n1,0\n2,1\n1,0\n0,1\n",
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	out, err := execute(t, "run", "--backend", "float", "--net", p("net.json"), "--input", p("in.csv"), "--target", p("labels.csv"),
		"--trace", p("t.csv.gz"), "--vcd", p("t.vcd"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "ran tiny-ce for 3 steps on 2 context(s) on the float reference; trace in " + p("t.csv.gz") + ", waveforms in " + p("t.vcd") + "\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	got, err := trace.ReadFile(p("t.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}

	nw, _ := network.Load(p("net.json"))
	n, _ := gle.New(nw, nil, 2)
	var want []trace.Record
	emit := func(r trace.Record) error { r.LayerName = ""; want = append(want, r); return nil }
	_ = n.TraceParams(-1, emit)
	xs := [][]float64{{0.1, 0.2, 0.3, 0.4}, {0.5, 0.6, 0.7, 0.8}, {0.9, 1.0, 1.1, 1.2}}
	ls := [][]int{{0, 2}, {1, 2}, {1, 0}}
	for k := range 3 {
		if err := n.StepLabels(xs[k], ls[k]); err != nil {
			t.Fatal(err)
		}
		_ = n.TraceStep(emit)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	vcd, err := os.ReadFile(p("t.vcd"))
	if err != nil || !strings.Contains(string(vcd), "$timescale 100 ms $end") || !strings.Contains(string(vcd), "\n#4\n") {
		t.Errorf("VCD %q, %v", vcd, err)
	}
}

func TestRunNamesAndZeroInput(t *testing.T) {
	dir := writeFiles(t, map[string]string{"net.json": ceNet})
	p := func(n string) string { return filepath.Join(dir, n) }
	if _, err := execute(t, "run", "--backend", "float", "--net", p("net.json"), "--steps", "2", "--contexts", "3", "--names", "--trace", p("t.csv")); err != nil {
		t.Fatal(err)
	}
	recs, err := trace.ReadFile(p("t.csv"))
	if err != nil {
		t.Fatal(err)
	}
	sawName, sawCtx2 := false, false
	for _, r := range recs {
		sawName = sawName || r.LayerName == "out"
		sawCtx2 = sawCtx2 || (r.Var == "x" && r.B == 2)
		if r.Var == "x" && r.Value != 0 {
			t.Fatal("input without --input is not 0")
		}
	}
	if !sawName || !sawCtx2 {
		t.Errorf("names %v, context 2 %v", sawName, sawCtx2)
	}
}

func TestRunErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"net.json":  ceNet,
		"bad.json":  strings.Replace(ceNet, `"tau_m": 1.2, "tau_r": 1.2`, `"tau_m": 0.1, "tau_r": 1.2`, 1),
		"in1.csv":   "a\n1\n",
		"in2.csv":   "a,b\n1,2\n3,4\n",
		"inc.csv":   "a,b,context\n1,2,0\n3,4,1\n",
		"tgt.csv":   "p,q\n1,0\n",
		"short.csv": "a,b\n1,2\n",
		"junk.csv":  "a,b\n1,x\n",
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	usage := func(err error) bool { return errors.As(err, new(usageError)) }
	cases := []struct {
		args    []string
		want    string
		isUsage bool
	}{
		{[]string{"run", "--steps", "3", "--trace", p("t.csv")}, "--net is required: the network file to run", true},
		{[]string{"run", "--net", p("net.json"), "--steps", "3"}, "--trace is required: the CSV file to write the trace to", true},
		{[]string{"run", "--net", p("net.json"), "--trace", p("t.csv")}, "--steps is required without --input", true},
		{[]string{"run", "--net", p("net.json"), "--steps", "-2", "--trace", p("t.csv")}, "--steps -2: give a positive number of steps", true},
		{[]string{"run", "--net", p("net.json"), "--steps", "2", "--trace", p("t.csv"), "--backend", "float", "--device", "emu"}, "--device emu selects the chip backend's device; it cannot be used with --backend float", true},
		{[]string{"run", "--net", p("net.json"), "--steps", "2", "--trace", p("t.csv"), "--backend", "fpga"}, `unknown backend "fpga"; use --backend chip or float`, true},
		{[]string{"run", "--net", p("net.json"), "--steps", "2", "--trace", p("t.csv"), "--device", "tcp://x"}, `host: device "tcp://x": want emu, serial:///PATH[?baud=RATE] or a device path such as /dev/ttyUSB0`, false},
		{[]string{"run", "--net", p("missing.json"), "--steps", "2", "--trace", p("t.csv")}, "network: open " + p("missing.json") + ": no such file or directory", false},
		{[]string{"run", "--net", p("bad.json"), "--steps", "2", "--trace", p("t.csv")}, `network: population "out": tau_m 0.1 is below dt 0.2; raise tau_m or lower dt (in ` + p("bad.json") + ")", false},
		{[]string{"run", "--net", p("net.json"), "--input", p("in1.csv"), "--trace", p("t.csv")}, "--input " + p("in1.csv") + " has 1 columns; the network takes 2 inputs", false},
		{[]string{"run", "--net", p("net.json"), "--input", p("in2.csv"), "--target", p("tgt.csv"), "--trace", p("t.csv")}, "--target " + p("tgt.csv") + ` has 2 columns; the network has 3 outputs (a cross-entropy network also takes one "label" column)`, false},
		{[]string{"run", "--net", p("net.json"), "--input", p("inc.csv"), "--contexts", "3", "--trace", p("t.csv")}, "--input has 2 contexts per step, but 3 contexts run; make them agree", true},
		{[]string{"run", "--net", p("net.json"), "--input", p("short.csv"), "--steps", "5", "--trace", p("t.csv")}, "--input has 1 steps, fewer than the 5 to run; give a longer stream or fewer --steps", true},
		{[]string{"run", "--net", p("net.json"), "--input", p("junk.csv"), "--trace", p("t.csv")}, `trace: stream: line 2: column 2: "x" is not a number (in ` + p("junk.csv") + ")", false},
		{[]string{"run", "--net", p("net.json"), "--steps", "1", "--trace", filepath.Join(dir, "no", "such", "dir.csv")}, "open " + filepath.Join(dir, "no", "such", "dir.csv") + ": no such file or directory", false},
	}
	for _, c := range cases {
		_, err := execute(t, c.args...)
		if err == nil || err.Error() != c.want || usage(err) != c.isUsage {
			t.Errorf("glemu %s:\n got %v (usage error: %v)\nwant %s (usage error: %v)", strings.Join(c.args, " "), err, err != nil && usage(err), c.want, c.isUsage)
		}
	}
}
