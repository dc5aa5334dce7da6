package bench

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Kind says what a workload measures, and so which columns of the table it fills.
type Kind int

const (
	// KindBaseline measures the machine: the plain-Go scalar MAC rate and the peak of
	// the fast kernel's multiply-accumulate instruction.
	KindBaseline Kind = iota
	// KindKernel measures a fixedpoint kernel's fast path: MAC/s against the scalar
	// rate and as a share of the peak.
	KindKernel
	// KindStep measures chip steps, and the float reference (gle) stepping the same
	// network with the same inputs.
	KindStep
	// KindEpoch measures a whole MNIST-1D training epoch on the chip and on gle.
	KindEpoch
	// KindCompile measures compiles of a network (compiler.Compile, everything
	// included).
	KindCompile
	// KindStream measures a streaming run through host.Device: steps/s and, over a
	// serial line, the link efficiency.
	KindStream
)

var kindNames = [...]string{"baseline", "kernel", "step", "epoch", "compile", "stream"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MarshalText writes the kind's name (JSON reports).
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	i := slices.Index(kindNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("bench: unknown workload kind %q; use one of %s", b, strings.Join(kindNames[:], ", "))
	}
	*k = Kind(i)
	return nil
}

// Set says when a workload runs without being named.
type Set int

const (
	// SetDefault workloads run when no names are given.
	SetDefault Set = iota
	// SetSweep workloads are the points of the scaling curves: they run with a plot
	// (Options.Sweeps) or when named.
	SetSweep
	// SetLong workloads take minutes (a training epoch): they run only when named.
	SetLong
)

// Series names a scaling curve: a workload in a series is one point of it, at X.
type Series string

const (
	// SeriesNeurons: steps/s of a full 4×4 mesh learning, against neurons per tile.
	SeriesNeurons Series = "neurons"
	// SeriesContexts: steps/s of the MNIST-1D network learning, against contexts.
	SeriesContexts Series = "contexts"
)

// Workload is a named, deterministic configuration of the suite: the same name gives
// the same network, parameters, inputs and program on every machine.
type Workload struct {
	Name string
	Doc  string
	Kind Kind
	Set  Set
	// Series and X place the workload on a scaling curve (Series "" for none).
	Series Series
	X      float64

	setup func(e *env) (*instance, error)
}

// instance is a prepared workload.
type instance struct {
	// run does n units of work; the sample carries what a stream counted.
	run func(n int) (sample, error)
	// float does n units of the same work on the float reference (nil: none).
	float func(n int) error
	// What one unit is: steps, multiply-accumulates (forward, transposed and gradient
	// reads), synapses compiled.
	steps, macs, synapses float64
	// reps, if positive, fixes the number of repetitions of one unit each (epochs).
	reps int
	// baud is the line rate of a serial stream (0: in process).
	baud int
	// note is shown beside the result.
	note  string
	close func()
}

// sample is what one repetition of a stream counted on its link: the bytes the host
// sent (commands' payload, and on the wire) in seconds.
type sample struct {
	payload, wire int64
	seconds       float64
}

// errSkip marks a workload that cannot run on this machine (no pty); its result says
// why and the suite goes on.
var errSkip = errors.New("bench: skipped")

func skipf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errSkip}, args...)...)
}

// Workloads returns every workload of the suite, in the order the table lists them.
func Workloads() []Workload {
	var ws []Workload
	ws = append(ws, baselineWorkloads()...)
	ws = append(ws, kernelWorkloads()...)
	ws = append(ws, stepWorkloads()...)
	ws = append(ws, epochWorkloads()...)
	ws = append(ws, compileWorkloads()...)
	ws = append(ws, streamWorkloads()...)
	return ws
}

// Select returns the workloads that names pick, in suite order: each name is a
// workload's name, a prefix of names up to a "/" ("mnist1d" picks every
// "mnist1d/…"), or a path.Match pattern ("mnist1d/contexts=*/learn"). No names pick
// the default set, plus the scaling sweeps when sweeps is set. The baselines always
// run, since every figure is relative to them. A name that picks nothing is an error.
func Select(names []string, sweeps bool) ([]Workload, error) {
	all := Workloads()
	pick := make([]bool, len(all))
	for i, w := range all {
		pick[i] = w.Kind == KindBaseline || len(names) == 0 && (w.Set == SetDefault || sweeps && w.Set == SetSweep)
		if sweeps && w.Series != "" {
			pick[i] = true
		}
	}
	for _, n := range names {
		found := false
		for i, w := range all {
			if matches(n, w.Name) {
				pick[i], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("bench: no workload %q; `glemu bench --list` names them (a prefix such as \"mnist1d\" or a pattern such as \"compile/*\" picks several)", n)
		}
	}
	var out []Workload
	for i, w := range all {
		if pick[i] {
			out = append(out, w)
		}
	}
	return out, nil
}

func matches(pattern, name string) bool {
	if pattern == name || strings.HasPrefix(name, strings.TrimSuffix(pattern, "/")+"/") {
		return true
	}
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

func bytesReader(s string) *strings.Reader { return strings.NewReader(s) }
