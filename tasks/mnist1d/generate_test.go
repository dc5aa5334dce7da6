package mnist1d

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// goldenHead is one row of testdata/mnist1d-*-head.csv: the first training samples of
// the original generator's data set (seed 42, after normalisation), copied from
// shared/golden. These files are the reference, not our output: they are never
// regenerated.
type goldenHead struct {
	index int
	label int
	x     []float64
}

func readGoldenHead(t *testing.T, name string, length int) []goldenHead {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if want := 3 + length; len(records[0]) != want {
		t.Fatalf("%s: header has %d columns, want %d", name, len(records[0]), want)
	}
	var rows []goldenHead
	for _, rec := range records[1:] {
		if rec[1] != "train" {
			t.Fatalf("%s: split %q, want train", name, rec[1])
		}
		r := goldenHead{x: make([]float64, length)}
		if r.index, err = strconv.Atoi(rec[0]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.label, err = strconv.Atoi(rec[2]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range r.x {
			if r.x[i], err = strconv.ParseFloat(rec[3+i], 64); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// generateDefault returns the default data set at the given final length.
func generateDefault(t testing.TB, length int) *Dataset {
	t.Helper()
	cfg := DefaultConfig()
	cfg.FinalSeqLength = length
	d, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestGoldenHeads(t *testing.T) {
	for _, tc := range []struct {
		file    string
		length  int
		samples int
	}{
		{"mnist1d-40-head.csv", 40, 20},
		{"mnist1d-360-head.csv", 360, 50},
	} {
		t.Run(fmt.Sprint("len=", tc.length), func(t *testing.T) {
			golden := readGoldenHead(t, tc.file, tc.length)
			if len(golden) != tc.samples {
				t.Fatalf("%s holds %d samples, want %d", tc.file, len(golden), tc.samples)
			}
			d := generateDefault(t, tc.length)
			var worst float64
			for _, g := range golden {
				if got := d.TrainY[g.index]; got != g.label {
					t.Errorf("train sample %d: label %d, want %d", g.index, got, g.label)
				}
				x := d.Train(g.index)
				for i, want := range g.x {
					diff := math.Abs(x[i] - want)
					worst = math.Max(worst, diff)
					if !(diff <= 1e-9) {
						t.Errorf("train sample %d point %d: %.17g, want %.17g (off by %.3g)", g.index, i, x[i], want, diff)
					}
				}
			}
			t.Logf("largest difference from the original over %d samples: %.3g", len(golden), worst)
		})
	}
}
