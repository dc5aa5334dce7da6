package network

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// formatName is the value of the "format" field of every network file.
const formatName = "glemu-network"

// The file form: JSON field names, per-neuron values still raw.
type fileNetwork struct {
	Format      string           `json:"format"`
	Version     int              `json:"version"`
	Name        string           `json:"name,omitempty"`
	Dt          float64          `json:"dt"`
	Seed        uint64           `json:"seed"`
	Errors      string           `json:"errors,omitempty"`
	Populations []filePopulation `json:"populations"`
	Projections []fileProjection `json:"projections"`
	Loss        fileLoss         `json:"loss"`
	Learning    *fileLearning    `json:"learning,omitempty"`
}

type filePopulation struct {
	Name       string          `json:"name"`
	Size       int             `json:"size"`
	Input      bool            `json:"input,omitempty"`
	Output     bool            `json:"output,omitempty"`
	Activation string          `json:"activation,omitempty"`
	Bias       bool            `json:"bias,omitempty"`
	Gamma      float64         `json:"gamma,omitempty"`
	TauM       json.RawMessage `json:"tau_m,omitempty"`
	TauR       json.RawMessage `json:"tau_r,omitempty"`
	BiasInit   json.RawMessage `json:"bias_init,omitempty"`
	Chip       *filePopChip    `json:"chip,omitempty"`
}

type filePopChip struct {
	Tiles    []int `json:"tiles,omitempty"`
	RateExp  *int  `json:"rate_exp,omitempty"`
	StateExp *int  `json:"state_exp,omitempty"`
	ErrorExp *int  `json:"error_exp,omitempty"`
}

type fileProjection struct {
	Source  string        `json:"source"`
	Target  string        `json:"target"`
	Seed    *uint64       `json:"seed,omitempty"`
	Plastic *bool         `json:"plastic,omitempty"`
	Weights [][]float64   `json:"weights,omitempty"`
	Mask    *fileMask     `json:"mask,omitempty"`
	Chip    *fileProjChip `json:"chip,omitempty"`
}

type fileMask struct {
	Density float64 `json:"density,omitempty"`
	Seed    *uint64 `json:"seed,omitempty"`
	Rows    [][]int `json:"rows,omitempty"`
}

type fileProjChip struct {
	WeightExp *int `json:"weight_exp,omitempty"`
}

type fileLoss struct {
	Kind string  `json:"kind"`
	Beta float64 `json:"beta"`
}

type fileLearning struct {
	Optimizer fileOptimizer `json:"optimizer"`
	Weights   bool          `json:"weights,omitempty"`
	Biases    bool          `json:"biases,omitempty"`
	TauM      bool          `json:"tau_m,omitempty"`
	TauMMin   *float64      `json:"tau_m_min,omitempty"`
	Plateau   *filePlateau  `json:"plateau,omitempty"`
}

type fileOptimizer struct {
	Kind     string   `json:"kind"`
	LR       float64  `json:"lr"`
	Momentum *float64 `json:"momentum,omitempty"`
	Beta1    *float64 `json:"beta1,omitempty"`
	Beta2    *float64 `json:"beta2,omitempty"`
	Eps      *float64 `json:"eps,omitempty"`
}

type filePlateau struct {
	Factor    float64  `json:"factor"`
	Patience  int      `json:"patience"`
	Threshold *float64 `json:"threshold,omitempty"`
}

type group struct {
	Count int     `json:"count"`
	Value float64 `json:"value"`
}

// Load reads, decodes and validates the network file at path.
func Load(path string) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	defer f.Close()
	n, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return n, nil
}

// Save encodes n to the file at path, replacing it.
func Save(path string, n *Network) error {
	var buf bytes.Buffer
	if err := Encode(&buf, n); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	return nil
}

