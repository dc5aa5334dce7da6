package compiler_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/image"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/network"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenCases are the networks whose compilation is pinned: the spec's MNIST-1D network
// on the reference chip, a recurrent cross-entropy graph with two inputs on small
// tiles (populations and projections split), and a sparse, pinned, hinted network.
var goldenCases = []struct {
	name string
	opt  compiler.Options
}{
	{"mnist1d", compiler.Options{}},
	{"recurrent", compiler.Options{Config: smallChip(4, 4, 32, 24), Contexts: 4, Seed: 7}},
	{"sparse", compiler.Options{Config: smallChip(4, 4, 32, 24), Seed: 1}},
}

func compileGolden(t *testing.T, name string, opt compiler.Options) (img, report, manifest []byte) {
	t.Helper()
	n, err := network.Load(filepath.Join("testdata", name+".net.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(n, opt)
	if err != nil {
		t.Fatal(err)
	}
	img, err = image.AppendImage(nil, res.Program)
	if err != nil {
		t.Fatal(err)
	}
	report, err = json.MarshalIndent(res.Report, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	manifest, err = json.MarshalIndent(res.Manifest, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return img, append(report, '\n'), append(manifest, '\n')
}

// TestGolden: the three networks compile to the same image bytes, report and manifest
// every time (go test ./compiler -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			img, rep, man := compileGolden(t, c.name, c.opt)
			img2, rep2, man2 := compileGolden(t, c.name, c.opt)
			if !bytes.Equal(img, img2) || !bytes.Equal(rep, rep2) || !bytes.Equal(man, man2) {
				t.Fatal("two compilations of the same network differ")
			}
			for _, f := range []struct {
				ext  string
				data []byte
			}{{".img.golden", img}, {".report.golden", rep}, {".manifest.golden", man}} {
				path := filepath.Join("testdata", c.name+f.ext)
				if *update {
					if err := os.WriteFile(path, f.data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(f.data, want) {
					t.Errorf("%s differs from the golden file (run with -update if the change is intended)", path)
				}
			}
			// The image loads back to the same program and onto the chip.
			p, _, err := image.Parse(img)
			if err != nil {
				t.Fatal(err)
			}
			c, err := chip.New(p)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		})
	}
}
