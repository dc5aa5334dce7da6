package command

import (
	"errors"
	"fmt"

	"github.com/glemu/glemu/chip"
)

// ErrNoProgram is matched (errors.Is) by the error of every command that needs a loaded
// program when none is.
var ErrNoProgram = errors.New("command: no program loaded; load an image (or restore a snapshot) first")

// Machine is what every command does to a chip, in raw values: the firmware simulator
// runs one behind the serial link, and host.Device's emulator backend runs one in
// process, so that both give the same bits. It is not safe for concurrent use.
type Machine struct {
	// Board, if set, is the chip programs must fit (Chip.Fits): a board's. Nil accepts
	// every valid program, as the emulator does.
	Board *Chip
	// Options apply to chip.New and chip.Restore (chip.WithWorkers).
	Options []chip.Option

	prog     *chip.Program // what Reset reloads
	c        *chip.Chip
	lay      Layout
	probes   []ProbeInfo
	probeRaw bool
	fbuf     []float64
	ibuf     []int64
}

// Loaded returns nil if a program is loaded, else an error matching ErrNoProgram.
func (m *Machine) Loaded() error {
	if m.c == nil {
		return ErrNoProgram
	}
	return nil
}

// Chip returns the loaded chip, nil if none.
func (m *Machine) Chip() *chip.Chip { return m.c }

// Layout returns the loaded program's step-record layout.
func (m *Machine) Layout() Layout { return m.lay }

// Program returns the program Reset reloads: the one last loaded, or the one a restored
// snapshot holds (with the parameters it had then). Nil if none.
func (m *Machine) Program() *chip.Program { return m.prog }

// Load loads p, replacing the loaded program, its state, counters and probes. p must
// not be modified afterwards (Reset reloads it).
func (m *Machine) Load(p *chip.Program) error {
	if m.Board != nil {
		if err := m.Board.Fits(p); err != nil {
			return fmt.Errorf("command: %w", err)
		}
	}
	lay, err := LayoutOf(p)
	if err != nil {
		return err
	}
	c, err := chip.New(p, m.Options...)
	if err != nil {
		return err
	}
	m.set(c, p, lay)
	return nil
}

func (m *Machine) set(c *chip.Chip, p *chip.Program, lay Layout) {
	if m.c != nil {
		m.c.Close()
	}
	m.c, m.prog, m.lay = c, p, lay
	m.probes, m.probeRaw = nil, false
}

// Restore replaces the loaded program and its state by a snapshot's (chip.Restore).
func (m *Machine) Restore(snap []byte) error {
	c, err := chip.Restore(snap, m.Options...)
	if err != nil {
		return err
	}
	p := c.Program()
	if m.Board != nil {
		if err := m.Board.Fits(p); err != nil {
			c.Close()
			return fmt.Errorf("command: the snapshot's program does not suit this board: %w", err)
		}
	}
	lay, err := LayoutOf(p)
	if err != nil {
		c.Close()
		return err
	}
	m.set(c, p, lay)
	return nil
}

// Reset reloads the program (every state, counter and the step count back to their
// start, probes off), or with unload forgets it.
func (m *Machine) Reset(unload bool) error {
	if unload {
		if m.c != nil {
			m.c.Close()
		}
		*m = Machine{Board: m.Board, Options: m.Options}
		return nil
	}
	if m.prog == nil {
		return ErrNoProgram
	}
	return m.Load(m.prog)
}

// Close releases the chip's workers.
func (m *Machine) Close() {
	if m.c != nil {
		m.c.Close()
	}
}

// Shape returns the loaded program's shape.
func (m *Machine) Shape() Shape { return m.lay.Shape }

// Step applies one step record and steps the chip.
func (m *Machine) Step(in *StepIn) error {
	c := m.c
	if c == nil {
		return ErrNoProgram
	}
	if in.X != nil {
		if err := c.SetInputRaw(in.X); err != nil {
			return err
		}
	}
	switch in.Mode {
	case TargetNone:
		c.ClearTarget()
	case TargetValues:
		if err := c.SetTargetRaw(in.Y); err != nil {
			return err
		}
	case TargetLabels:
		if err := c.SetLabels(in.Labels); err != nil {
			return err
		}
	case TargetHold:
	default:
		return fmt.Errorf("command: unknown target mode %d", in.Mode)
	}
	return c.Step()
}

// Output writes the raw output of the last step into dst.
func (m *Machine) Output(dst []int64) []int64 { return m.c.OutputRaw(dst) }

// SetProbes chooses the probes recorded from now on (none: recording stops), with raw
// values too if raw is set, and returns them resolved.
func (m *Machine) SetProbes(raw bool, probes []chip.Probe) ([]ProbeInfo, error) {
	if m.c == nil {
		return nil, ErrNoProgram
	}
	ps, err := resolveProbes(m.c, m.prog, probes)
	if err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	m.probes, m.probeRaw = ps, raw && len(ps) > 0
	return ps, nil
}

// Probes returns the probes set and whether they record raw values too.
func (m *Machine) Probes() ([]ProbeInfo, bool) { return m.probes, m.probeRaw }

