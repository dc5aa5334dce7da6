package main

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glemu/glemu/bench"
)

func TestBenchCommand(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }

	out, err := execute(t, "bench", "--list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mnist1d/contexts=100/learn", "mesh/tiles=16/neurons=256/contexts=1/learn", "compile/synapses=1e7",
		"stream/firmware-sim/baud=3000000", "by name", "--plot"} {
		if !strings.Contains(out, want) {
			t.Errorf("--list lacks %q:\n%s", want, out)
		}
	}

	out, err = execute(t, "bench", "--quick", "kernel/OuterSum/rows=53/cols=53/contexts=100", "mnist1d/contexts=1/learn",
		"--json", p("r.json"), "--plot", p("curves.png"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"baselines: plain-Go scalar", "quick run: one unit per workload", "mnist1d/contexts=1/learn",
		"mesh/tiles=16/neurons=32/contexts=1/learn", "chip÷float", "results written to " + p("r.json"), "scaling curves written to " + p("curves.png")} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(p("r.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := bench.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := rep.Find("mnist1d/contexts=1/learn"); !ok || r.StepsPerSec <= 0 || r.VsFloat <= 0 || !rep.Quick {
		t.Errorf("JSON report: %+v", r)
	}
	if b, err := os.ReadFile(p("curves.png")); err != nil {
		t.Error(err)
	} else if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("curves.png: %v", err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "nosuch"}, `bench: no workload "nosuch"`},
		{[]string{"bench", "--min-reps", "0"}, "--min-reps 0, --max-reps 30: want 1 ≤ min ≤ max"},
		{[]string{"bench", "--workers", "0"}, "--workers 0: want at least 1"},
		{[]string{"bench", "--time", "0s"}, "--time and --rep-time must be positive"},
	} {
		_, err := execute(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, new(usageError)) {
			t.Errorf("%v: %v; want a usage error %q", c.args[1:], err, c.want)
		}
	}
}
