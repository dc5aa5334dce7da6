package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/image"
	"github.com/glemu/glemu/compiler"
)

func TestCompileCommand(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"net.json":    ceNet,
		"chip.json":   `{"rows": 2, "cols": 2, "neurons_per_tile": 4, "inputs_per_neuron": 4}`,
		"bad.json":    strings.Replace(ceNet, `"tanh"`, `"gelu"`, 1),
		"badcfg.json": `{"rows": 2, "colz": 2}`,
		"samples.csv": "x0,x1\n0.5,-0.5\n1,0\n-1,0.25\n",
	})
	p := func(name string) string { return filepath.Join(dir, name) }

	out, err := execute(t, "compile", p("net.json"), "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tiny-ce on a 4×4 mesh", "tiles used: 1 of 16", "run SQNR", "cycles per step:", "dry run: nothing written"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}

	out, err = execute(t, "compile", p("net.json"), "-o", p("net.img"), "--config", p("chip.json"), "--mesh", "3x3",
		"--report", p("r.json"), "--plot", p("tiles.png"), "--mem", p("mem"), "--samples", p("samples.csv"), "--contexts", "2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "on a 3×3 mesh (4 neurons × 4 inputs per tile") || !strings.Contains(out, "quantization (samples ranges)") {
		t.Errorf("output:\n%s", out)
	}
	prog, err := image.Load(p("net.img"))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := chip.New(prog); err != nil {
		t.Fatalf("the written image does not load: %v", err)
	} else {
		c.Close()
	}
	var rep compiler.Report
	b, err := os.ReadFile(p("r.json"))
	if err != nil || json.Unmarshal(b, &rep) != nil || rep.Contexts != 2 || rep.TilesUsed < 2 {
		t.Errorf("report %s: %v %+v", p("r.json"), err, rep)
	}
	for _, f := range []string{"net.manifest.json", "tiles.png", "mem/mem.json"} {
		if _, err := os.Stat(p(f)); err != nil {
			t.Error(err)
		}
	}

	// Every violation at once, exit status 1; bad flags, exit status 2.
	_, err = execute(t, "compile", p("bad.json"), "--dry-run", "--contexts", "999")
	var ce *compiler.CheckError
	if !errors.As(err, &ce) || len(ce.Findings) < 2 || errors.As(err, new(usageError)) {
		t.Errorf("compile of a bad network: %v", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compile", p("net.json")}, "give -o FILE for the image, or --dry-run"},
		{[]string{"compile", p("net.json"), "--dry-run", "--mesh", "4"}, `--mesh "4": give ROWSxCOLS`},
		{[]string{"compile", p("net.json"), "--dry-run", "--config", p("badcfg.json")}, `unknown field "colz"`},
		{[]string{"compile", p("net.json"), "--dry-run", "--targets", p("samples.csv")}, "--targets needs --samples"},
		{[]string{"compile"}, "compile takes one network file, got 0 arguments"},
	} {
		_, err := execute(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args[1:], err, c.want)
		}
	}
}
