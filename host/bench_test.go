package host_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/firmware-sim"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/network"
)

// wideProgram has in inputs, 16 tanh neurons and 4 outputs (MSE, Adam), on C contexts:
// with many inputs a step carries much data for little work, so the line is what
// limits a run through a board.
func wideProgram(b testing.TB, in, contexts int) *chip.Program {
	b.Helper()
	js := fmt.Sprintf(`{"format": "glemu-network", "version": 1, "name": "wide", "dt": 0.2, "seed": 3,
  "populations": [
    {"name": "x", "size": %d, "input": true},
    {"name": "h", "size": 16, "activation": "tanh", "bias": true, "tau_m": 1.2, "tau_r": 0.4},
    {"name": "out", "size": 4, "activation": "identity", "tau_m": 1.2, "tau_r": 1.2, "output": true}],
  "projections": [{"source": "x", "target": "h"}, {"source": "h", "target": "out"}],
  "loss": {"kind": "mse", "beta": 1},
  "learning": {"optimizer": {"kind": "adam", "lr": 0.001}, "weights": true, "biases": true}}`, in)
	net, err := network.Parse(strings.NewReader(js))
	if err != nil {
		b.Fatal(err)
	}
	p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: contexts})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkStreamingRun streams a training run (inputs and targets in, outputs back)
// in process and through the firmware simulator on a pty at 3,000,000 baud, and
// reports steps per second; through the board also the link efficiency: the payload
// bytes per second the host sent ÷ the line's raw rate (baud/10 for 8N1), the goal
// being at least 90 %, beside the line's busy time (what the pacer achieved, lower on
// a loaded machine) and the payload's share of the wire bytes (the protocol's
// overhead). Compare steps/s of path=board against path=emu for the same net.
func BenchmarkStreamingRun(b *testing.B) {
	const baud = host.DefaultBaudRate
	for _, net := range []struct {
		name         string
		in, contexts int
		steps        int
	}{{"inputs=3/contexts=4", 3, 4, 4000}, {"inputs=64/contexts=4", 64, 4, 600}} {
		var p *chip.Program
		for _, path := range []string{"emu", "board"} {
			b.Run(fmt.Sprintf("%s/path=%s", net.name, path), func(b *testing.B) {
				if p == nil {
					p = wideProgram(b, net.in, net.contexts)
				}
				ctx := context.Background()
				name := "emu"
				if path == "board" {
					sim, err := firmwaresim.StartPty(firmwaresim.Config{BaudRate: baud})
					if err != nil {
						b.Skipf("no pty: %v", err)
					}
					defer sim.Close()
					name = fmt.Sprintf("serial://%s?baud=%d", sim.Path, baud)
				}
				d, err := host.Open(ctx, name)
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close()
				if err := d.Load(ctx, p); err != nil {
					b.Fatal(err)
				}
				src := host.SourceFunc(func(k int, in *host.Input) error {
					for i := range in.X {
						in.X[i] = float64((k+i)%17)/8 - 1
					}
					for i := range in.Y {
						in.Y[i] = float64((k+3*i)%5) / 10
					}
					in.Target = host.TargetValues
					return nil
				})
				var sum float64
				sink := func(_ int, o *host.Output) error {
					sum += o.Values[0]
					return nil
				}
				var elapsed time.Duration
				steps := 0
				s0 := d.Stats().Link
				for b.Loop() {
					start := time.Now()
					if err := d.Run(ctx, net.steps, src, sink); err != nil {
						b.Fatal(err)
					}
					elapsed += time.Since(start)
					steps += net.steps
				}
				b.ReportMetric(float64(steps)/elapsed.Seconds(), "steps/s")
				if path == "board" {
					s := d.Stats().Link
					raw := float64(baud) / 10
					payload, wire := float64(s.PayloadSent-s0.PayloadSent), float64(s.BytesSent-s0.BytesSent)
					b.ReportMetric(payload/elapsed.Seconds()/raw*100, "%efficiency")
					b.ReportMetric(wire/elapsed.Seconds()/raw*100, "%line-busy")
					b.ReportMetric(payload/wire*100, "%payload/wire")
					b.ReportMetric(float64(s.Resent-s0.Resent), "resent")
				}
			})
		}
	}
}
