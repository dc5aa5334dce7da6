package main

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/trace"
)

type runFlags struct {
	net, input, target, tracePath, vcdPath, backend, device string
	steps, contexts                                         int
	names                                                   bool
}

func init() {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run --net FILE --steps N [--contexts C] [--input in.csv] [--target t.csv] --trace out.csv [--vcd out.vcd] [--backend chip|float] [--device emu|serial:///dev/…]",
		Short: "Run a network on the chip (emulator or board) or the float reference and write its per-step trace",
		Long: `run steps a network file (docs/network-format.md) and writes its per-step trace
(step,layer,var,b,i,j,value; a .gz name compresses it), and optionally a VCD file for a
waveform viewer.

--backend chip (the default) compiles the network for the device's chip and runs it
through host.Device on --device: emu (the default, the emulator in process), or a board
or the firmware simulator, serial:///dev/ttyUSB0?baud=3000000 or a device path such as
/dev/pts/3. Its trace holds every step's output (layer −1, var out) and, per neuron
population, u, r and ĕ (probes; the VCD the same). --backend float runs the float64
reference (gle/) in process and writes its full trace: inputs, targets, outputs, every
state and parameter; it takes no --device.

--input and --target are CSV streams: one row per step, one column per input (target)
value, an optional "context" column with the rows of contexts 0…C−1 of a step in a row,
an optional header. A cross-entropy network also takes a single "label" column as
target. Without --input the input is 0; without --target there is no output error.
The network learns as its file says.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNet(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.net, "net", "", "the network file (required)")
	fl.IntVar(&f.steps, "steps", 0, "steps to run (default: the input stream's length)")
	fl.IntVar(&f.contexts, "contexts", 0, "contexts to run (default: the input stream's, else 1)")
	fl.StringVar(&f.input, "input", "", "CSV stream of inputs")
	fl.StringVar(&f.target, "target", "", "CSV stream of targets")
	fl.StringVar(&f.tracePath, "trace", "", "the CSV trace to write (required; .gz compresses)")
	fl.StringVar(&f.vcdPath, "vcd", "", "also write a VCD waveform file")
	fl.StringVar(&f.backend, "backend", "chip", "the backend: chip (through --device) or float (the float64 reference)")
	fl.StringVar(&f.device, "device", host.EmulatorName, "the chip backend's device: emu, serial:///dev/ttyUSB0?baud=3000000, or a device path")
	fl.BoolVar(&f.names, "names", false, "write population names instead of layer indices in the trace")
	rootCmd.AddCommand(cmd)
}

func runNet(cmd *cobra.Command, f runFlags) error {
	switch {
	case f.net == "":
		return usagef("--net is required: the network file to run")
	case f.tracePath == "":
		return usagef("--trace is required: the CSV file to write the trace to")
	case f.steps < 0:
		return usagef("--steps %d: give a positive number of steps", f.steps)
	case f.contexts < 0:
		return usagef("--contexts %d: give a positive number of contexts", f.contexts)
	}
	switch f.backend {
	case "float":
		if cmd.Flags().Changed("device") {
			return usagef("--device %s selects the chip backend's device; it cannot be used with --backend float", f.device)
		}
	case "chip":
	default:
		return usagef("unknown backend %q; use --backend chip or float", f.backend)
	}
	nw, err := network.Load(f.net)
	if err != nil {
		return err
	}
	var in, tgt *trace.Stream
	if f.input != "" {
		if in, err = trace.ReadStreamFile(f.input); err != nil {
			return err
		}
		if in.Width != nw.InputWidth() {
			return fmt.Errorf("--input %s has %d columns; the network takes %d inputs", f.input, in.Width, nw.InputWidth())
		}
	}
	labels := false
	if f.target != "" {
		if tgt, err = trace.ReadStreamFile(f.target); err != nil {
			return err
		}
		labels = nw.Loss.Kind == network.LossCrossEntropy && tgt.Width == 1 && tgt.Columns[0] == "label"
		if tgt.Width != nw.OutputWidth() && !labels {
			return fmt.Errorf("--target %s has %d columns; the network has %d outputs (a cross-entropy network also takes one \"label\" column)", f.target, tgt.Width, nw.OutputWidth())
		}
	}
	contexts := f.contexts
	for _, s := range []struct {
		flag string
		s    *trace.Stream
	}{{"--input", in}, {"--target", tgt}} {
		if s.s == nil {
			continue
		}
		if contexts == 0 {
			contexts = s.s.Contexts
		}
		if s.s.Contexts != contexts {
			return usagef("%s has %d contexts per step, but %d contexts run; make them agree", s.flag, s.s.Contexts, contexts)
		}
	}
	if contexts == 0 {
		contexts = 1
	}
	steps := f.steps
	if steps == 0 {
		if in == nil {
			return usagef("--steps is required without --input")
		}
		steps = in.Steps
	}
	for _, s := range []struct {
		flag string
		s    *trace.Stream
	}{{"--input", in}, {"--target", tgt}} {
		if s.s != nil && s.s.Steps < steps {
			return usagef("%s has %d steps, fewer than the %d to run; give a longer stream or fewer --steps", s.flag, s.s.Steps, steps)
		}
	}
	if f.backend == "chip" {
		return runChip(cmd, f, nw, in, tgt, labels, contexts, steps)
	}
	n, err := gle.New(nw, nil, contexts)
	if err != nil {
		return err
	}

	tw, closeTrace, err := create(f.tracePath)
	if err != nil {
		return err
	}
	csv := trace.NewCSVWriter(tw, f.names)
	var sample func() error
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
		if sample, err = n.VCDVars(vcd); err != nil {
			closeTrace()
			closeVCD()
			return err
		}
	}

	err = func() error {
		x := make([]float64, contexts*n.InputWidth())
		lab := make([]int, contexts)
		if err := n.TraceParams(-1, csv.Write); err != nil {
			return err
		}
		for k := range steps {
			if in != nil {
				copy(x, in.Row(k))
			}
			switch {
			case tgt == nil:
				err = n.Step(x, nil)
			case labels:
				for c, v := range tgt.Row(k) {
					lab[c] = int(v)
					if float64(lab[c]) != v {
						return fmt.Errorf("--target %s: step %d context %d: label %v is not a class number", f.target, k, c, v)
					}
				}
				err = n.StepLabels(x, lab)
			default:
				err = n.Step(x, tgt.Row(k))
			}
			if err != nil {
				return fmt.Errorf("step %d: %w", k, err)
			}
			if err := n.TraceStep(csv.Write); err != nil {
				return err
			}
			if sample != nil {
				if err := sample(); err != nil {
					return err
				}
			}
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
	fmt.Fprintf(cmd.OutOrStdout(), "ran %s for %d steps on %d context(s) on the float reference; trace in %s", name, steps, contexts, f.tracePath)
	if f.vcdPath != "" {
		fmt.Fprintf(cmd.OutOrStdout(), ", waveforms in %s", f.vcdPath)
	}
	fmt.Fprintln(cmd.OutOrStdout())
	return nil
}

// create opens path for writing, gzip-compressed if it ends in .gz; close flushes and
// closes.
func create(path string) (io.Writer, func() error, error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return file, file.Close, nil
	}
	gz := gzip.NewWriter(file)
	return gz, func() error { return errors.Join(gz.Close(), file.Close()) }, nil
}