// Decode reads one network document from r, strictly (an unknown field is an error that
// names it), fills in defaults and validates it. A validation failure returns every
// problem at once, joined with errors.Join (each a *Problem).
func Decode(r io.Reader) (*Network, error) {
	n, errs, reported, err := parse(r)
	if err != nil {
		return nil, err
	}
	if err := n.validate(reported); err != nil {
		errs = append(errs, err.(interface{ Unwrap() []error }).Unwrap()...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return n, nil
}

// Parse reads one network document from r as Decode does but does not validate it: it
// fails only when there is no network to look at (not JSON, an unknown field, a wrong
// type, a per-neuron value that does not decode, a field newer than the file's
// version). Defaults are filled in. Tools that report a network's problems their own
// way (the compiler's design rules) parse, then call Validate.
func Parse(r io.Reader) (*Network, error) {
	n, errs, _, err := parse(r)
	if err == nil {
		err = errors.Join(errs...)
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

// parse decodes a document: err is fatal (no network), errs are the problems of values
// that did not decode, reported their "population/field" keys (validation skips them).
func parse(r io.Reader) (n *Network, errs []error, reported map[string]bool, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("network: reading: %w", err)
	}
	// The header first, leniently: a newer file may have fields this version lacks.
	var head struct {
		Format  string          `json:"format"`
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, nil, nil, fmt.Errorf("network: %s", jsonProblem(err))
	}
	if head.Format != formatName {
		if head.Format == "" {
			return nil, nil, nil, fmt.Errorf(`network: missing "format"; a network file starts with "format": %q`, formatName)
		}
		return nil, nil, nil, fmt.Errorf(`network: format is %q, not %q; this is not a glemu network file`, head.Format, formatName)
	}
	if len(head.Version) == 0 {
		return nil, nil, nil, fmt.Errorf(`network: missing "version"; add "version": %d`, FormatVersion)
	}
	var version int
	if err := json.Unmarshal(head.Version, &version); err != nil || version < 1 {
		return nil, nil, nil, fmt.Errorf(`network: version %s is not a format version; use "version": %d`, head.Version, FormatVersion)
	}
	if version > FormatVersion {
		return nil, nil, nil, fmt.Errorf("network: file version %d is newer than this glemu (reads up to %d); upgrade glemu", version, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileNetwork
	if err := dec.Decode(&f); err != nil {
		return nil, nil, nil, fmt.Errorf("network: %s", jsonProblem(err))
	}
	if dec.More() {
		return nil, nil, nil, errors.New("network: data after the network document; a file holds one document")
	}
	n, errs, reported = fromFile(&f)
	if version < 2 {
		errs = append(errs, newerFields(n, version)...)
	}
	n.fillDefaults()
	return n, errs, reported, nil
}

// newerFields reports the fields of format version 2 in a file of an earlier version.
func newerFields(n *Network, version int) []error {
	var errs []error
	bad := func(what, field string) {
		errs = append(errs, fmt.Errorf(`network: %s: %q needs format version 2, the file says %d; set "version": 2`, what, field, version))
	}
	for _, p := range n.Populations {
		if p.Chip != nil {
			bad(fmt.Sprintf("population %q", p.Name), "chip")
		}
	}
	for pi, p := range n.Projections {
		what := fmt.Sprintf("projection %d (%s → %s)", pi, p.Source, p.Target)
		if p.Mask != nil {
			bad(what, "mask")
		}
		if p.Chip != nil {
			bad(what, "chip")
		}
	}
	return errs
}

// jsonProblem rewrites a decoding error of encoding/json so that it says what to do.
func jsonProblem(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Sprintf("unknown field %s; remove it or check its spelling against docs/network-format.md", rest)
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("invalid JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(msg, "json: "))
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Sprintf("field %s: got a JSON %s, want a %s", field, typ.Value, typeName(typ.Type.String()))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the file ends before the network document does"
	}
	return strings.TrimPrefix(msg, "json: ")
}

func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "list"
	case strings.HasPrefix(goType, "float"):
		return "number"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "whole number"
	case goType == "string":
		return "string"
	case goType == "bool":
		return "boolean (true or false)"
	}
	return "object"
}

// fromFile converts the file form; reported holds "population/field" keys of values
// whose decoding failed (already in errs, so validation does not report them again).
func fromFile(f *fileNetwork) (*Network, []error, map[string]bool) {
	var errs []error
	reported := map[string]bool{}
	n := &Network{Name: f.Name, Dt: f.Dt, Seed: f.Seed, Errors: f.Errors}
	for _, fp := range f.Populations {
		p := Population{
			Name: fp.Name, Size: fp.Size, Input: fp.Input, Output: fp.Output,
			Activation: fp.Activation, Bias: fp.Bias, Gamma: fp.Gamma,
		}
		var err error
		if p.TauM, err = perNeuron(fp.TauM, fp.Size); err != nil {
			errs = append(errs, fmt.Errorf("network: population %q: tau_m: %w", fp.Name, err))
			reported[fp.Name+"/tau_m"] = true
		}
		if p.TauR, err = perNeuron(fp.TauR, fp.Size); err != nil {
			errs = append(errs, fmt.Errorf("network: population %q: tau_r: %w", fp.Name, err))
			reported[fp.Name+"/tau_r"] = true
		}
		if p.BiasInit, err = perNeuron(fp.BiasInit, fp.Size); err != nil {
			errs = append(errs, fmt.Errorf("network: population %q: bias_init: %w", fp.Name, err))
			reported[fp.Name+"/bias_init"] = true
		}
		if c := fp.Chip; c != nil {
			p.Chip = &PopulationChip{Tiles: c.Tiles, RateExp: c.RateExp, StateExp: c.StateExp, ErrorExp: c.ErrorExp}
		}
		n.Populations = append(n.Populations, p)
	}
	for _, fp := range f.Projections {
		p := Projection{Source: fp.Source, Target: fp.Target, Seed: fp.Seed, Plastic: fp.Plastic, Weights: fp.Weights}
		if m := fp.Mask; m != nil {
			p.Mask = &Mask{Density: m.Density, Seed: m.Seed, Rows: m.Rows}
		}
		if c := fp.Chip; c != nil {
			p.Chip = &ProjectionChip{WeightExp: c.WeightExp}
		}
		n.Projections = append(n.Projections, p)
	}
	n.Loss = Loss{Kind: f.Loss.Kind, Beta: f.Loss.Beta}
	if l := f.Learning; l != nil {
		n.Learning = Learning{Weights: l.Weights, Biases: l.Biases, TauM: l.TauM}
		n.Learning.Optimizer = Optimizer{Kind: l.Optimizer.Kind, LR: l.Optimizer.LR,
			Momentum: orNaN(l.Optimizer.Momentum), Beta1: orNaN(l.Optimizer.Beta1),
			Beta2: orNaN(l.Optimizer.Beta2), Eps: orNaN(l.Optimizer.Eps)}
		n.Learning.TauMMin = orNaN(l.TauMMin)
		if l.Plateau != nil {
			n.Learning.Plateau = &Plateau{Factor: l.Plateau.Factor, Patience: l.Plateau.Patience, Threshold: orNaN(l.Plateau.Threshold)}
		}
	} else {
		n.Learning.TauMMin = unset
	}
	return n, errs, reported
}

// unset marks an optional number the file left out, replaced by its default in
// fillDefaults. It is a NaN with a payload, so a NaN from elsewhere is never taken for it.
var unset = math.Float64frombits(0x7ff8_dead_0000_0001)

func isUnset(v float64) bool { return math.Float64bits(v) == math.Float64bits(unset) }

func orNaN(p *float64) float64 {
	if p == nil {
		return unset
	}
	return *p
}

// fillDefaults replaces the values a file left out with their defaults.
func (n *Network) fillDefaults() {
	if n.Errors == "" {
		n.Errors = ErrorsProspective
	}
	o := &n.Learning.Optimizer
	def := func(v *float64, d float64) {
		if isUnset(*v) {
			*v = d
		}
	}
	def(&o.Momentum, 0)
	if o.Kind == OptimizerMomentum && o.Momentum == 0 {
		o.Momentum = 0.9
	}
	def(&o.Beta1, 0.9)
	def(&o.Beta2, 0.999)
	def(&o.Eps, 1e-8)
	def(&n.Learning.TauMMin, n.Dt)
	if p := n.Learning.Plateau; p != nil {
		def(&p.Threshold, 1e-4)
	}
}

// perNeuron decodes a per-neuron value: a number (every neuron), a list of numbers (one
// per neuron) or a list of {"count", "value"} groups. An absent value decodes to nil.
func perNeuron(raw json.RawMessage, size int) ([]float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || size <= 0 || size > MaxPopulationSize {
		return nil, nil // a bad size is reported by validation
	}
	if raw[0] != '[' {
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, errors.New("want a number, a list of numbers or a list of {\"count\", \"value\"} groups")
		}
		out := make([]float64, size)
		for i := range out {
			out[i] = v
		}
		return out, nil
	}
	var nums []float64
	if err := json.Unmarshal(raw, &nums); err == nil {
		if len(nums) != size {
			return nil, fmt.Errorf("%d values for %d neurons; give one per neuron, or a single number", len(nums), size)
		}
		return nums, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var groups []group
	if err := dec.Decode(&groups); err != nil {
		return nil, fmt.Errorf("want a number, a list of numbers or a list of {\"count\", \"value\"} groups (%s)", jsonProblem(err))
	}
	total := 0
	for gi, g := range groups {
		if g.Count <= 0 {
			return nil, fmt.Errorf("group %d has count %d; counts must be positive", gi, g.Count)
		}
		total += g.Count
		if total > MaxPopulationSize {
			return nil, fmt.Errorf("groups count more than %d neurons, the population has %d; make the counts add up to the size", MaxPopulationSize, size)
		}
	}
	if total != size {
		return nil, fmt.Errorf("groups count %d neurons, the population has %d; make the counts add up to the size", total, size)
	}
	out := make([]float64, 0, size)
	for _, g := range groups {
		for range g.Count {
			out = append(out, g.Value)
		}
	}
	return out, nil
}

// encodePerNeuron writes values canonically: a number if uniform, groups if the runs of
// equal values make it shorter than a plain list, else a list.
func encodePerNeuron(values []float64) json.RawMessage {
	if values == nil {
		return nil
	}
	var runs []group
	for _, v := range values {
		if k := len(runs); k > 0 && math.Float64bits(runs[k-1].Value) == math.Float64bits(v) {
			runs[k-1].Count++
			continue
		}
		runs = append(runs, group{1, v})
	}
	var b []byte
	switch {
	case len(runs) == 1 && len(values) > 0:
		b, _ = json.Marshal(values[0])
	case 2*len(runs) <= len(values):
		b, _ = json.Marshal(runs)
	default:
		b, _ = json.Marshal(values)
	}
	return b
}

// Encode writes n as an indented network file of the lowest format version that holds
// it: version 1 unless it uses masks or chip hints (version 2), so that older glemu
// still reads what it can. It fails on values JSON cannot hold (NaN, ±Inf); it does not
// otherwise validate.
func Encode(w io.Writer, n *Network) error {
	f := fileNetwork{
		Format: formatName, Version: 1, Name: n.Name, Dt: n.Dt, Seed: n.Seed, Errors: n.Errors,
		Loss: fileLoss{Kind: n.Loss.Kind, Beta: n.Loss.Beta},
	}
	for _, p := range n.Populations {
		fp := filePopulation{
			Name: p.Name, Size: p.Size, Input: p.Input, Output: p.Output, Activation: p.Activation,
			Bias: p.Bias, Gamma: p.Gamma, TauM: encodePerNeuron(p.TauM), TauR: encodePerNeuron(p.TauR),
			BiasInit: encodePerNeuron(p.BiasInit),
		}
		if c := p.Chip; c != nil {
			fp.Chip = &filePopChip{Tiles: c.Tiles, RateExp: c.RateExp, StateExp: c.StateExp, ErrorExp: c.ErrorExp}
			f.Version = 2
		}
		f.Populations = append(f.Populations, fp)
	}
	for _, p := range n.Projections {
		fp := fileProjection{Source: p.Source, Target: p.Target, Seed: p.Seed, Plastic: p.Plastic, Weights: p.Weights}
		if m := p.Mask; m != nil {
			fp.Mask = &fileMask{Density: m.Density, Seed: m.Seed, Rows: m.Rows}
			f.Version = 2
		}
		if c := p.Chip; c != nil {
			fp.Chip = &fileProjChip{WeightExp: c.WeightExp}
			f.Version = 2
		}
		f.Projections = append(f.Projections, fp)
	}
	l := n.Learning
	if l.Weights || l.Biases || l.TauM || l.Optimizer.Kind != "" || l.Plateau != nil {
		fl := &fileLearning{Weights: l.Weights, Biases: l.Biases, TauM: l.TauM}
		o := l.Optimizer
		fl.Optimizer = fileOptimizer{Kind: o.Kind, LR: o.LR}
		switch o.Kind {
		case OptimizerMomentum:
			fl.Optimizer.Momentum = ptr(o.Momentum)
		case OptimizerAdam:
			fl.Optimizer.Beta1, fl.Optimizer.Beta2, fl.Optimizer.Eps = ptr(o.Beta1), ptr(o.Beta2), ptr(o.Eps)
		}
		if !isUnset(l.TauMMin) && l.TauMMin != 0 && l.TauMMin != n.Dt {
			fl.TauMMin = ptr(l.TauMMin)
		}
		if p := l.Plateau; p != nil {
			fl.Plateau = &filePlateau{Factor: p.Factor, Patience: p.Patience}
			if !isUnset(p.Threshold) && p.Threshold != 1e-4 {
				fl.Plateau.Threshold = ptr(p.Threshold)
			}
		}
		f.Learning = fl
	}
	b, err := json.MarshalIndent(&f, "", "  ")
	if err != nil {
		return fmt.Errorf("network: encoding: %s; only finite numbers can be stored", strings.TrimPrefix(err.Error(), "json: "))
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("network: writing: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
