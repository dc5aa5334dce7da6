package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/firmware-sim"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/network"
)

// streamSteps is the number of steps of one unit of a stream workload: one
// host.Device.Run.
const streamSteps = 100

func streamWorkloads() []Workload {
	const baud = host.DefaultBaudRate
	return []Workload{
		{Name: "stream/emu", Kind: KindStream,
			Doc:   fmt.Sprintf("a training run streamed through host.Device on the in-process emulator: x(64) → h(16) → out(4), 4 contexts, inputs and targets in, outputs back, %d steps per Run", streamSteps),
			setup: streamSetup("emu", 0)},
		{Name: fmt.Sprintf("stream/firmware-sim/baud=%d", baud), Kind: KindStream,
			Doc:   fmt.Sprintf("the same through the firmware simulator on a pty paced at %d baud (8N1): the line limits it; link efficiency = payload sent over baud/10", baud),
			setup: streamSetup("board", baud)},
	}
}

func streamSetup(path string, baud int) func(*env) (*instance, error) {
	return func(*env) (*instance, error) {
		net, err := network.Parse(bytesReader(streamNet))
		if err != nil {
			return nil, err
		}
		res, err := compiler.Compile(net, compiler.Options{Contexts: 4})
		if err != nil {
			return nil, err
		}
		ctx := context.Background()
		name := host.EmulatorName
		var sim *firmwaresim.Sim
		if path == "board" {
			sim, err = firmwaresim.StartPty(firmwaresim.Config{BaudRate: baud})
			if err != nil {
				return nil, skipf("no pty for the firmware simulator: %v", err)
			}
			name = fmt.Sprintf("serial://%s?baud=%d", sim.Path, baud)
		}
		d, err := host.Open(ctx, name)
		if err != nil {
			if sim != nil {
				sim.Close()
			}
			return nil, err
		}
		closeAll := func() {
			d.Close()
			if sim != nil {
				sim.Close()
			}
		}
		if err := d.Load(ctx, res.Program); err != nil {
			closeAll()
			return nil, err
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
		return &instance{steps: streamSteps, baud: baud, close: closeAll, run: func(n int) (sample, error) {
			s0 := d.Stats().Link
			start := time.Now()
			for range n {
				if err := d.Run(ctx, streamSteps, src, sink); err != nil {
					return sample{}, err
				}
			}
			el := time.Since(start).Seconds()
			s := d.Stats().Link
			return sample{payload: s.PayloadSent - s0.PayloadSent, wire: s.BytesSent - s0.BytesSent, seconds: el}, nil
		}}, nil
	}
}

// streamNet has many inputs for little work, so that the line limits a run through a
// board: 64 inputs, 16 tanh neurons, 4 outputs, MSE, Adam.
const streamNet = `{"format": "glemu-network", "version": 1, "name": "stream", "dt": 0.2, "seed": 3,
  "populations": [
    {"name": "x", "size": 64, "input": true},
    {"name": "h", "size": 16, "activation": "tanh", "bias": true, "tau_m": 1.2, "tau_r": 0.4},
    {"name": "out", "size": 4, "activation": "identity", "tau_m": 1.2, "tau_r": 1.2, "output": true}],
  "projections": [{"source": "x", "target": "h"}, {"source": "h", "target": "out"}],
  "loss": {"kind": "mse", "beta": 1},
  "learning": {"optimizer": {"kind": "adam", "lr": 0.001}, "weights": true, "biases": true}}`
