package train

import (
	"fmt"

	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
)

// Backend is what the training loop drives: a network stepping C contexts at once.
type Backend interface {
	// Step advances every context by one step with input x (C × input width) and target
	// y (C × output width, nil for none), then lets the backend learn if learning is on.
	Step(x, y []float64) error
	// Output is the output reported at the last step (C × output width; owned by the
	// backend, valid until the next Step).
	Output() []float64
	// Params returns a copy of the current parameters.
	Params() *network.Params
	// SetLearning switches learning on or off (off: the backend steps but does not
	// change its parameters).
	SetLearning(on bool)
	// Contexts is the number of contexts C.
	Contexts() int
}

// Backends lists the backend names the loop knows, in the order the CLI offers them.
var Backends = []string{"float", "chip"}

// ErrNoChip is returned for the chip backend until it is built.
var ErrNoChip = fmt.Errorf("train: the chip backend is not built yet (a later issue adds it); use --backend float")

// Float is the float64 reference (package gle) as a Backend.
type Float struct{ Net *gle.Net }

// NewFloat builds a float backend for net with params (nil: drawn) and contexts.
func NewFloat(net *network.Network, params *network.Params, contexts int) (*Float, error) {
	n, err := gle.New(net, params, contexts)
	if err != nil {
		return nil, err
	}
	return &Float{Net: n}, nil
}

func (f *Float) Step(x, y []float64) error { return f.Net.Step(x, y) }
func (f *Float) Output() []float64         { return f.Net.Out }
func (f *Float) Params() *network.Params   { return f.Net.Params.Clone() }
func (f *Float) SetLearning(on bool)       { f.Net.Frozen = !on }
func (f *Float) Contexts() int             { return f.Net.Contexts }

// NewBackend builds the backend called name ("float"; "chip" is not built yet).
func NewBackend(name string, net *network.Network, params *network.Params, contexts int) (Backend, error) {
	switch name {
	case "float":
		return NewFloat(net, params, contexts)
	case "chip":
		return nil, ErrNoChip
	}
	return nil, fmt.Errorf("train: unknown backend %q; use float", name)
}
