package host

import (
	"context"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/host/command"
	"github.com/glemu/glemu/host/proto"
)

// emulator is the in-process backend: a command.Machine, the same one the firmware
// simulator runs behind the serial link.
type emulator struct {
	m        command.Machine
	requests map[proto.Type]int64
	vals     []float64
	raws     []int64
	out      []int64
	in       command.StepIn
}

func newEmulator(o options) *Device {
	e := &emulator{requests: map[proto.Type]int64{}}
	if o.workers > 1 {
		e.m.Options = []chip.Option{chip.WithWorkers(o.workers)}
	}
	// With WithChip the emulator stands in for that board: programs must fit it.
	e.m.Board = o.expect
	return newDevice(e, Info{Backend: "emu", Name: EmulatorName, Firmware: "glemu emulator", Chip: o.expect})
}

func (e *emulator) count(t proto.Type) { e.requests[t]++ }

func (e *emulator) load(_ context.Context, p *chip.Program, _ []byte) (command.Shape, error) {
	e.count(proto.TypeLoadEnd)
	if err := e.m.Load(p); err != nil {
		return command.Shape{}, err
	}
	return e.m.Shape(), nil
}

func (e *emulator) restore(_ context.Context, snap []byte) (command.Shape, error) {
	e.count(proto.TypeRestore)
	if err := e.m.Restore(snap); err != nil {
		return command.Shape{}, err
	}
	return e.m.Shape(), nil
}

func (e *emulator) reset(_ context.Context, unload bool) error {
	e.count(proto.TypeReset)
	return e.m.Reset(unload)
}

func (e *emulator) readRegs(_ context.Context, regs ...command.Reg) ([]command.RegValue, error) {
	e.count(proto.TypeReadReg)
	out := make([]command.RegValue, len(regs))
	for i, g := range regs {
		v, err := e.m.ReadReg(g)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (e *emulator) writeReg(_ context.Context, v command.RegValue) error {
	e.count(proto.TypeWriteReg)
	return e.m.WriteReg(v)
}

func (e *emulator) readMem(_ context.Context, m command.Mem, enc command.Encoding) (command.Values, error) {
	e.count(proto.TypeReadMem)
	return e.m.ReadMem(m, enc)
}

func (e *emulator) writeMem(_ context.Context, m command.Mem, enc command.Encoding, v command.Values) error {
	e.count(proto.TypeWriteMem)
	return e.m.WriteMem(m, enc, v)
}

func (e *emulator) setProbes(_ context.Context, raw bool, probes []chip.Probe) ([]command.ProbeInfo, error) {
	e.count(proto.TypeSetProbes)
	return e.m.SetProbes(raw, probes)
}

func (e *emulator) readProbes(_ context.Context, _ bool, vals []float64, raws []int64) (int64, error) {
	e.count(proto.TypeReadProbes)
	if err := e.m.Loaded(); err != nil {
		return 0, err
	}
	if err := e.m.SampleProbes(vals, raws); err != nil {
		return 0, err
	}
	return int64(e.m.Chip().Steps()) - 1, nil
}

func (e *emulator) counters(_ context.Context, reset bool) (chip.Counters, error) {
	e.count(proto.TypeReadCounters)
	return e.m.Counters(reset)
}

func (e *emulator) setLearning(_ context.Context, on bool) (bool, error) {
	e.count(proto.TypeSetLearning)
	return e.m.SetLearning(on)
}

func (e *emulator) snapshot(context.Context) ([]byte, error) {
	e.count(proto.TypeSnapshot)
	return e.m.Snapshot()
}

// run steps the chip in process: the Device's Source and Sink run on the caller's
// goroutine, one step after the other.
func (e *emulator) run(ctx context.Context, j *runJob) error {
	e.count(proto.TypeRun)
	if err := e.m.Loaded(); err != nil {
		return err
	}
	var nv int
	if j.probes != nil {
		nv = command.ProbeValues(j.probes.infos)
	}
	e.vals, e.raws = growF(e.vals, nv), growRaw(e.raws, nv)
	e.in = command.StepIn{Mode: command.TargetHold}
	for k := range j.n {
		if k%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if j.produce != nil {
			if err := j.produce(k, &e.in); err != nil {
				j.userErr = err
				return err
			}
		}
		if err := e.m.Step(&e.in); err != nil {
			return err
		}
		if j.flags&command.RunOutputs != 0 {
			e.out = e.m.Output(e.out)
		}
		if j.probes != nil {
			if err := e.m.SampleProbes(e.vals, e.raws); err != nil {
				return err
			}
		}
		if err := j.result(k, e.out, e.vals, e.raws); err != nil {
			return err
		}
	}
	j.chipSteps = e.m.Chip().Steps()
	return nil
}

func (e *emulator) echo(_ context.Context, payload []byte) ([]byte, error) {
	e.count(proto.TypeRequest)
	return payload, nil
}

func (e *emulator) stats() Stats {
	s := Stats{Requests: make(map[proto.Type]int64, len(e.requests))}
	for k, v := range e.requests {
		s.Requests[k] = v
	}
	return s
}

func (e *emulator) close() error {
	e.m.Close()
	return nil
}

func growF(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
