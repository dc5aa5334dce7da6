package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/glemu/glemu/bench"
)

type benchFlags struct {
	json, plot       string
	list, quick      bool
	time, repTime    time.Duration
	minReps, maxReps int
	workers          int
}

func init() {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench [names…] [--json FILE] [--plot FILE] [--list]",
		Short: "Run the performance suite and print its table",
		Long: `bench runs the performance suite (package bench): named, deterministic workloads
(the MNIST-1D network at 1 and 100 contexts, forward only and learning; a full 4×4 mesh
of 256×256 tiles learning; the lag-line chain; compiles of 10⁴, 10⁶ and 10⁷ synapses;
a streaming run through the firmware simulator on a pty at 3 Mbaud; the matrix kernels)
and prints one table: steps/s, synaptic operations/s, MAC/s against the plain-Go
scalar rate measured in the same run, the chip against the float reference on the same
workload, compile time per synapse, link efficiency against the baud rate.

Each workload repeats until it has a stable median (--time, --min-reps, --max-reps).
Names pick workloads: a full name, a prefix ("mnist1d") or a pattern ("compile/*");
without names the default set runs (about a minute). Long ones (a training epoch,
mnist1d/epoch/contexts=100) run only when named. --list shows them all.

--json writes the results for comparison across commits; --plot writes the scaling
curves (steps/s against neurons per tile and against contexts) as a PNG, running the
sweeps' workloads as well. Progress shows on a terminal only.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runBench(cmd, args, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.json, "json", "", "also write the results as JSON to this file")
	fl.StringVar(&f.plot, "plot", "", "also run the scaling sweeps and draw their curves as a PNG to this file")
	fl.BoolVar(&f.list, "list", false, "list the workloads and exit")
	fl.BoolVar(&f.quick, "quick", false, "run every workload once, one unit: a smoke test, not a measurement")
	fl.DurationVar(&f.time, "time", time.Second, "least time measuring each workload (and its float twin)")
	fl.DurationVar(&f.repTime, "rep-time", 100*time.Millisecond, "least duration of one repetition")
	fl.IntVar(&f.minReps, "min-reps", 5, "fewest repetitions of a workload")
	fl.IntVar(&f.maxReps, "max-reps", 30, "most repetitions of a workload")
	fl.IntVar(&f.workers, "workers", defaultWorkers(), "goroutines a chip steps its tiles on (the default is glemu train's: 2 where Go has 2 or more CPUs; the mnist1d/workers=1 workloads run on one whatever this says)")
	rootCmd.AddCommand(cmd)
}

func runBench(cmd *cobra.Command, args []string, f benchFlags) error {
	out := cmd.OutOrStdout()
	if f.list {
		return listWorkloads(out)
	}
	switch {
	case f.time <= 0 || f.repTime <= 0:
		return usagef("--time and --rep-time must be positive")
	case f.minReps < 1 || f.maxReps < f.minReps:
		return usagef("--min-reps %d, --max-reps %d: want 1 ≤ min ≤ max", f.minReps, f.maxReps)
	case f.workers < 1:
		return usagef("--workers %d: want at least 1", f.workers)
	}
	ws, err := bench.Select(args, f.plot != "")
	if err != nil {
		return usageError{err}
	}
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt)
	defer stop()
	opt := bench.Options{Time: f.time, RepTime: f.repTime, MinReps: f.minReps, MaxReps: f.maxReps, Quick: f.quick, Workers: f.workers}
	if bar := benchBar(cmd.ErrOrStderr(), len(ws)); bar != nil {
		opt.Progress = func(done, _ int, name string) {
			bar.Describe(name)
			_ = bar.Set(done)
		}
		defer bar.Close()
	}
	rep, err := bench.Run(ctx, ws, opt)
	if err != nil {
		return err
	}
	if err := rep.WriteTable(out); err != nil {
		return err
	}
	if f.json != "" {
		if err := writeFileWith(f.json, rep.WriteJSON); err != nil {
			return err
		}
		fmt.Fprintf(out, "results written to %s\n", f.json)
	}
	if f.plot != "" {
		png, err := rep.PlotPNG()
		if err != nil {
			return err
		}
		if err := os.WriteFile(f.plot, png, 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		fmt.Fprintf(out, "scaling curves written to %s\n", f.plot)
	}
	return nil
}

// benchBar is a progress bar over the workloads on a terminal, nil elsewhere.
func benchBar(w io.Writer, n int) *progressbar.ProgressBar {
	fh, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(fh.Fd())) {
		return nil
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(), progressbar.OptionSetDescription("bench"))
}

func listWorkloads(out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\truns\twhat")
	for _, w := range bench.Workloads() {
		set := "default"
		switch w.Set {
		case bench.SetSweep:
			set = "--plot"
		case bench.SetLong:
			set = "by name"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", w.Name, set, w.Doc)
	}
	return tw.Flush()
}

// writeFileWith writes path with write, reporting both errors.
func writeFileWith(path string, write func(io.Writer) error) error {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := write(fh); err != nil {
		fh.Close()
		return fmt.Errorf("bench: %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}
