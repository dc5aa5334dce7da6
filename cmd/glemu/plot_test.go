package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPlot: two logs become one PNG with a line per run; bad calls are refused before
// anything is written.
func TestPlot(t *testing.T) {
	dir := t.TempDir()
	p := func(s string) string { return filepath.Join(dir, s) }
	if _, err := execute(t, args("--epochs", "2", "--log", p("chip.jsonl"))...); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, args("--epochs", "1", "--backend", "float", "--log", p("float.jsonl"))...); err != nil {
		t.Fatal(err)
	}
	out, err := execute(t, "plot", p("chip.jsonl"), p("float.jsonl"), "--label", "chip", "--label", "float", "-o", p("c.png"))
	if err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile(p("c.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("c.png: %v", err)
	}
	if !bytes.Contains([]byte(out), []byte("chip: 2 epochs, test accuracy ")) || !bytes.Contains([]byte(out), []byte("float: 1 epochs, test accuracy ")) {
		t.Errorf("output:\n%s", out)
	}
	if err := os.WriteFile(p("bad.jsonl"), []byte("epoch 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args    []string
		want    string
		isUsage bool
	}{
		{[]string{"plot", p("chip.jsonl")}, "give the PNG file to write with -o FILE.png", true},
		{[]string{"plot", p("chip.jsonl"), "-o", p("c.svg")}, "-o " + p("c.svg") + ": the plot is a PNG; give a file name ending in .png", true},
		{[]string{"plot", p("chip.jsonl"), p("float.jsonl"), "--label", "chip", "-o", p("d.png")}, "1 --label for 2 logs; give one per log, in order, or none", true},
		{[]string{"plot", p("none.jsonl"), "-o", p("d.png")}, "plot: open " + p("none.jsonl") + ": no such file or directory; give the log files glemu train --log wrote", false},
		{[]string{"plot", p("bad.jsonl"), "-o", p("d.png")}, "plot: " + p("bad.jsonl") + ": train: log line 1 is not an epoch of glemu train --log: invalid character 'e' looking for beginning of value", false},
	} {
		_, err := execute(t, tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
			continue
		}
		if _, ok := err.(usageError); ok != tc.isUsage {
			t.Errorf("%v: usage error %v, want %v", tc.args, ok, tc.isUsage)
		}
	}
	if _, err := os.Stat(p("d.png")); err == nil {
		t.Error("a refused plot wrote d.png")
	}
}
