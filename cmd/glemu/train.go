package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/glemu/glemu/tasks"
	"github.com/glemu/glemu/train"
)

// defaultLagLineSteps is the shortest schedule shown to converge (train's tests): the
// student is within 0.01 % of the teacher after it.
const defaultLagLineSteps = 70000

func init() {
	var (
		task, backend string
		steps         int
		seed          uint64
	)
	cmd := &cobra.Command{
		Use:   "train --task lagline [--backend float] [--steps N] [--seed S]",
		Short: "Train a task and print what the student learned",
		Long: `train runs a teacher–student task and prints what the student learned.

lagline: two 1→1→1 softplus chains (spec section 6). The teacher has W = (1, 2) and
τm = (1, 2); the student starts from U(0, 1) draws and learns W and τm with Adam from the
teacher's output, on 100 contexts, after 5000 warm-up steps without learning. --steps
counts the learning steps (the paper runs 400000; the default is the shortest schedule
shown to converge).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if task != "lagline" {
				return usagef("unknown task %q; use --task lagline (MNIST-1D training comes with its own issue)", task)
			}
			if steps < 0 {
				return usagef("--steps %d: give a number of learning steps ≥ 0", steps)
			}
			if backend != "float" && backend != "chip" {
				return usagef("unknown backend %q; use --backend float", backend)
			}
			return trainLagLine(cmd.OutOrStdout(), cmd.ErrOrStderr(), backend, steps, seed)
		},
	}
	cmd.Flags().StringVar(&task, "task", "lagline", "the task to train: lagline")
	cmd.Flags().StringVar(&backend, "backend", "float", "the backend the student runs on: float (chip is not built yet)")
	cmd.Flags().IntVar(&steps, "steps", defaultLagLineSteps, "learning steps after the warm-up (the paper: 400000)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the task's draws (shifts, student's initial W and τm)")
	rootCmd.AddCommand(cmd)
}

func trainLagLine(out, errOut io.Writer, backend string, steps int, seed uint64) error {
	task, student, teacher, err := train.NewLagLineBackends(backend, seed)
	if err != nil {
		return err
	}
	var progress func(done, total int)
	if f, ok := errOut.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(tasks.LagLineWarmupSteps+steps, progressbar.OptionSetWriter(errOut),
			progressbar.OptionSetDescription("lag-line"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond))
		progress = func(done, _ int) { _ = bar.Set(done) }
		defer bar.Finish()
	}
	start := time.Now()
	res, err := train.LagLine(task, student, teacher, steps, progress)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "lag-line on the %s backend, seed %d: %d warm-up + %d learning steps, %d contexts, dt %g (%.1f s)\n",
		backend, seed, res.WarmupSteps, res.Steps, task.Contexts(), tasks.LagLineDt, time.Since(start).Seconds())
	fmt.Fprintf(out, "%-8s %10s %10s %10s %12s\n", "", "teacher", "initial", "learned", "rel. error")
	row := func(name string, teacher, initial, learned float64) {
		fmt.Fprintf(out, "%-8s %10.4f %10.4f %10.4f %11.3f%%\n", name, teacher, initial, learned, 100*abs(learned-teacher)/abs(teacher))
	}
	for i := range 2 {
		row(fmt.Sprintf("W%d", i), res.TeacherW[i], res.InitialW[i], res.W[i])
	}
	for i := range 2 {
		row(fmt.Sprintf("tau_m%d", i), res.TeacherTauM[i], res.InitialTauM[i], res.TauM[i])
	}
	verdict := "recovered the teacher (within 2 %)"
	if res.RelErr() > 0.02 {
		verdict = "not yet within 2 % of the teacher; train longer (--steps)"
	}
	fmt.Fprintf(out, "largest relative error %.3f %%: the student %s; output MSE over the last 1000 steps %.3g\n", 100*res.RelErr(), verdict, res.Loss)
	return nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
