package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/network"
)

// A program runs on the emulator in process; a board on a serial port runs it the
// same way (host.Open("serial:///dev/ttyUSB0?baud=3000000")).
func ExampleOpen() {
	ctx := context.Background()
	f, _ := os.Open(filepath.Join("testdata", "tiny.net.json"))
	net, _ := network.Parse(f)
	f.Close()
	prog, _ := chiptest.Map(net, nil, chiptest.Options{Contexts: 1})

	d, err := host.Open(ctx, "emu")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	if err := d.Load(ctx, prog); err != nil {
		fmt.Println(err)
		return
	}
	// Stream 100 steps: a constant input and a target, the outputs coming back.
	src := host.SourceFunc(func(k int, in *host.Input) error {
		copy(in.X, []float64{0.5, -0.5, 1})
		copy(in.Y, []float64{0.25, 0})
		in.Target = host.TargetValues
		return nil
	})
	var last []float64
	err = d.Run(ctx, 100, src, func(k int, out *host.Output) error {
		last = append(last[:0], out.Values...)
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := d.Counters(ctx)
	fmt.Printf("%d steps on %s, %d outputs per step, counters at step %d\n", d.Steps(), d.Info().Firmware, len(last), c.Steps)
	// Output: 100 steps on glemu emulator, 2 outputs per step, counters at step 100
}
