package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/glemu/glemu/train"
)

type plotFlags struct {
	out    string
	labels []string
	paper  bool
}

func init() {
	var f plotFlags
	cmd := &cobra.Command{
		Use:   "plot LOG.jsonl... -o FILE.png [--label NAME]...",
		Short: "Draw the learning curves of several MNIST-1D training logs side by side",
		Long: `plot reads training logs as glemu train --log writes them (one JSON line per
epoch) and draws them in one PNG: every run's test accuracy per epoch beside the paper's
mean curve, and every run's training and test loss per step. Use it to put the chip's
run beside the float reference's:

  glemu train --task mnist1d --log chip.jsonl
  glemu train --task mnist1d --backend float --log float.jsonl
  glemu plot chip.jsonl float.jsonl --label chip --label float -o compare.png

Each run is named by its --label, in order, or else by its file name.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlot(cmd, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "out", "o", "", "the PNG file to write")
	fl.StringArrayVar(&f.labels, "label", nil, "the name of each log's run, in the order of the logs (default: the file names)")
	fl.BoolVar(&f.paper, "paper", true, "draw the paper's mean test accuracy (MNIST-1D) beside the runs")
	rootCmd.AddCommand(cmd)
}

func runPlot(cmd *cobra.Command, f plotFlags, logs []string) error {
	switch {
	case f.out == "":
		return usagef("give the PNG file to write with -o FILE.png")
	case !strings.EqualFold(filepath.Ext(f.out), ".png"):
		return usagef("-o %s: the plot is a PNG; give a file name ending in .png", f.out)
	case len(f.labels) > 0 && len(f.labels) != len(logs):
		return usagef("%d --label for %d logs; give one per log, in order, or none", len(f.labels), len(logs))
	}
	runs := make([]train.NamedHistory, len(logs))
	for i, path := range logs {
		file, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("plot: %w; give the log files glemu train --log wrote", err)
		}
		history, err := train.ReadEpochLog(file)
		file.Close()
		if err != nil {
			return fmt.Errorf("plot: %s: %w", path, err)
		}
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if len(f.labels) > 0 {
			name = f.labels[i]
		}
		runs[i] = train.NamedHistory{Name: name, History: history}
	}
	var reference []train.CurvePoint
	if f.paper {
		reference = paperCurve()
	}
	if err := train.PlotComparison(f.out, runs, reference); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	for _, r := range runs {
		last := r.History[len(r.History)-1]
		fmt.Fprintf(out, "%s: %d epochs, test accuracy %.1f %% after the last\n", r.Name, len(r.History), 100*last.Test.Accuracy)
	}
	fmt.Fprintf(out, "wrote %s\n", f.out)
	return nil
}
