package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/trace"
)

// runChip runs nw on the chip of --device: it compiles the network for the device's
// chip, loads it, streams the inputs and targets through host.Device and writes the
// outputs and the probes of every neuron population to the trace.
func runChip(cmd *cobra.Command, f runFlags, nw *network.Network, in, tgt *trace.Stream, labels bool, contexts, steps int) error {
	ctx := cmdContext(cmd)
	d, err := host.Open(ctx, f.device)
	if err != nil {
		return err
	}
	defer d.Close()
	cfg := chip.DefaultConfig()
	if c := d.Info().Chip; c != nil {
		cfg = boardConfig(*c)
	}
	opts := compiler.Options{Config: cfg, Contexts: contexts}
	if in != nil {
		s := &compiler.Samples{}
		for k := range min(in.Steps, 256) {
			s.Inputs = append(s.Inputs, in.Row(k)[:nw.InputWidth()])
			if tgt != nil && !labels {
				s.Targets = append(s.Targets, tgt.Row(k)[:nw.OutputWidth()])
			}
		}
		opts.Samples = s
	}
	res, err := compiler.Compile(nw, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", f.net, err)
	}
	if err := d.Load(ctx, res.Program); err != nil {
		return err
	}

	tw, closeTrace, err := create(f.tracePath)
	if err != nil {
		return err
	}
	csv := trace.NewCSVWriter(tw, f.names)
	out := chip.ProbeOutput{CSV: csv}
	var vcd *trace.VCDWriter
	var closeVCD func() error
	if f.vcdPath != "" {
		vw, c, err := create(f.vcdPath)
		if err != nil {
			closeTrace()
			return err
		}
		closeVCD = c
		if vcd, err = trace.NewVCDWriter(vw, nw.Dt); err != nil {
			closeTrace()
			closeVCD()
			return err
		}
		out.VCD = vcd
	}
	err = func() error {
		var probes []chip.Probe
		for _, q := range res.Program.Populations {
			if q.Role != chip.RoleInput {
				for _, v := range []string{"u", "r", "e_breve"} {
					probes = append(probes, chip.Probe{Population: q.Name, Var: v})
				}
			}
		}
		if err := d.SetProbes(ctx, out, probes...); err != nil {
			return err
		}
		ow := nw.OutputWidth()
		src := host.SourceFunc(func(k int, x *host.Input) error {
			if in != nil {
				copy(x.X, in.Row(k))
			}
			switch {
			case tgt == nil:
				x.Target = host.TargetNone
			case labels:
				for c, v := range tgt.Row(k) {
					x.Labels[c] = int(v)
					if float64(x.Labels[c]) != v || v < 0 || int(v) >= ow {
						return fmt.Errorf("--target %s: step %d context %d: label %v is not a class number of 0…%d", f.target, k, c, v, ow-1)
					}
				}
				x.Target = host.TargetLabels
			default:
				copy(x.Y, tgt.Row(k))
				x.Target = host.TargetValues
			}
			return nil
		})
		sink := func(k int, o *host.Output) error {
			for c := range contexts {
				for i := range ow {
					r := trace.Record{Step: k, Layer: trace.NetworkLayer, Var: "out", B: c, I: i, J: -1, Value: o.Values[c*ow+i]}
					if err := csv.Write(r); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if err := d.Run(ctx, steps, src, sink); err != nil {
			return err
		}
		if err := csv.Flush(); err != nil {
			return err
		}
		if vcd != nil {
			return vcd.Flush()
		}
		return nil
	}()
	errs := []error{err, closeTrace()}
	if closeVCD != nil {
		errs = append(errs, closeVCD())
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	name := nw.Name
	if name == "" {
		name = f.net
	}
	where := "the emulator"
	if info := d.Info(); info.Backend != "emu" {
		where = fmt.Sprintf("%s (%s)", info.Name, info.Firmware)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "ran %s for %d steps on %d context(s) on the chip, %s; trace in %s", name, steps, contexts, where, f.tracePath)
	if f.vcdPath != "" {
		fmt.Fprintf(w, ", waveforms in %s", f.vcdPath)
	}
	fmt.Fprintln(w)
	c, err := d.Counters(ctx)
	if err == nil && (c.Total.Vars != nil || c.Host.Saturations != 0) {
		if h, err := d.Health(ctx); err == nil {
			fmt.Fprint(w, h)
		}
	}
	return nil
}

// boardConfig is the reference chip reshaped to a board's: its mesh, tiles, contexts
// and arithmetic, so that the compiler maps for it.
func boardConfig(c host.Chip) chip.Config {
	cfg := chip.DefaultConfig()
	cfg.Rows, cfg.Cols, cfg.NeuronsPerTile, cfg.InputsPerNeuron = c.Rows, c.Cols, c.NeuronsPerTile, c.InputsPerNeuron
	cfg.MaxContexts, cfg.LUTSegments = c.MaxContexts, c.LUTSegments
	cfg.Formats = append(fixedpoint.Table(nil), c.Formats...)
	for i, v := range cfg.Formats {
		if ref, ok := chip.DefaultConfig().Formats.Lookup(v.Name); ok {
			cfg.Formats[i].Doc = ref.Doc
		}
	}
	return cfg
}
