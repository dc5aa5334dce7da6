package network

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// chain is a valid 1→3→2 network file that the failing cases edit.
const chain = `{
  "format": "glemu-network", "version": 1, "dt": 0.2, "seed": 1,
  "populations": [
    {"name": "x", "size": 1, "input": true},
    {"name": "h", "size": 3, "activation": "tanh", "bias": true, "tau_m": 1.2, "tau_r": [0.2, 0.2, 1.2]},
    {"name": "out", "size": 2, "activation": "identity", "tau_m": 1.2, "tau_r": 1.2, "output": true}
  ],
  "projections": [{"source": "x", "target": "h"}, {"source": "h", "target": "out"}],
  "loss": {"kind": "mse", "beta": 1},
  "learning": {"optimizer": {"kind": "adam", "lr": 0.001}, "weights": true}
}`

func edit(old, new string) string {
	if !strings.Contains(chain, old) {
		panic("edit: " + old + " not in chain")
	}
	return strings.Replace(chain, old, new, 1)
}

func TestDecodeFailures(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string // every line of the joined error, in order
	}{
		{"not json", `{"format": `, []string{`network: invalid JSON at byte 11: unexpected end of JSON input`}},
		{"syntax", `{"format" "x"}`, []string{`network: invalid JSON at byte 11: invalid character '"' after object key`}},
		{"no format", `{"version": 1}`, []string{`network: missing "format"; a network file starts with "format": "glemu-network"`}},
		{"wrong format", `{"format": "onnx", "version": 1}`, []string{`network: format is "onnx", not "glemu-network"; this is not a glemu network file`}},
		{"no version", `{"format": "glemu-network"}`, []string{`network: missing "version"; add "version": 2`}},
		{"zero version", `{"format": "glemu-network", "version": 0}`, []string{`network: version 0 is not a format version; use "version": 2`}},
		{"newer", `{"format": "glemu-network", "version": 3, "tiles": 4}`, []string{`network: file version 3 is newer than this glemu (reads up to 2); upgrade glemu`}},
		{"unknown field", edit(`"seed": 1`, `"seed": 1, "sed": 2`), []string{`network: unknown field "sed"; remove it or check its spelling against docs/network-format.md`}},
		{"unknown nested field", edit(`"kind": "mse"`, `"kind": "mse", "gamma": 1`), []string{`network: unknown field "gamma"; remove it or check its spelling against docs/network-format.md`}},
		{"wrong type", edit(`"size": 3`, `"size": "3"`), []string{`network: field populations.size: got a JSON string, want a whole number`}},
		{"trailing", chain + `{}`, []string{`network: invalid JSON at byte 544: invalid character '{' after top-level value`}},
		{"missing dt", edit(`"dt": 0.2,`, ``), []string{
			`network: dt 0 must be a positive number; set "dt" (the Euler time step, e.g. 0.01)`,
		}},
		{"tau below dt", edit(`"tau_r": [0.2, 0.2, 1.2]`, `"tau_r": [0.2, 0.05, 0.1]`), []string{
			`network: population "h": tau_r[1] 0.05 is below dt 0.2 (and 1 more neurons); raise tau_r or lower dt`,
		}},
		{"uniform tau below dt", edit(`"tau_m": 1.2, "tau_r": 1.2`, `"tau_m": 0.1, "tau_r": 1.2`), []string{
			`network: population "out": tau_m 0.1 is below dt 0.2; raise tau_m or lower dt`,
		}},
		{"per-neuron length", edit(`"tau_r": [0.2, 0.2, 1.2]`, `"tau_r": [0.2, 1.2]`), []string{
			`network: population "h": tau_r: 2 values for 3 neurons; give one per neuron, or a single number`,
		}},
		{"groups", edit(`"tau_r": [0.2, 0.2, 1.2]`, `"tau_r": [{"count": 2, "value": 0.2}, {"count": 2, "value": 1.2}]`), []string{
			`network: population "h": tau_r: groups count 4 neurons, the population has 3; make the counts add up to the size`,
		}},
		{"size and activation", edit(`"size": 3, "activation": "tanh"`, `"size": 0, "activation": "gelu"`), []string{
			`network: population "h": size 0 must be positive`,
			`network: population "h": activation "gelu" is unknown; use one of identity, linear, relu, tanh, sigmoid, softplus, hard_sigmoid, hard_tanh`,
		}},
		{"duplicate and unknown names", edit(`{"name": "out"`, `{"name": "h"`), []string{
			`network: population "h": the name is used by populations 1 and 2; give each population a unique name`,
			`network: projection 1 (h → out): target "out" is not a population; use one of "x", "h", "h"`,
		}},
		{"into input", edit(`{"source": "h", "target": "out"}`, `{"source": "h", "target": "out"}, {"source": "out", "target": "x"}`), []string{
			`network: projection 2 (out → x): target "x" is an input population, which has no dynamics; project into a neuron population`,
		}},
		{"weights shape", edit(`{"source": "x", "target": "h"}`, `{"source": "x", "target": "h", "weights": [[1], [2, 3], [4]]}`), []string{
			`network: projection 0 (x → h): weights row 1 has 2 values; want 1 (one per source neuron)`,
		}},
		{"no input no output", edit(`{"name": "x", "size": 1, "input": true}`, `{"name": "x", "size": 1, "activation": "relu", "tau_m": 1, "tau_r": 1}`), []string{
			`network: no input population; mark the population that receives x with "input": true`,
			`network: population "x": nothing projects into it; add a projection with "target": "x" or remove the population`,
		}},
		{"input with dynamics", edit(`"size": 1, "input": true`, `"size": 1, "input": true, "tau_m": 1, "bias": true`), []string{
			`network: population "x": an input population has only a size; remove bias, tau_m`,
		}},
		{"cross entropy with two outputs", edit(`"tau_r": [0.2, 0.2, 1.2]}`, `"tau_r": [0.2, 0.2, 1.2], "output": true}`), nil},
		{"unknown loss and optimizer", edit(`"kind": "mse", "beta": 1`, `"kind": "hinge", "beta": -1`), []string{
			`network: loss kind "hinge" is unknown; use "mse" or "cross_entropy"`,
			`network: loss beta -1 must be a positive number; set the nudging strength (1 is usual)`,
		}},
		{"optimizer", edit(`"kind": "adam", "lr": 0.001`, `"kind": "rmsprop", "lr": -1`), []string{
			`network: learning: optimizer "rmsprop" is unknown; use "sgd", "momentum" or "adam"`,
			`network: learning: lr -1 must be a number ≥ 0`,
		}},
		{"tau_m_min", edit(`"weights": true`, `"weights": true, "tau_m_min": 0.1, "plateau": {"factor": 2, "patience": -1}`), []string{
			`network: learning: tau_m_min 0.1 is below dt 0.2; raise it to at least dt`,
			`network: learning: plateau factor 2 must be in (0, 1)`,
			`network: learning: plateau patience -1 must be ≥ 0`,
		}},
		{"bias_init without bias", edit(`"activation": "identity"`, `"activation": "identity", "bias_init": 0.5`), []string{
			`network: population "out": bias_init without bias; set "bias": true or remove bias_init`,
		}},
		{"errors mode", edit(`"seed": 1`, `"seed": 1, "errors": "delayed"`), []string{
			`network: errors "delayed" is unknown; use "prospective" or "instantaneous"`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(c.file))
			if c.want == nil { // cases whose failure is asserted elsewhere
				c.want = []string{`network: loss kind "mse"`}
				if c.name == "cross entropy with two outputs" {
					f := strings.Replace(c.file, `"kind": "mse"`, `"kind": "cross_entropy"`, 1)
					_, err = Decode(strings.NewReader(f))
					c.want = []string{`network: loss cross_entropy needs exactly one output population, the network has 2; use mse or mark one output`}
				}
			}
			if err == nil {
				t.Fatalf("Decode accepted the file; want\n%s", strings.Join(c.want, "\n"))
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Decode error:\n%s\nwant:\n%s", err, strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestValidateRejectsNaN(t *testing.T) {
	n := mustDecode(t, chain)
	n.Populations[1].TauM[2] = math.NaN()
	n.Populations[1].Gamma = math.Inf(1)
	n.Projections[0].Weights = [][]float64{{1}, {math.NaN()}, {0}}
	n.Dt = math.NaN()
	want := []string{
		`network: dt NaN must be a positive number; set "dt" (the Euler time step, e.g. 0.01)`,
		`network: population "h": gamma +Inf is not a finite number`,
		`network: population "h": tau_m[2] is NaN; time constants must be finite numbers`,
		`network: projection 0 (x → h): weights[1][0] is NaN; weights must be finite numbers`,
	}
	err := n.Validate()
	if err == nil {
		t.Fatal("Validate accepted NaN values")
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("Validate:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var buf bytes.Buffer
	if err := Encode(&buf, n); err == nil || !strings.HasPrefix(err.Error(), "network: encoding: ") {
		t.Errorf("Encode of NaN: %v, want a network: encoding error", err)
	}
}

func mustDecode(t testing.TB, s string) *Network {
	t.Helper()
	n, err := Decode(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDecodeDefaultsAndExpansion(t *testing.T) {
	n := mustDecode(t, chain)
	if n.Errors != ErrorsProspective || n.Learning.TauMMin != 0.2 {
		t.Errorf("defaults: errors %q tau_m_min %v, want prospective and dt", n.Errors, n.Learning.TauMMin)
	}
	o := n.Learning.Optimizer
	if o.Beta1 != 0.9 || o.Beta2 != 0.999 || o.Eps != 1e-8 {
		t.Errorf("adam defaults %+v", o)
	}
	if got := n.Populations[1].TauM; !reflect.DeepEqual(got, []float64{1.2, 1.2, 1.2}) {
		t.Errorf("tau_m expanded to %v", got)
	}
	if n.InputWidth() != 1 || n.OutputWidth() != 2 || n.FanIn(2) != 3 || n.NumParams() != 3+3+6 {
		t.Errorf("widths %d %d fan-in %d params %d", n.InputWidth(), n.OutputWidth(), n.FanIn(2), n.NumParams())
	}
	if got := n.Layers(); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("Layers = %v", got)
	}
}

// TestRoundTrip: encode → decode gives the same network, and encoding is canonical.
func TestRoundTrip(t *testing.T) {
	for _, f := range []string{chain, docExample(t)} {
		n := mustDecode(t, f)
		var a bytes.Buffer
		if err := Encode(&a, n); err != nil {
			t.Fatal(err)
		}
		m := mustDecode(t, a.String())
		if !reflect.DeepEqual(n, m) {
			t.Errorf("round trip changed the network:\n%+v\n%+v", n, m)
		}
		var b bytes.Buffer
		if err := Encode(&b, m); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("encoding is not canonical:\n%s\n%s", a.String(), b.String())
		}
	}
}

func TestCanonicalPerNeuron(t *testing.T) {
	cases := []struct {
		in   []float64
		want string
	}{
		{[]float64{1.2, 1.2, 1.2}, `1.2`},
		{[]float64{0.6, 0.6, 0.6, 1.2, 1.2}, `[{"count":3,"value":0.6},{"count":2,"value":1.2}]`},
		{[]float64{0.6, 1.2, 0.6}, `[0.6,1.2,0.6]`},
		{nil, ``},
	}
	for _, c := range cases {
		if got := string(encodePerNeuron(c.in)); got != c.want {
			t.Errorf("encodePerNeuron(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	n := mustDecode(t, chain)
	path := filepath.Join(t.TempDir(), "net.json")
	if err := Save(path, n); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(n, m) {
		t.Error("Save/Load changed the network")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.HasPrefix(err.Error(), "network: open ") {
		t.Errorf("Load of a missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"format": "glemu-network", "version": 9}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.HasSuffix(err.Error(), "upgrade glemu (in "+path+")") {
		t.Errorf("Load of a newer file: %v", err)
	}
}

func TestInitParams(t *testing.T) {
	n := mustDecode(t, chain)
	ps, err := n.InitParams()
	if err != nil {
		t.Fatal(err)
	}
	// Projection 0 (x → h): fan-in 1; projection 1 (h → out): fan-in 3. The draws follow
	// the documented stream and row-major order exactly.
	g := NewStream(1, 1, 1)
	a := 1 / math.Sqrt(3)
	for k, w := range ps.Weights[1] {
		if want := a * (2*float64(g.Uint64()>>11)/(1<<53) - 1); w != want {
			t.Fatalf("W1[%d] = %v, want %v", k, w, want)
		}
		if math.Abs(w) > a {
			t.Fatalf("W1[%d] = %v outside ±%v", k, w, a)
		}
	}
	if len(ps.Weights[0]) != 3 || len(ps.Biases[1]) != 3 || ps.Biases[2] != nil || ps.Biases[0] != nil {
		t.Errorf("shapes: %v %v", ps.Weights, ps.Biases)
	}
	for _, b := range ps.Biases[1] {
		if math.Abs(b) > 1 {
			t.Errorf("bias %v outside ±1 (fan-in 1)", b)
		}
	}
	again, _ := n.InitParams()
	if !reflect.DeepEqual(ps, again) {
		t.Error("InitParams is not deterministic")
	}
	// A projection's own seed changes only its draws; explicit weights win.
	seed := uint64(99)
	n.Projections[1].Seed = &seed
	n.Projections[0].Weights = [][]float64{{1}, {2}, {3}}
	other, _ := n.InitParams()
	if reflect.DeepEqual(other.Weights[1], ps.Weights[1]) || !reflect.DeepEqual(other.Weights[0], []float64{1, 2, 3}) {
		t.Error("projection seed or explicit weights ignored")
	}
	if !reflect.DeepEqual(other.Biases, ps.Biases) {
		t.Error("changing a projection changed the biases")
	}
	if err := n.CheckParams(other); err != nil {
		t.Error(err)
	}
	other.Weights[1] = other.Weights[1][:2]
	if err := n.CheckParams(other); err == nil || err.Error() != "network: parameters: projection 1 weights has 2 values, want 6" {
		t.Errorf("CheckParams: %v", err)
	}
}

// TestFanInOfMergingProjections: the U(±1/√fanIn) bound counts every source.
func TestFanInOfMergingProjections(t *testing.T) {
	n := mustDecode(t, edit(`{"source": "h", "target": "out"}`, `{"source": "h", "target": "out"}, {"source": "x", "target": "out"}, {"source": "h", "target": "h"}`))
	if n.FanIn(2) != 4 || n.FanIn(1) != 4 {
		t.Errorf("fan-in %d %d, want 4 4", n.FanIn(2), n.FanIn(1))
	}
	if got := n.Incoming(2); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("Incoming = %v", got)
	}
}

func TestDecodeErrorsAreJoined(t *testing.T) {
	_, err := Decode(strings.NewReader(edit(`"dt": 0.2`, `"dt": -1`)))
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) < 2 {
		t.Errorf("want several joined errors, got %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(chain))
	f.Add([]byte(edit(`"tau_r": [0.2, 0.2, 1.2]`, `"tau_r": [{"count": 2, "value": 0.2}, {"count": 1, "value": 1.2}]`)))
	f.Add([]byte(`{"format": "glemu-network", "version": 1}`))
	f.Add([]byte(`{"format":"glemu-network","version":1,"populations":[{"name":"x","size":-5,"tau_m":[{"count":-1,"value":1}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		if n.DenseParams() > 1<<20 {
			return // valid, but too large to initialise on every fuzz input
		}
		if _, err := n.InitParams(); err != nil {
			t.Fatalf("a decoded network fails InitParams: %v", err)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, n); err != nil {
			t.Fatalf("a decoded network fails Encode: %v", err)
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
