package compiler_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/network"
)

// FuzzCompile: whatever the graph file holds, Check and Compile never panic; a program
// Compile returns loads.
func FuzzCompile(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.net.json")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(base))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := network.Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, q := range n.Populations {
			if q.Size > 512 {
				return // valid maybe, but too large for every fuzz input
			}
		}
		if n.DenseParams() > 1<<14 {
			return
		}
		opt := compiler.Options{Config: smallChip(2, 3, 16, 12), AnnealMoves: 100}
		compiler.Check(n, opt)
		res, err := compiler.Compile(n, opt)
		if err != nil {
			return
		}
		if err := res.Program.Validate(); err != nil {
			t.Fatalf("Compile returned a program that does not validate: %v", err)
		}
	})
}
