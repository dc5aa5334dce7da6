package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/glemu/glemu/firmware-sim"
	"github.com/glemu/glemu/host"
)

type firmwareFlags struct {
	pty                          bool
	baud                         int
	config, mesh                 string
	neurons, inputs, maxContexts int
	maxPayload, rxBuffer, window int
	workers                      int
}

func init() {
	var f firmwareFlags
	cmd := &cobra.Command{
		Use:   "firmware-sim --pty [--baud B] [--mesh RxC ...]",
		Short: "Simulate a board: serve the host protocol on a pseudo-terminal",
		Long: `firmware-sim runs the board's firmware on the chip emulator and serves the host
protocol (docs/protocol.md) on a new pseudo-terminal, with a real board's limits: a
finite receive buffer, a maximum frame size, and UART pacing of both directions at
--baud. It prints the device path and serves until interrupted (Ctrl-C). Hosts may
come and go: the chip keeps its state between sessions.

The board's chip is the reference chip unless --config or the flags change it (as for
compile); programs must fit it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return firmwareSim(cmd, f) },
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.pty, "pty", false, "serve on a new pseudo-terminal (required; the only transport so far)")
	fl.IntVar(&f.baud, "baud", host.DefaultBaudRate, "line rate to pace both directions at, bits per second (8N1); 0 does not pace")
	fl.StringVar(&f.config, "config", "", "the board's chip, JSON as for compile --config")
	fl.StringVar(&f.mesh, "mesh", "", "mesh of tiles, ROWSxCOLS (default 4x4)")
	fl.IntVar(&f.neurons, "neurons", 0, "neuron slots per tile (default 256)")
	fl.IntVar(&f.inputs, "inputs", 0, "inputs per neuron (default 256)")
	fl.IntVar(&f.maxContexts, "max-contexts", 0, "contexts the chip holds (default 256)")
	fl.IntVar(&f.maxPayload, "max-payload", 0, "largest frame payload the board takes (default 1024)")
	fl.IntVar(&f.rxBuffer, "rx-buffer", 0, "the board's receive buffer in bytes (default 8192)")
	fl.IntVar(&f.window, "window", 0, "the board's receive buffer in frames (default 16)")
	fl.IntVar(&f.workers, "workers", 1, "goroutines stepping the chip's tiles")
	rootCmd.AddCommand(cmd)
}

func firmwareSim(cmd *cobra.Command, f firmwareFlags) error {
	if !f.pty {
		return usagef("firmware-sim needs --pty: it serves on a new pseudo-terminal (the only transport so far)")
	}
	if f.baud < 0 {
		return usagef("--baud %d: give a positive rate, or 0 not to pace", f.baud)
	}
	cfg, err := chipConfig(compileFlags{config: f.config, mesh: f.mesh, neurons: f.neurons, inputs: f.inputs})
	if err != nil {
		return err
	}
	if f.maxContexts != 0 {
		cfg.MaxContexts = f.maxContexts
		if err := cfg.Validate(); err != nil {
			return usagef("--max-contexts: %v", err)
		}
	}
	sim, err := firmwaresim.StartPty(firmwaresim.Config{Chip: cfg, BaudRate: f.baud, MaxPayload: f.maxPayload, RxBuffer: f.rxBuffer, Window: f.window, Workers: f.workers})
	if err != nil {
		return err
	}
	defer sim.Close()
	out := cmd.OutOrStdout()
	rate := "unpaced"
	dev := "serial://" + sim.Path
	if f.baud > 0 {
		rate = fmt.Sprintf("%d baud", f.baud)
		dev += fmt.Sprintf("?baud=%d", f.baud)
	}
	fmt.Fprintln(out, sim.Path)
	fmt.Fprintf(cmd.ErrOrStderr(), "firmware simulator serving on %s (%s; chip: %v); use --device %s; Ctrl-C stops it\n", sim.Path, rate, sim.Firmware.Hello().Chip, dev)
	ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
		return nil
	case <-sim.Done():
		return sim.Err()
	}
}
