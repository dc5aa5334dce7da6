package command

import (
	"encoding/binary"
	"fmt"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
)

// Layout is what the step records of a loaded program look like: its shape and the
// raw formats of its inputs (rate_bus) and of its targets and outputs (r), each value
// taking the fewest whole bytes that hold its format's width.
type Layout struct {
	Shape
	In, Out           fixedpoint.Var
	InBytes, OutBytes int
}

// LayoutOf returns the layout of p's step records.
func LayoutOf(p *chip.Program) (Layout, error) {
	in, ok1 := p.Config.Formats.Lookup("rate_bus")
	out, ok2 := p.Config.Formats.Lookup("r")
	if !ok1 || !ok2 {
		return Layout{}, fmt.Errorf("command: the program's formats have no rate_bus or r; it does not load")
	}
	return Layout{
		Shape: Shape{Contexts: p.Contexts, InputWidth: p.InputWidth(), OutputWidth: p.OutputWidth()},
		In:    in, Out: out,
		InBytes: (in.Format.Width() + 7) / 8, OutBytes: (out.Format.Width() + 7) / 8,
	}, nil
}

// TargetMode says what a step does with the target.
type TargetMode uint8

const (
	// TargetNone: no target from this step on (inference): e* = 0.
	TargetNone TargetMode = 0
	// TargetValues: the record holds the target, C × OutputWidth raw r values.
	TargetValues TargetMode = 1
	// TargetLabels: the record holds one class label per context (u16 each), set as
	// a one-hot target as chip.Chip.SetLabels does.
	TargetLabels TargetMode = 2
	// TargetHold: keep the previous step's target (or its absence).
	TargetHold TargetMode = 3
)

func (m TargetMode) String() string {
	switch m {
	case TargetNone:
		return "none"
	case TargetValues:
		return "values"
	case TargetLabels:
		return "labels"
	case TargetHold:
		return "hold"
	}
	return fmt.Sprintf("target mode %d", uint8(m))
}

// StepIn is one step's record from the host, in raw values.
type StepIn struct {
	X      []int64 // C × InputWidth raw rate_bus values; nil: the inputs stay as they are
	Mode   TargetMode
	Y      []int64 // TargetValues: C × OutputWidth raw r values
	Labels []int   // TargetLabels: C labels
}

// InRecordLen is the size of a step record from the host with target mode m.
func (l *Layout) InRecordLen(flags RunFlags, m TargetMode) int {
	n := 0
	if flags&RunInputs != 0 {
		n += l.Contexts * l.InputWidth * l.InBytes
	}
	if flags&RunTargets != 0 {
		n++
		switch m {
		case TargetValues:
			n += l.Contexts * l.OutputWidth * l.OutBytes
		case TargetLabels:
			n += 2 * l.Contexts
		}
	}
	return n
}

// AppendStepIn appends in as a step record from the host: (RunInputs) the inputs,
// then (RunTargets) the target mode byte and the target values or labels.
func (l *Layout) AppendStepIn(dst []byte, flags RunFlags, in *StepIn) []byte {
	if flags&RunInputs != 0 {
		for _, x := range in.X {
			dst = appendRaw(dst, x, l.InBytes)
		}
	}
	if flags&RunTargets != 0 {
		dst = append(dst, byte(in.Mode))
		switch in.Mode {
		case TargetValues:
			for _, y := range in.Y {
				dst = appendRaw(dst, y, l.OutBytes)
			}
		case TargetLabels:
			for _, c := range in.Labels {
				dst = appendU16(dst, uint16(c))
			}
		}
	}
	return dst
}

// ParseStepIn decodes the step record at the start of b into in (whose X, Y and Labels
// are reused if large enough) and returns its length, or 0 if b does not hold a whole
// record yet.
func (l *Layout) ParseStepIn(b []byte, flags RunFlags, in *StepIn) (int, error) {
	n := 0
	if flags&RunInputs != 0 {
		k := l.Contexts * l.InputWidth
		if len(b) < k*l.InBytes {
			return 0, nil
		}
		in.X = grow(in.X, k)
		signed := l.In.Format.Signed
		for i := range in.X {
			in.X[i] = getRaw(b[i*l.InBytes:], l.InBytes, signed)
		}
		n = k * l.InBytes
	} else {
		in.X = nil
	}
	in.Mode = TargetHold
	if flags&RunTargets == 0 {
		return n, nil
	}
	if len(b) <= n {
		return 0, nil
	}
	m := TargetMode(b[n])
	if m > TargetHold {
		return 0, fmt.Errorf("%w: step record: byte %d: unknown target mode %d", ErrMalformed, n, b[n])
	}
	if len(b) < n+l.InRecordLen(flags&RunTargets, m) {
		return 0, nil
	}
	n++
	in.Mode = m
	switch m {
	case TargetValues:
		k := l.Contexts * l.OutputWidth
		in.Y = grow(in.Y, k)
		signed := l.Out.Format.Signed
		for i := range in.Y {
			in.Y[i] = getRaw(b[n+i*l.OutBytes:], l.OutBytes, signed)
		}
		n += k * l.OutBytes
	case TargetLabels:
		if cap(in.Labels) < l.Contexts {
			in.Labels = make([]int, l.Contexts)
		}
		in.Labels = in.Labels[:l.Contexts]
		for i := range in.Labels {
			in.Labels[i] = int(binary.LittleEndian.Uint16(b[n+2*i:]))
		}
		n += 2 * l.Contexts
	}
	return n, nil
}

// OutRecordLen is the size of a step record from the board.
func (l *Layout) OutRecordLen(flags RunFlags, probeValues int, probeRaw bool) int {
	n := 0
	if flags&RunOutputs != 0 {
		n += l.Contexts * l.OutputWidth * l.OutBytes
	}
	if flags&RunProbes != 0 {
		n += ProbeSampleLen(probeValues, probeRaw)
	}
	return n
}

// AppendStepOut appends a step record from the board: (RunOutputs) the raw outputs,
// then (RunProbes) the probe sample.
func (l *Layout) AppendStepOut(dst []byte, flags RunFlags, out []int64, probeRaw bool, vals []float64, raws []int64) []byte {
	if flags&RunOutputs != 0 {
		for _, y := range out {
			dst = appendRaw(dst, y, l.OutBytes)
		}
	}
	if flags&RunProbes != 0 {
		dst = AppendProbeSample(dst, probeRaw, vals, raws)
	}
	return dst
}

// ParseStepOut decodes a step record from the board of OutRecordLen bytes at the start
// of b into out, vals and raws (of the lengths the layout and the probes give). It
// returns the record's length, or 0 if b does not hold a whole record yet.
func (l *Layout) ParseStepOut(b []byte, flags RunFlags, out []int64, probeRaw bool, vals []float64, raws []int64) int {
	n := l.OutRecordLen(flags, len(vals), probeRaw)
	if len(b) < n {
		return 0
	}
	off := 0
	if flags&RunOutputs != 0 {
		signed := l.Out.Format.Signed
		for i := range out {
			out[i] = getRaw(b[i*l.OutBytes:], l.OutBytes, signed)
		}
		off = len(out) * l.OutBytes
	}
	if flags&RunProbes != 0 {
		r := newReader("probe sample", b[off:n])
		r.probeSample(probeRaw, vals, raws)
	}
	return n
}

func grow(s []int64, n int) []int64 {
	if cap(s) < n {
		return make([]int64, n)
	}
	return s[:n]
}
