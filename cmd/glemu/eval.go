package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
	"github.com/glemu/glemu/train"
)

type evalFlags struct {
	checkpoint, net, backend, device string
	contexts, testSamples            int
}

func init() {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval --checkpoint DIR | --net FILE [--contexts C] [--test-samples N]",
		Short: "Measure a trained network's MNIST-1D test accuracy and loss",
		Long: `eval measures the MNIST-1D test set (1000 samples of 360 steps, in their order, no
learning, no target) as the spec defines it: a sample's class is the argmax of the
reported outputs summed over its 360 steps; the loss is the cross-entropy of every
step's reported output against the label, averaged over the steps and samples.

--checkpoint DIR starts from the state a training run saved in DIR after its last
epoch's training pass, so it reproduces that epoch's test figures exactly. --net FILE
starts from zero state with the parameters the file gives (a training run's
DIR/trained.net.json holds the learned ones), on --contexts contexts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEval(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.checkpoint, "checkpoint", "", "a training run's checkpoint directory")
	fl.StringVar(&f.net, "net", "", "a network file (one input, 10 cross-entropy outputs)")
	fl.StringVar(&f.backend, "backend", "chip", "with --net: the backend, chip (compiled and run through host.Device) or float")
	fl.StringVar(&f.device, "device", host.EmulatorName, "the chip backend's device: emu, serial://PORT[?baud=RATE] or a device path; only with --backend chip")
	fl.IntVar(&f.contexts, "contexts", tasks.MNIST1DContexts, "with --net: contexts stepped at once")
	fl.IntVar(&f.testSamples, "test-samples", 0, "with --net: measure the first N test samples only (default: all 1000)")
	rootCmd.AddCommand(cmd)
}

func runEval(cmd *cobra.Command, f evalFlags) error {
	changed := cmd.Flags().Changed
	out := cmd.OutOrStdout()
	switch {
	case (f.checkpoint == "") == (f.net == ""):
		return usagef("give one of --checkpoint DIR and --net FILE")
	case f.contexts < 1:
		return usagef("--contexts %d: give a number of contexts ≥ 1", f.contexts)
	case f.testSamples < 0:
		return usagef("--test-samples %d: give a number ≥ 1 (0: all)", f.testSamples)
	case f.backend != "float" && f.backend != "chip":
		return usagef("unknown backend %q; use --backend float or chip", f.backend)
	case f.backend == "float" && changed("device"):
		return usagef("--device %s selects the chip backend's device; it cannot be used with --backend float", f.device)
	}
	if err := checkDevice(f.device); err != nil {
		return err
	}
	opt := train.ChipOptions{Context: cmdContext(cmd), Device: f.device}
	if f.checkpoint != "" {
		for _, name := range []string{"backend", "contexts", "test-samples"} {
			if changed(name) {
				return usagef("--%s is for --net; a checkpoint runs as it was trained", name)
			}
		}
		ck, err := train.ReadCheckpoint(f.checkpoint)
		if err != nil {
			return err
		}
		r := ck.Record
		if r.Backend != "chip" && changed("device") {
			return usagef("--device %s selects the chip backend's device; checkpoint %s ran on the %s backend", f.device, f.checkpoint, r.Backend)
		}
		if r.Task != "mnist1d" {
			return fmt.Errorf("train: checkpoint %s is of task %q; eval measures mnist1d", f.checkpoint, r.Task)
		}
		data, err := tasks.NewMNIST1D()
		if err != nil {
			return err
		}
		data = data.Head(r.TrainSamples, r.TestSamples)
		bar := newEpochBar(out)
		bar.start("test set", train.Batches(data.NumTest(), r.Contexts)*data.Length)
		done := 0
		run, err := train.OpenCheckpoint(ck, data, f.checkpoint, opt)
		if err != nil {
			bar.finish()
			return err
		}
		defer run.Close()
		m, err := run.Evaluate(func(steps int) { done += steps; bar.set(done) })
		bar.finish()
		if err != nil {
			return err
		}
		last := r.History[len(r.History)-1]
		fmt.Fprintf(out, "%s after epoch %d (%s, %d parameters, %s backend, %d contexts):\n", f.checkpoint, last.Epoch,
			ck.Network.Name, ck.Network.NumParams(), r.Backend, r.Contexts)
		printMetrics(out, m)
		same := "equal"
		if m != last.Test {
			same = "differ from"
		}
		fmt.Fprintf(out, "these %s the figures the run recorded for epoch %d (%.2f %%, loss %.6f)\n", same, last.Epoch, 100*last.Test.Accuracy, last.Test.Loss)
		if c, ok := run.Classifier.Backend.(*train.Chip); ok { // its counters cover the whole run so far
			return chipSummary(out, c)
		}
		return nil
	}
	nw, err := network.Load(f.net)
	if err != nil {
		return err
	}
	data, err := tasks.NewMNIST1D()
	if err != nil {
		return err
	}
	if f.testSamples > 0 {
		data = data.Head(data.NumTrain(), f.testSamples)
	}
	if err := train.CheckFits(nw, data); err != nil {
		return err
	}
	bar := newEpochBar(out)
	bar.start("test set", train.Batches(data.NumTest(), f.contexts)*data.Length)
	done := 0
	m, err := train.EvaluateNetwork(f.backend, nw, data, f.contexts, opt, func(steps int) { done += steps; bar.set(done) })
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s (%s, %d parameters) on the %s backend, %d contexts, from zero state:\n", f.net, nw.Name, nw.NumParams(), backendName(f.backend, f.device), f.contexts)
	printMetrics(out, m)
	return nil
}

func printMetrics(out io.Writer, m train.Metrics) {
	fmt.Fprintf(out, "test accuracy %.2f %% (%d of %d), test loss %.6f (cross-entropy per step)\n", 100*m.Accuracy, m.Correct, m.Samples, m.Loss)
}
