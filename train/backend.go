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
	// LR is the learning rate the next learning step uses; SetLR changes it (the
	// training loop's schedules do).
	LR() float64
	SetLR(lr float64)
}

// Checkpointer is a Backend that can save and restore everything it needs to continue
// bit for bit: parameters, dynamic state, optimizer state, counters.
type Checkpointer interface {
	// AppendCheckpoint appends the backend's state to dst.
	AppendCheckpoint(dst []byte) ([]byte, error)
	// Restore loads a state written by AppendCheckpoint of a backend built for the same
	// network and contexts; on error the backend is unchanged.
	Restore(buf []byte) error
}

// Backends lists the backend names the loop knows, in the order the CLI offers them.
var Backends = []string{"float", "chip"}

// Float is the float64 reference (package gle) as a Backend.
type Float struct{ Net *gle.Net }

var _ Checkpointer = (*Float)(nil)

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
func (f *Float) LR() float64               { return f.Net.LR }
func (f *Float) SetLR(lr float64)          { f.Net.LR = lr }

// AppendCheckpoint appends the Net's checkpoint (gle's format, no blob).
func (f *Float) AppendCheckpoint(dst []byte) ([]byte, error) { return f.Net.AppendCheckpoint(dst, nil) }

// Restore loads a checkpoint written by AppendCheckpoint.
func (f *Float) Restore(buf []byte) error {
	_, err := f.Net.Restore(buf)
	return err
}

// NewBackend builds the backend called name: "float" (package gle) or "chip" (the
// network compiled and loaded onto opt.Device, see NewChip; opt is used only by the
// chip) for net with params (nil: network.InitParams) and contexts.
func NewBackend(name string, net *network.Network, params *network.Params, contexts int, opt ChipOptions) (Backend, error) {
	switch name {
	case "float":
		return NewFloat(net, params, contexts)
	case "chip":
		return NewChip(net, params, contexts, opt)
	}
	return nil, fmt.Errorf("train: unknown backend %q; use float or chip", name)
}

// Close closes b if it holds a device (the chip backend) and does nothing otherwise.
func Close(b Backend) error {
	if c, ok := b.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// ReadParams returns b's parameters, with the error of a backend that reads them from a
// device (Chip.ReadParams) instead of Params' nil.
func ReadParams(b Backend) (*network.Params, error) {
	if r, ok := b.(interface {
		ReadParams() (*network.Params, error)
	}); ok {
		return r.ReadParams()
	}
	return b.Params(), nil
}
