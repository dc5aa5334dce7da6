package firmwaresim

import (
	"context"
	"fmt"

	"github.com/glemu/glemu/host/command"
	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/host/proto"
)

// run executes a RUN: it takes the step records the host streams as DATA (if the RUN
// has inputs or targets), steps the chip once per record and streams the outputs and
// probe values back, cut into DATA chunks that fill the host's frames. A step that
// fails, or a DATA_ABORT from the host, ends the RUN at once; it answers with the
// error. The host stops streaming when the answer comes, and whatever DATA of the RUN
// is still on its way is dropped as stray: it names this RUN, which is over.
func (f *Firmware) run(ctx context.Context, req link.Message, q command.Run, st stream) (command.RunResult, error) {
	if err := f.m.Loaded(); err != nil {
		return command.RunResult{}, err
	}
	streamIn := q.Flags&(command.RunInputs|command.RunTargets) != 0
	lay := f.m.Layout()
	infos, probeRaw := f.m.Probes()
	if q.Flags&command.RunProbes != 0 && len(infos) == 0 {
		return command.RunResult{}, fmt.Errorf("firmware: RUN streams probes, but none are set; send SET_PROBES first")
	}
	nv := command.ProbeValues(infos)
	vals, raws := make([]float64, nv), make([]int64, nv)
	var out []int64
	room := f.room() + proto.ResponseLen - command.DataHeaderLen
	f.out = command.AppendDataHeader(f.out[:0], command.DataRunOut, req.Seq)
	sendOut := func(final bool) error {
		for len(f.out)-command.DataHeaderLen >= room || (final && len(f.out) > command.DataHeaderLen) {
			n := min(room, len(f.out)-command.DataHeaderLen)
			if err := st.send(ctx, req, f.out[:command.DataHeaderLen+n]); err != nil {
				return err
			}
			f.out = append(f.out[:command.DataHeaderLen], f.out[command.DataHeaderLen+n:]...)
		}
		return nil
	}

	var failed error
	var pending []byte // input bytes not yet taken as records
	in := command.StepIn{Mode: command.TargetHold}
	done := uint32(0)
	for done < q.Steps && failed == nil {
		if done%256 == 0 && ctx.Err() != nil {
			return command.RunResult{}, ctx.Err()
		}
		if streamIn {
			var n int
			for failed == nil {
				var err error
				if n, err = lay.ParseStepIn(pending, q.Flags, &in); err != nil {
					failed = err
					break
				}
				if n > 0 {
					break
				}
				m, err := st.next(ctx)
				if err != nil {
					return command.RunResult{}, err
				}
				if m.Type != proto.TypeData {
					f.defer_ = &m
					failed = fmt.Errorf("firmware: %v arrived in the middle of the RUN; the host must wait for the RUN's answer", m.Type)
					break
				}
				kind, run, data, err := command.ParseData(m.Payload)
				switch {
				case err != nil || run != req.Seq || kind == command.DataRunOut:
					f.count(func(s *Stats) { s.StrayData++ })
				case kind == command.DataRunAbort:
					failed = fmt.Errorf("firmware: RUN aborted by the host")
				default:
					pending = append(pending, data...)
				}
			}
			if failed != nil {
				break
			}
			pending = pending[:copy(pending, pending[n:])]
		}
		if err := f.m.Step(&in); err != nil {
			failed = err
			break
		}
		f.count(func(s *Stats) { s.Steps++ })
		if q.Flags&command.RunOutputs != 0 {
			out = f.m.Output(out)
		}
		if q.Flags&command.RunProbes != 0 {
			if err := f.m.SampleProbes(vals, raws); err != nil {
				failed = err
				break
			}
		}
		f.out = lay.AppendStepOut(f.out, q.Flags, out, probeRaw, vals, raws)
		if err := sendOut(false); err != nil {
			return command.RunResult{}, err
		}
		done++
	}
	if err := sendOut(true); err != nil {
		return command.RunResult{}, err
	}
	if failed != nil {
		return command.RunResult{}, fmt.Errorf("firmware: RUN stopped after %d of %d steps (chip step %d): %w", done, q.Steps, f.m.Chip().Steps(), failed)
	}
	return command.RunResult{ChipSteps: f.m.Chip().Steps(), Done: done}, nil
}
