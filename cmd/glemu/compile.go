package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/image"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/compiler/tilemap"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/trace"
)

type compileFlags struct {
	output, manifest, report, plot, mem, config string
	mesh                                        string
	neurons, inputs, linkBits, macUnits         int
	clock, stepRate                             float64
	contexts                                    int
	seed                                        uint64
	samples, targets                            string
	dryRun                                      bool
}

func init() {
	var f compileFlags
	cmd := &cobra.Command{
		Use:   "compile net.json -o net.img [--report r.json] [--plot tiles.png] [--mem DIR] [--dry-run]",
		Short: "Compile a network onto the chip: checks, scales, partition, placement, routes",
		Long: `compile maps a network file (docs/network-format.md) onto the chip and writes the
program as a chip/image binary (-o) with a JSON manifest beside it (what went where, the
formats and scales chosen). It prints a compact report: tiles used and their
utilisation, quantization SQNR per layer, the busiest link, cycles per step, the highest
step rate at the clock and the energy per step (the chip's cost model).

Every design rule runs, and every violation is printed at once with its rule ID and a
fix (docs/compiler.md lists the rules). --dry-run checks and reports without writing.
The chip is the reference chip unless --config (a JSON file of the fields below) or the
flags change it; flags win over the file.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("compile takes one network file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return compileNet(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "the image file to write (required unless --dry-run)")
	fl.StringVar(&f.manifest, "manifest", "", "the JSON manifest to write (default: the image's name with .manifest.json)")
	fl.StringVar(&f.report, "report", "", "also write the report as JSON")
	fl.StringVar(&f.plot, "plot", "", "also draw the tile map with link loads as a PNG")
	fl.StringVar(&f.mem, "mem", "", "also write every tile's memories as $readmemh files and mem.json into this directory")
	fl.BoolVar(&f.dryRun, "dry-run", false, "check and report; write nothing")
	fl.StringVar(&f.config, "config", "", `chip configuration, JSON: {"rows", "cols", "neurons_per_tile", "inputs_per_neuron", "max_contexts", "mac_units", "link_bits", "clock_hz"} (any subset)`)
	fl.StringVar(&f.mesh, "mesh", "", "mesh of tiles, ROWSxCOLS (default 4x4)")
	fl.IntVar(&f.neurons, "neurons", 0, "neuron slots per tile, N (default 256)")
	fl.IntVar(&f.inputs, "inputs", 0, "inputs per neuron (crossbar columns), F (default 256)")
	fl.IntVar(&f.linkBits, "link-bits", 0, "bits a link carries per cycle (default 32)")
	fl.IntVar(&f.macUnits, "mac-units", 0, "MAC units per tile (default 64)")
	fl.Float64Var(&f.clock, "clock", 0, "clock frequency in Hz (default 200e6)")
	fl.IntVar(&f.contexts, "contexts", 1, "contexts the program runs at once")
	fl.Uint64Var(&f.seed, "seed", 0, "placement seed (annealing)")
	fl.StringVar(&f.samples, "samples", "", "CSV stream of sample inputs whose measured ranges choose the scales")
	fl.StringVar(&f.targets, "targets", "", "CSV stream of sample targets for the same steps (ranges of the errors)")
	fl.Float64Var(&f.stepRate, "step-rate", 0, "required steps per second: links and tiles too slow for it are errors")
	rootCmd.AddCommand(cmd)
}

// chipFile is the --config file: a subset of chip.Config's fields over the default.
type chipFile struct {
	Rows            *int     `json:"rows"`
	Cols            *int     `json:"cols"`
	NeuronsPerTile  *int     `json:"neurons_per_tile"`
	InputsPerNeuron *int     `json:"inputs_per_neuron"`
	MaxContexts     *int     `json:"max_contexts"`
	MACUnits        *int     `json:"mac_units"`
	LinkBits        *int     `json:"link_bits"`
	ClockHz         *float64 `json:"clock_hz"`
}

func chipConfig(f compileFlags) (chip.Config, error) {
	cfg := chip.DefaultConfig()
	if f.config != "" {
		b, err := os.ReadFile(f.config)
		if err != nil {
			return cfg, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var cf chipFile
		if err := dec.Decode(&cf); err != nil {
			return cfg, fmt.Errorf("--config %s: %v; give a JSON object with rows, cols, neurons_per_tile, inputs_per_neuron, max_contexts, mac_units, link_bits, clock_hz", f.config, err)
		}
		for _, s := range []struct {
			src *int
			dst *int
		}{{cf.Rows, &cfg.Rows}, {cf.Cols, &cfg.Cols}, {cf.NeuronsPerTile, &cfg.NeuronsPerTile}, {cf.InputsPerNeuron, &cfg.InputsPerNeuron},
			{cf.MaxContexts, &cfg.MaxContexts}, {cf.MACUnits, &cfg.MACUnits}, {cf.LinkBits, &cfg.LinkBits}} {
			if s.src != nil {
				*s.dst = *s.src
			}
		}
		if cf.ClockHz != nil {
			cfg.ClockHz = *cf.ClockHz
		}
	}
	if f.mesh != "" {
		var r, c int
		if n, err := fmt.Sscanf(strings.ToLower(f.mesh), "%dx%d", &r, &c); err != nil || n != 2 {
			return cfg, usagef("--mesh %q: give ROWSxCOLS, e.g. 4x4", f.mesh)
		}
		cfg.Rows, cfg.Cols = r, c
	}
	for _, s := range []struct {
		v   int
		dst *int
	}{{f.neurons, &cfg.NeuronsPerTile}, {f.inputs, &cfg.InputsPerNeuron}, {f.linkBits, &cfg.LinkBits}, {f.macUnits, &cfg.MACUnits}} {
		if s.v != 0 {
			*s.dst = s.v
		}
	}
	if f.clock != 0 {
		cfg.ClockHz = f.clock
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usagef("%v", err)
	}
	return cfg, nil
}

// readSamples reads the --samples (and --targets) streams: one context per step.
func readSamples(f compileFlags, n *network.Network) (*compiler.Samples, error) {
	if f.samples == "" {
		if f.targets != "" {
			return nil, usagef("--targets needs --samples: the inputs of the same steps")
		}
		return nil, nil
	}
	rows := func(flag, path string, width int) ([][]float64, error) {
		s, err := trace.ReadStreamFile(path)
		if err != nil {
			return nil, err
		}
		if s.Width != width {
			return nil, usagef("%s %s has %d columns; the network has %d", flag, path, s.Width, width)
		}
		out := make([][]float64, s.Steps)
		for k := range out {
			out[k] = s.Row(k)[:width] // context 0 of each step
		}
		return out, nil
	}
	s := &compiler.Samples{}
	var err error
	if s.Inputs, err = rows("--samples", f.samples, n.InputWidth()); err != nil {
		return nil, err
	}
	if f.targets != "" {
		if s.Targets, err = rows("--targets", f.targets, n.OutputWidth()); err != nil {
			return nil, err
		}
		if len(s.Targets) < len(s.Inputs) {
			return nil, usagef("--targets has %d steps, --samples %d; give a target for every sample step", len(s.Targets), len(s.Inputs))
		}
		s.Targets = s.Targets[:len(s.Inputs)]
	}
	return s, nil
}

func compileNet(cmd *cobra.Command, path string, f compileFlags) error {
	if f.output == "" && !f.dryRun {
		return usagef("give -o FILE for the image, or --dry-run to check without writing")
	}
	if f.contexts < 1 {
		return usagef("--contexts %d: run at least 1 context", f.contexts)
	}
	cfg, err := chipConfig(f)
	if err != nil {
		return err
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	n, err := network.Parse(file)
	file.Close()
	if err != nil {
		return fmt.Errorf("%w (in %s)", err, path)
	}
	samples, err := readSamples(f, n)
	if err != nil {
		return err
	}
	res, err := compiler.Compile(n, compiler.Options{Config: cfg, Contexts: f.contexts, Seed: f.seed, Samples: samples, StepRate: f.stepRate})
	if err != nil {
		var ce *compiler.CheckError
		if errors.As(err, &ce) {
			return fmt.Errorf("%s: %w", path, err)
		}
		return err
	}
	out := cmd.OutOrStdout()
	if err := res.Report.WriteText(out); err != nil {
		return err
	}
	if f.dryRun {
		fmt.Fprintln(out, "dry run: nothing written")
		return nil
	}
	if err := image.Save(f.output, res.Program); err != nil {
		return err
	}
	manifest := f.manifest
	if manifest == "" {
		manifest = strings.TrimSuffix(f.output, filepath.Ext(f.output)) + ".manifest.json"
	}
	if err := writeJSON(manifest, res.Manifest); err != nil {
		return err
	}
	written := []string{f.output, manifest}
	if f.report != "" {
		if err := writeJSON(f.report, res.Report); err != nil {
			return err
		}
		written = append(written, f.report)
	}
	if f.plot != "" {
		if err := tilemap.Save(f.plot, res.Report); err != nil {
			return err
		}
		written = append(written, f.plot)
	}
	if f.mem != "" {
		m, err := compiler.WriteMem(f.mem, res.Program)
		if err != nil {
			return err
		}
		written = append(written, fmt.Sprintf("%s/ (%d memory files)", f.mem, len(m.Files)))
	}
	fmt.Fprintf(out, "wrote %s\n", strings.Join(written, ", "))
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
