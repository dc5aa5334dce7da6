package compiler_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/network"
)

func ExampleCompile() {
	b := network.NewBuilder("example", 0.2).Seed(1)
	b.Input("x", 40)
	b.Population("h", 300, "tanh", network.Tau(1.2, 0.2), network.WithBias())
	b.Population("out", 10, "identity", network.Tau(1.2, 1.2), network.AsOutput())
	b.Project("x", "h").Project("h", "out")
	b.Loss(network.LossCrossEntropy, 1)
	n, err := b.Network()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := compiler.Compile(n, compiler.Options{Config: chip.DefaultConfig()})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := res.Report
	fmt.Println("tiles used:", r.TilesUsed)
	for _, w := range r.Weights {
		fmt.Printf("%s → %s: %d blocks on tiles %v\n", w.Source, w.Target, w.Blocks, w.Tiles)
	}
	c, err := chip.New(res.Program)
	fmt.Println("loads:", err == nil, "inputs:", c.InputWidth(), "outputs:", c.OutputWidth())
	// Output:
	// tiles used: 2
	// x → h: 2 blocks on tiles [5 6]
	// h → out: 2 blocks on tiles [5 6]
	// loads: true inputs: 40 outputs: 10
}

func ExampleCheck() {
	b := network.NewBuilder("too-big", 0.2)
	b.Input("x", 1200)
	b.Population("out", 1200, "identity", network.Tau(1.2, 1.2), network.AsOutput())
	b.Project("x", "out").Loss(network.LossMSE, 1)
	n, _ := b.Network()
	for _, f := range compiler.Check(n, compiler.Options{Config: chip.DefaultConfig()}) {
		fmt.Println(f)
	}
	// Output:
	// GLE007 error: projection 0 (x → out): fan-in 1200 into 1200 neurons needs 25 crossbars of 256×256 even after splitting (5 row × 5 column chunks); the mesh has 16 tiles; use a mesh of at least 25 tiles, or crossbars of at least 400 inputs (InputsPerNeuron)
	// GLE008 error: the network needs 25 tiles; the 4×4 mesh has 16; use a mesh of at least 25 tiles (e.g. 5×5), or larger tiles (NeuronsPerTile, InputsPerNeuron)
}

// TestDocListsEveryRule keeps docs/compiler.md in step with the registry.
func TestDocListsEveryRule(t *testing.T) {
	b, err := os.ReadFile("../docs/compiler.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range compiler.Rules() {
		if !strings.Contains(string(b), "| "+r.ID+" | "+r.Name+" |") {
			t.Errorf("docs/compiler.md lacks a row for %s (%s)", r.ID, r.Name)
		}
	}
}