// SampleProbes writes the probes' current values into vals and, with raw probes, raws
// (each of ProbeValues(probes) values), as chip.Chip's probes record them.
func (m *Machine) SampleProbes(vals []float64, raws []int64) error {
	k := 0
	for _, p := range m.probes {
		var err error
		if m.fbuf, err = m.c.State(p.Pop, p.Var, m.fbuf); err != nil {
			return err
		}
		if m.probeRaw {
			if m.ibuf, err = m.c.StateRaw(p.Pop, p.Var, m.ibuf); err != nil {
				return err
			}
		}
		size := m.prog.Populations[p.Pop].Size
		put := func(idx int) {
			vals[k] = m.fbuf[idx]
			if m.probeRaw {
				raws[k] = m.ibuf[idx]
			}
			k++
		}
		for _, n := range p.Neurons {
			if p.Contexts == nil {
				put(n)
				continue
			}
			for _, ctx := range p.Contexts {
				put(ctx*size + n)
			}
		}
	}
	return nil
}

// ReadReg returns a register's value.
func (m *Machine) ReadReg(g Reg) (RegValue, error) {
	if m.c == nil {
		return RegValue{}, ErrNoProgram
	}
	v := RegValue{Reg: g}
	switch g {
	case RegSteps:
		v.Steps = m.c.Steps()
	case RegLearning:
		v.Learning = m.c.Learning()
	case RegShape:
		v.Shape = m.lay.Shape
	case RegLearningRegs:
		v.Learn = m.c.LearningRegisters()
	case RegHealth:
		v.Text = m.c.Health()
	case RegCost:
		v.Cost = m.c.Cost()
	default:
		return RegValue{}, fmt.Errorf("command: unknown register 0x%02x", uint8(g))
	}
	return v, nil
}

// WriteReg writes a register; only the learning registers are writable.
func (m *Machine) WriteReg(v RegValue) error {
	if m.c == nil {
		return ErrNoProgram
	}
	if v.Reg != RegLearningRegs {
		return fmt.Errorf("command: register %v is read only; only LEARNING_REGS is written (SET_LEARNING switches learning)", v.Reg)
	}
	return m.c.SetLearningRegisters(v.Learn)
}

// ReadMem reads a memory in encoding enc.
func (m *Machine) ReadMem(mem Mem, enc Encoding) (Values, error) {
	c := m.c
	if c == nil {
		return Values{}, ErrNoProgram
	}
	var v Values
	var err error
	switch {
	case mem.Space == SpaceWeights && enc == EncRaw:
		v.Raw, err = c.WeightsRaw(mem.Index, nil)
	case mem.Space == SpaceWeights:
		v.Float, err = c.Weights(mem.Index, nil)
	case mem.Space == SpaceCrossbar && enc == EncRaw:
		v.Raw, err = c.CrossbarRaw(mem.Index, nil)
	case mem.Space == SpaceState && enc == EncRaw:
		v.Raw, err = c.StateRaw(mem.Index, mem.Var, nil)
	case mem.Space == SpaceState:
		v.Float, err = c.State(mem.Index, mem.Var, nil)
	case mem.Space == SpaceOutput && enc == EncRaw:
		v.Raw = c.OutputRaw(nil)
	case mem.Space == SpaceOutput:
		v.Float = c.Output(nil)
	case mem.Space == SpaceCrossbar:
		return Values{}, fmt.Errorf("command: the crossbar cells are read raw only")
	default:
		return Values{}, fmt.Errorf("command: unknown memory space %d", mem.Space)
	}
	return v, err
}

// WriteMem writes a memory: weights or state, raw or dequantized values.
func (m *Machine) WriteMem(mem Mem, enc Encoding, v Values) error {
	c := m.c
	if c == nil {
		return ErrNoProgram
	}
	switch {
	case mem.Space == SpaceWeights && enc == EncRaw:
		return c.SetWeightsRaw(mem.Index, v.Raw)
	case mem.Space == SpaceWeights:
		return c.SetWeights(mem.Index, v.Float)
	case mem.Space == SpaceState && enc == EncRaw:
		return c.SetStateRaw(mem.Index, mem.Var, v.Raw)
	case mem.Space == SpaceState:
		return c.SetState(mem.Index, mem.Var, v.Float)
	case mem.Space == SpaceCrossbar, mem.Space == SpaceOutput:
		return fmt.Errorf("command: %v is read only; write the weights (the crossbar follows them)", mem.Space)
	}
	return fmt.Errorf("command: unknown memory space %d", mem.Space)
}

// SetLearning switches learning on or off and returns whether it is on: it stays off
// if the program learns nothing.
func (m *Machine) SetLearning(on bool) (bool, error) {
	if m.c == nil {
		return false, ErrNoProgram
	}
	m.c.SetLearning(on)
	return m.c.Learning(), nil
}

// Counters returns the chip's counters, and with reset clears them afterwards.
func (m *Machine) Counters(reset bool) (chip.Counters, error) {
	if m.c == nil {
		return chip.Counters{}, ErrNoProgram
	}
	c := m.c.Counters()
	if reset {
		m.c.ResetCounters()
	}
	return c, nil
}

// Snapshot returns a snapshot of the chip (chip.Chip.Snapshot).
func (m *Machine) Snapshot() ([]byte, error) {
	if m.c == nil {
		return nil, ErrNoProgram
	}
	return m.c.Snapshot()
}
