package network

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestVersion1FilesLoad: every version-1 file of the float reference's golden tests
// still loads, and writes back as version 1 (it uses nothing of version 2).
func TestVersion1FilesLoad(t *testing.T) {
	paths, err := filepath.Glob("testdata/v1/*.net.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no version-1 files in testdata/v1: %v", err)
	}
	for _, p := range paths {
		n, err := Load(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		var buf bytes.Buffer
		if err := Encode(&buf, n); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), `"version": 1,`) {
			t.Errorf("%s: re-encoded as a newer version:\n%.200s", p, buf.String())
		}
	}
}

// sparse is a version-2 file using every field version 2 adds.
const sparse = `{
  "format": "glemu-network", "version": 2, "name": "sparse", "dt": 0.2, "seed": 3,
  "populations": [
    {"name": "x", "size": 4, "input": true, "chip": {"tiles": [0], "rate_exp": -1}},
    {"name": "h", "size": 3, "activation": "tanh", "bias": true, "tau_m": 1.2, "tau_r": 0.2,
     "chip": {"tiles": [1, 2], "rate_exp": -2, "state_exp": 0, "error_exp": -3}},
    {"name": "out", "size": 2, "activation": "identity", "tau_m": 1.2, "tau_r": 1.2, "output": true}
  ],
  "projections": [
    {"source": "x", "target": "h", "mask": {"rows": [[0, 1], [], [1, 2, 3]]}},
    {"source": "h", "target": "out", "mask": {"density": 0.5, "seed": 11}, "chip": {"weight_exp": -1}},
    {"source": "h", "target": "h", "plastic": false, "mask": {"rows": [[1], [2], [0]]},
     "weights": [[0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0]]}
  ],
  "loss": {"kind": "mse", "beta": 1},
  "learning": {"optimizer": {"kind": "sgd", "lr": 0.01}, "weights": true}
}`

