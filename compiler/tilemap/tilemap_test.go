package tilemap_test

import (
	"bytes"
	"image/png"
	"path/filepath"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/compiler/tilemap"
	"github.com/glemu/glemu/network"
)

// TestTileMap draws the recurrent test network's map: a PNG of the mesh's size.
func TestTileMap(t *testing.T) {
	n, err := network.Load("../testdata/recurrent.net.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := chip.DefaultConfig()
	cfg.NeuronsPerTile, cfg.InputsPerNeuron = 32, 24
	res, err := compiler.Compile(n, compiler.Options{Config: cfg, Contexts: 4, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiles.png")
	if err := tilemap.Save(path, res.Report); err != nil {
		t.Fatal(err)
	}
	b, err := tilemap.EncodePNG(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w < 400 || h < 400 {
		t.Errorf("tile map of %d×%d pixels for a 4×4 mesh", w, h)
	}
	if _, err := tilemap.EncodePNG(&compiler.Report{}); err == nil {
		t.Error("an empty report drew")
	}
}
