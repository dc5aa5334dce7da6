package host

import (
	"context"
	"fmt"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/host/command"
	"github.com/glemu/glemu/trace"
)

// probeOut writes probe values to a chip.ProbeOutput exactly as the chip's own probes
// do (chip.Chip.SetProbes): the same records in the same order, the same VCD
// variables.
type probeOut struct {
	out    chip.ProbeOutput
	infos  []command.ProbeInfo
	raw    bool
	names  []string // population names
	vals   []float64
	raws   []int64
	values []float64 // VCD sample
}

func newProbeOut(out chip.ProbeOutput, infos []command.ProbeInfo, p *chip.Program) (*probeOut, error) {
	po := &probeOut{out: out, infos: infos, raw: out.Raw}
	for _, q := range p.Populations {
		po.names = append(po.names, q.Name)
	}
	n := command.ProbeValues(infos)
	po.vals, po.raws = make([]float64, n), make([]int64, n)
	if v := out.VCD; v != nil {
		for _, it := range infos {
			scope := po.names[it.Pop]
			for _, nr := range it.Neurons {
				if it.Contexts == nil {
					if _, err := v.Var(scope, fmt.Sprintf("%s[%d]", it.Var, nr)); err != nil {
						return nil, err
					}
					continue
				}
				for _, k := range it.Contexts {
					if _, err := v.Var(scope, fmt.Sprintf("%s[%d]c%d", it.Var, nr, k)); err != nil {
						return nil, err
					}
				}
			}
		}
		po.values = make([]float64, n)
	}
	return po, nil
}

// write writes the values of one step.
func (p *probeOut) write(step int, vals []float64, raws []int64) error {
	k := 0
	for _, it := range p.infos {
		emit := func(ctx, n int) error {
			val := vals[k]
			if p.values != nil {
				p.values[k] = val
			}
			if w := p.out.CSV; w != nil {
				rec := trace.Record{Step: step, Layer: it.Layer, LayerName: p.names[it.Pop], Var: it.Var, B: ctx, I: n, J: -1, Value: val}
				if err := w.Write(rec); err != nil {
					return err
				}
				if p.raw {
					rec.Var, rec.Value = it.Var+"_raw", float64(raws[k])
					if err := w.Write(rec); err != nil {
						return err
					}
				}
			}
			k++
			return nil
		}
		for _, n := range it.Neurons {
			if it.Contexts == nil {
				if err := emit(-1, n); err != nil {
					return err
				}
				continue
			}
			for _, ctx := range it.Contexts {
				if err := emit(ctx, n); err != nil {
					return err
				}
			}
		}
	}
	if p.values != nil {
		return p.out.VCD.Sample(step, p.values)
	}
	return nil
}

// flush does nothing: the writers buffer, and their owner flushes them, as with the
// chip's probes.
func (p *probeOut) flush() error { return nil }

// SetProbes records probes every step of every Run from now on into out, as
// chip.Chip.SetProbes does (the same CSV records and VCD variables); with no probes,
// recording stops. The caller flushes out's writers.
func (d *Device) SetProbes(ctx context.Context, out chip.ProbeOutput, probes ...chip.Probe) error {
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	if err := d.needProgram(); err != nil {
		return err
	}
	if len(probes) > 0 && out.CSV == nil && out.VCD == nil {
		return fmt.Errorf("host: probes need a CSV or a VCD writer")
	}
	infos, err := d.b.setProbes(ctx, out.Raw, probes)
	if err != nil {
		d.probes = nil
		return d.fail("set probes", err)
	}
	if len(infos) == 0 {
		d.probes = nil
		return nil
	}
	po, err := newProbeOut(out, infos, d.prog)
	if err != nil {
		return err
	}
	d.probes = po
	return nil
}

// ReadProbes writes the probes' values now, without a step (labelled with the last
// step taken, −1 before the first), to the probes' output: the initial state before a
// run, say.
func (d *Device) ReadProbes(ctx context.Context) error {
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	if d.probes == nil {
		return fmt.Errorf("host: read probes: no probes are set; call SetProbes first")
	}
	step, err := d.b.readProbes(ctx, d.probes.raw, d.probes.vals, d.probes.raws)
	if err != nil {
		return d.fail("read probes", err)
	}
	return d.probes.write(int(step), d.probes.vals, d.probes.raws)
}