func TestVersion2(t *testing.T) {
	n := mustDecode(t, sparse)
	if c := n.Populations[1].Chip; c == nil || !reflect.DeepEqual(c.Tiles, []int{1, 2}) || *c.RateExp != -2 || *c.StateExp != 0 || *c.ErrorExp != -3 {
		t.Errorf("population chip hints: %+v", c)
	}
	if c := n.Projections[1].Chip; c == nil || *c.WeightExp != -1 {
		t.Errorf("projection chip hints: %+v", c)
	}
	m0 := n.MaskOf(0)
	want0 := []bool{true, true, false, false, false, false, false, false, false, true, true, true}
	if !reflect.DeepEqual(m0, want0) || n.Synapses(0) != 5 {
		t.Errorf("rows mask %v (%d synapses), want %v", m0, n.Synapses(0), want0)
	}
	// The density mask follows the documented stream: kind 3, index p, seed from the mask.
	g := NewStream(11, 3, 1)
	for k, keep := range n.MaskOf(1) {
		if want := g.Float64() < 0.5; keep != want {
			t.Fatalf("density mask synapse %d = %v, want %v", k, keep, want)
		}
	}
	ps, err := n.InitParams()
	if err != nil {
		t.Fatal(err)
	}
	dense := mustDecode(t, strings.Replace(sparse, `"mask": {"rows": [[0, 1], [], [1, 2, 3]]}`, `"seed": 3`, 1))
	dps, _ := dense.InitParams()
	for k, keep := range m0 {
		if keep && ps.Weights[0][k] != dps.Weights[0][k] || !keep && ps.Weights[0][k] != 0 {
			t.Fatalf("masked init: weight %d = %v, dense %v, keep %v", k, ps.Weights[0][k], dps.Weights[0][k], keep)
		}
	}
	if n.NumParams() != 5+n.Synapses(1)+3+3 {
		t.Errorf("NumParams %d", n.NumParams())
	}
	ps.Weights[0][2] = 1
	if err := n.CheckParams(ps); err == nil || err.Error() != "network: parameters: projection 0 weight (0, 2) is 1 where the mask has no synapse; masked weights must be 0" {
		t.Errorf("CheckParams of a masked weight: %v", err)
	}
	// Round trip: written as version 2, read back the same.
	var buf bytes.Buffer
	if err := Encode(&buf, n); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"version": 2,`) {
		t.Error("a network with masks was not written as version 2")
	}
	if m := mustDecode(t, buf.String()); !reflect.DeepEqual(n, m) {
		t.Errorf("round trip changed the network")
	}
}

func TestVersion2Failures(t *testing.T) {
	cases := []struct {
		name, old, new string
		want           []string
	}{
		{"v2 fields in v1", `"version": 2`, `"version": 1`, []string{
			`network: population "x": "chip" needs format version 2, the file says 1; set "version": 2`,
			`network: population "h": "chip" needs format version 2, the file says 1; set "version": 2`,
			`network: projection 0 (x → h): "mask" needs format version 2, the file says 1; set "version": 2`,
			`network: projection 1 (h → out): "mask" needs format version 2, the file says 1; set "version": 2`,
			`network: projection 1 (h → out): "chip" needs format version 2, the file says 1; set "version": 2`,
			`network: projection 2 (h → h): "mask" needs format version 2, the file says 1; set "version": 2`,
		}},
		{"both forms", `"density": 0.5, "seed": 11`, `"density": 0.5, "rows": [[0], [1]]`, []string{
			`network: projection 1 (h → out): mask has both "density" and "rows"; give one of them`,
		}},
		{"density range", `"density": 0.5, "seed": 11`, `"density": 1.5`, []string{
			`network: projection 1 (h → out): mask density 1.5: give "density" in (0, 1] or the "rows" of source neurons each target reads`,
		}},
		{"empty mask", `"density": 0.5, "seed": 11`, ``, []string{
			`network: projection 1 (h → out): mask density 0: give "density" in (0, 1] or the "rows" of source neurons each target reads`,
		}},
		{"rows count", `[[0, 1], [], [1, 2, 3]]`, `[[0, 1], []]`, []string{
			`network: projection 0 (x → h): mask has 2 rows; want 3 (one list of source neurons per target neuron)`,
		}},
		{"rows range", `[[0, 1], [], [1, 2, 3]]`, `[[0, 1], [], [1, 2, 4]]`, []string{
			`network: projection 0 (x → h): mask row 2: source neuron 4 is outside 0…3`,
		}},
		{"rows order", `[[0, 1], [], [1, 2, 3]]`, `[[1, 1], [], [1, 2, 3]]`, []string{
			`network: projection 0 (x → h): mask row 0: source neuron 1 follows 1; list each source once, in increasing order`,
		}},
		{"seed of rows", `"rows": [[1], [2], [0]]`, `"rows": [[1], [2], [0]], "seed": 4`, []string{
			`network: projection 2 (h → h): mask seed keys only a density mask; remove it from a "rows" mask`,
		}},
		{"masked weight", `[0.5, 0, 0]]`, `[0.5, 0, 0.25]]`, []string{
			`network: projection 2 (h → h): weights[2][2] is 0.25 where the mask has no synapse; set it to 0 or keep the synapse`,
		}},
		{"tiles", `"tiles": [1, 2]`, `"tiles": [-1, 2, 2]`, []string{
			`network: population "h": chip tile -1 is not a tile; tiles are numbered from 0, row-major`,
			`network: population "h": chip tile 2 is listed twice; list each tile once`,
		}},
		{"input scales", `"rate_exp": -1}`, `"rate_exp": -1, "state_exp": 2}`, []string{
			`network: population "x": an input population has only a size; remove chip.state_exp`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(sparse, c.old) {
				t.Fatalf("%q not in the file", c.old)
			}
			_, err := Decode(strings.NewReader(strings.Replace(sparse, c.old, c.new, 1)))
			if err == nil {
				t.Fatal("Decode accepted the file")
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Decode error:\n%s\nwant:\n%s", err, strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestBuilderMatchesFile: the builder produces the network of the equivalent file.
func TestBuilderMatchesFile(t *testing.T) {
	seed := uint64(11)
	b := NewBuilder("sparse", 0.2).Seed(3)
	b.Input("x", 4, PinTiles(0), RateScale(-1))
	b.Population("h", 3, "tanh", WithBias(), Tau(1.2, 0.2), PinTiles(1, 2), Scales(-2, 0, -3))
	b.Population("out", 2, "identity", Tau(1.2, 1.2), AsOutput())
	b.Project("x", "h", MaskRows([][]int{{0, 1}, {}, {1, 2, 3}}))
	b.Project("h", "out", MaskDensity(0.5, &seed), WeightScale(-1))
	b.Project("h", "h", Frozen(), MaskRows([][]int{{1}, {2}, {0}}), Weights([][]float64{{0, 0.5, 0}, {0, 0, 0.5}, {0.5, 0, 0}}))
	b.Loss(LossMSE, 1).Learning(Learning{Optimizer: Optimizer{Kind: OptimizerSGD, LR: 0.01}, Weights: true})
	got, err := b.Network()
	if err != nil {
		t.Fatal(err)
	}
	if want := mustDecode(t, sparse); !reflect.DeepEqual(got, want) {
		t.Errorf("builder:\n%+v\nfile:\n%+v", got, want)
	}
	// The documentation's version-1 example, built in Go.
	b = NewBuilder("small-recurrent", 0.2).Seed(1)
	b.Input("x", 1)
	b.Population("h", 4, "tanh", WithBias(), TauPerNeuron([]float64{0.6, 0.6, 1.2, 1.2}, []float64{0.2, 0.2, 1.2, 1.2}))
	b.Population("out", 2, "identity", WithBias(), Tau(1.2, 1.2), AsOutput())
	b.Project("x", "h").Project("h", "h", ProjectionSeed(7), Frozen())
	b.Project("h", "out", Weights([][]float64{{0.1, 0.2, 0.3, 0.4}, {-0.1, -0.2, -0.3, -0.4}}))
	b.Loss(LossCrossEntropy, 1).Learning(Learning{Optimizer: Optimizer{Kind: OptimizerAdam, LR: 0.001},
		Weights: true, Biases: true, TauMMin: 0.2, Plateau: &Plateau{Factor: 0.5, Patience: 2}})
	got, err = b.Network()
	if err != nil {
		t.Fatal(err)
	}
	if want := mustDecode(t, docExample(t)); !reflect.DeepEqual(got, want) {
		t.Errorf("builder:\n%+v\nfile:\n%+v", got, want)
	}
	// Problems are reported all at once, as for a file.
	_, err = NewBuilder("bad", 0.2).Input("x", 1).Population("h", 2, "gelu", Tau(0.1, 0.2), AsOutput()).
		Project("x", "h").Loss(LossMSE, 1).Network()
	want := "network: population \"h\": activation \"gelu\" is unknown; use one of identity, linear, relu, tanh, sigmoid, softplus, hard_sigmoid, hard_tanh\n" +
		"network: population \"h\": tau_m 0.1 is below dt 0.2; raise tau_m or lower dt (built with network.Builder)"
	if err == nil || err.Error() != want {
		t.Errorf("builder error:\n%v\nwant:\n%s", err, want)
	}
}

func FuzzDecodeV2(f *testing.F) {
	f.Add([]byte(sparse))
	f.Add([]byte(strings.Replace(sparse, `"density": 0.5`, `"density": 1e-300`, 1)))
	f.Add([]byte(strings.Replace(sparse, `[[0, 1], [], [1, 2, 3]]`, `[[0, 1], null, [-1, 9]]`, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Decode(bytes.NewReader(data))
		if err != nil || n.DenseParams() > 1<<20 {
			return
		}
		if _, err := n.InitParams(); err != nil {
			t.Fatalf("a decoded network fails InitParams: %v", err)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, n); err != nil {
			t.Fatalf("Encode: %v", err)
		}
		m, err := Decode(&buf)
		if err != nil {
			t.Fatalf("re-decoding failed: %v\n%s", err, buf.String())
		}
		if !reflect.DeepEqual(n, m) {
			t.Fatalf("round trip changed the network")
		}
	})
}

// TestProblemChecks: validation problems name the kind of check that found them, and
// Parse returns a network that Validate then judges.
func TestProblemChecks(t *testing.T) {
	f := strings.Replace(sparse, `"activation": "tanh"`, `"activation": "gelu"`, 1)
	f = strings.Replace(f, `"tau_r": 0.2,`, `"tau_r": 0.1,`, 1)
	f = strings.Replace(f, `[[0, 1], [], [1, 2, 3]]`, `[[0, 1], []]`, 1)
	f = strings.Replace(f, `"loss": {"kind": "mse", "beta": 1}`, `"loss": {"kind": "mse", "beta": 0}`, 1)
	n, err := Parse(strings.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range n.Validate().(interface{ Unwrap() []error }).Unwrap() {
		var p *Problem
		if !errors.As(e, &p) {
			t.Fatalf("%v is not a *Problem", e)
		}
		got = append(got, p.Check)
	}
	if want := []string{CheckActivation, CheckTauBelowDt, CheckShape, ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("checks %q, want %q", got, want)
	}
	if _, err := Parse(strings.NewReader(`{"format": "glemu-network", "version": 2, "dt": 1, "sed": 1}`)); err == nil {
		t.Error("Parse accepted an unknown field")
	}
}
