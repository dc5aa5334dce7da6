package tasks

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/glemu/glemu/network"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestMNIST1DNetworkFile: testdata/mnist1d.net.json is the paper's network as
// MNIST1DNetwork(53, 1) builds it, byte for byte (regenerate with -update).
func TestMNIST1DNetworkFile(t *testing.T) {
	nw, err := MNIST1DNetwork(MNIST1DWidth, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := network.Encode(&got, nw); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "mnist1d.net.json")
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("MNIST1DNetwork(53, 1) differs from %s; if the change is meant, run go test ./tasks -update", path)
	}
	// The file reads back to the same network.
	back, err := network.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := network.Encode(&again, back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), want) {
		t.Error("the file does not read back to itself")
	}
}

// TestMNIST1DNetworkFollowsTheSpec checks spec section 6 item by item.
func TestMNIST1DNetworkFollowsTheSpec(t *testing.T) {
	nw, err := MNIST1DNetwork(MNIST1DWidth, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := nw.NumParams(); got != 14956 {
		t.Errorf("%d parameters, want 14956", got)
	}
	if nw.Dt != 0.2 || nw.Errors != network.ErrorsProspective || nw.Loss.Kind != network.LossCrossEntropy || nw.Loss.Beta != 1 {
		t.Errorf("dt %v, errors %q, loss %+v", nw.Dt, nw.Errors, nw.Loss)
	}
	l := nw.Learning
	if o := l.Optimizer; o.Kind != network.OptimizerAdam || o.LR != 1e-3 || o.Beta1 != 0.9 || o.Beta2 != 0.999 || o.Eps != 1e-8 ||
		!l.Weights || !l.Biases || l.TauM || l.Plateau == nil || l.Plateau.Factor != 0.5 || l.Plateau.Patience != 2 {
		t.Errorf("learning %+v, plateau %+v", l, l.Plateau)
	}
	if len(nw.Populations) != 8 || len(nw.Projections) != 7 || nw.InputWidth() != 1 || nw.OutputWidth() != 10 {
		t.Fatalf("%d populations, %d projections, %d inputs, %d outputs", len(nw.Populations), len(nw.Projections), nw.InputWidth(), nw.OutputWidth())
	}
	for l := 1; l <= 6; l++ {
		p := nw.Populations[l]
		act := "tanh"
		if l == 1 {
			act = "identity"
		}
		if p.Size != 53 || p.Activation != act || !p.Bias || p.Gamma != 0 {
			t.Errorf("layer %s: %+v", p.Name, p)
		}
		for i := range 53 {
			wantM, wantR := 1.2, 1.2
			switch {
			case i < 18:
				wantM, wantR = 0.6, 0.2
			case i < 36:
				wantR = 0.2
			}
			if p.TauM[i] != wantM || p.TauR[i] != wantR {
				t.Fatalf("layer %s unit %d: τm %v τr %v, want %v %v", p.Name, i, p.TauM[i], p.TauR[i], wantM, wantR)
			}
		}
	}
	out := nw.Populations[7]
	if !out.Output || out.Activation != "identity" || out.TauM[0] != 1.2 || out.TauR[9] != 1.2 {
		t.Errorf("output %+v", out)
	}
}

func TestMNIST1DNetworkWidths(t *testing.T) {
	cases := []struct {
		width, params int
		groups        [3]int
		err           string
	}{
		{width: 53, params: 14956, groups: [3]int{18, 18, 17}},
		{width: 90, params: 42040, groups: [3]int{30, 30, 30}},
		{width: 4, params: 158, groups: [3]int{2, 1, 1}},
		{width: 3, params: 106, groups: [3]int{1, 1, 1}},
		{width: 2, err: "tasks: MNIST-1D width 2; give 3 … 4096 units per hidden layer (the paper: 53)"},
		{width: 5000, err: "tasks: MNIST-1D width 5000; give 3 … 4096 units per hidden layer (the paper: 53)"},
	}
	for _, c := range cases {
		nw, err := MNIST1DNetwork(c.width, 7)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("width %d: error %v, want %s", c.width, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := nw.NumParams(); got != c.params || got != 5*c.width*c.width+17*c.width+10 {
			t.Errorf("width %d: %d parameters, want %d", c.width, got, c.params)
		}
		var g [3]int
		h := nw.Populations[3]
		for i := range c.width {
			switch {
			case h.TauM[i] == 0.6 && h.TauR[i] == 0.2:
				g[0]++
			case h.TauM[i] == 1.2 && h.TauR[i] == 0.2:
				g[1]++
			case h.TauM[i] == 1.2 && h.TauR[i] == 1.2:
				g[2]++
			}
		}
		if g != c.groups || nw.Seed != 7 {
			t.Errorf("width %d: groups %v, want %v; seed %d", c.width, g, c.groups, nw.Seed)
		}
	}
}

func TestNewMNIST1D(t *testing.T) {
	d, err := NewMNIST1D()
	if err != nil {
		t.Fatal(err)
	}
	if d.NumTrain() != 4000 || d.NumTest() != 1000 || d.Length != 360 || d.Classes != 10 || d.Check() != nil {
		t.Fatalf("%d+%d samples of %d, %d classes: %v", d.NumTrain(), d.NumTest(), d.Length, d.Classes, d.Check())
	}
	h := d.Head(30, 5)
	if h.NumTrain() != 30 || h.NumTest() != 5 || &h.TrainX[0] != &d.TrainX[0] || h.TestY[4] != d.TestY[4] || h.Check() != nil {
		t.Errorf("Head(30, 5): %d+%d", h.NumTrain(), h.NumTest())
	}
	if h := d.Head(9999, -1); h.NumTrain() != 4000 || h.NumTest() != 0 {
		t.Errorf("Head(9999, −1): %d+%d", h.NumTrain(), h.NumTest())
	}
}

func TestSequencesCheck(t *testing.T) {
	ok := func() *Sequences {
		return &Sequences{Name: "s", Length: 2, Classes: 3, TrainX: []float64{1, 2, 3, 4}, TrainY: []int{0, 2}, TestX: []float64{5, 6}, TestY: []int{1}}
	}
	cases := []struct {
		edit func(s *Sequences)
		err  string
	}{
		{func(s *Sequences) {}, ""},
		{func(s *Sequences) { s.Length = 0 }, `tasks: data set "s" has samples of 0 values; give at least 1`},
		{func(s *Sequences) { s.Classes = 1 }, `tasks: data set "s" has 1 classes; give at least 2`},
		{func(s *Sequences) { s.TrainX = s.TrainX[:3] }, `tasks: data set "s": 3 and 2 values for 2 and 1 samples of 2; make them agree`},
		{func(s *Sequences) { s.TestX, s.TestY = nil, nil }, `tasks: data set "s" has 2 training and 0 test samples; give it at least one of each`},
		{func(s *Sequences) { s.TrainY[1] = 3 }, `tasks: data set "s": sample 1 has label 3 outside 0 … 2`},
	}
	for i, c := range cases {
		s := ok()
		c.edit(s)
		err := s.Check()
		if (c.err == "") != (err == nil) || (err != nil && err.Error() != c.err) {
			t.Errorf("case %d: %v, want %q", i, err, c.err)
		}
	}
}
