package host_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/firmware-sim"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/trace"
)

// both opens the emulator and a firmware simulator on a pty described by cfg, and
// returns the two devices.
func both(t *testing.T, ctx context.Context, cfg firmwaresim.Config, opts ...host.Option) (emu, board *host.Device) {
	t.Helper()
	emu, err := host.Open(ctx, "emu")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	sim := startSim(t, cfg)
	board, err = host.Open(ctx, "serial://"+sim.Path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { board.Close() })
	return emu, board
}

// A board with tiny frames (64-byte payloads, a 512-byte buffer, 4 frames) still
// agrees: images, step records, memories and snapshots cross in many chunks, and
// results are spooled and fetched.
func TestTinyFramesAgree(t *testing.T) {
	ctx := testCtx(t)
	p := tinyProgram(t, 3)
	emu, board := both(t, ctx, firmwaresim.Config{MaxPayload: 64, RxBuffer: 512, Window: 4}, host.WithLink(link.Config{MaxPayload: 64, RxBuffer: 512, Window: 4}))
	var snaps [2][]byte
	var res [2]*result
	for i, d := range []*host.Device{emu, board} {
		res[i] = train(t, ctx, d, p, 200, 5)
		w, err := d.Weights(ctx, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j := range w {
			w[j] *= 0.5
		}
		if err := d.SetWeights(ctx, 0, w); err != nil {
			t.Fatal(err)
		}
		if snaps[i], err = d.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
		if err := d.Restore(ctx, snaps[i]); err != nil {
			t.Fatal(err)
		}
		r := more(t, ctx, d, p, 100, 200, 5)
		res[i].out = append(res[i].out, r.out...)
		res[i].raw = append(res[i].raw, r.raw...)
		res[i].weights, res[i].u, res[i].counters, res[i].steps = r.weights, r.u, r.counters, r.steps
	}
	if !bytes.Equal(snaps[0], snaps[1]) {
		t.Errorf("snapshots differ (%d and %d bytes)", len(snaps[0]), len(snaps[1]))
	}
	compare(t, "tiny frames", res[1], res[0])
	if st := board.Stats(); st.Requests[0x10] == 0 {
		t.Errorf("no FETCH or STAGE with 64-byte frames: %v", st.Requests)
	}
}

// Everything a training loop and a user call agrees between the emulator and a board:
// registers, probes (the same CSV and VCD as the chip's own), batches with labels,
// single steps, learning on and off, resets.
func TestAPIAgrees(t *testing.T) {
	ctx := testCtx(t)
	p := tinyProgram(t, 2)
	emu, board := both(t, ctx, firmwaresim.Config{BaudRate: host.DefaultBaudRate})
	ref, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	var refCSV bytes.Buffer
	rc := trace.NewCSVWriter(&refCSV, false)
	probes := []chip.Probe{{Population: "h", Var: "e_breve"}, {Population: "out", Var: "tau_m"}, {Population: "x", Var: "r", Neurons: []int{2}}}
	if err := ref.SetProbes(chip.ProbeOutput{CSV: rc, Raw: true}, probes...); err != nil {
		t.Fatal(err)
	}
	batch := host.Batch{Steps: 40, X: make([]float64, 40*2*3), Labels: make([]int, 40*2), Out: make([]float64, 40*2*2)}
	for i := range batch.X {
		batch.X[i] = float64(i%11)/5 - 1
	}
	for i := range batch.Labels {
		batch.Labels[i] = i / 7 % 2
	}
	for k := range batch.Steps {
		ref.SetInput(batch.X[k*6 : k*6+6])
		ref.SetLabels(batch.Labels[k*2 : k*2+2])
		if err := ref.Step(); err != nil {
			t.Fatal(err)
		}
	}
	rc.Flush()
	var outs [2][]float64
	var csvs [2]string
	for i, d := range []*host.Device{emu, board} {
		if err := d.Run(ctx, 1, nil, nil); !errors.Is(err, host.ErrNoProgram) {
			t.Errorf("run before load: %v", err)
		}
		if err := d.Load(ctx, p); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w := trace.NewCSVWriter(&buf, false)
		if err := d.SetProbes(ctx, chip.ProbeOutput{CSV: w, Raw: true}, probes...); err != nil {
			t.Fatal(err)
		}
		if err := d.RunBatch(ctx, &batch); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		csvs[i] = buf.String()
		out, err := d.Step(ctx, []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, []float64{1, 0, 0, 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = append(append([]float64(nil), batch.Out...), out...)
		l, err := d.LearningRegisters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l.Weights.LR.Raw /= 2
		if err := d.SetLearningRegisters(ctx, l); err != nil {
			t.Fatal(err)
		}
		if err := d.SetLearning(ctx, false); err != nil || d.Learning() {
			t.Fatalf("learning off: %v, %v", err, d.Learning())
		}
		health, err := d.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cost, err := d.Cost(ctx)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = append(outs[i], float64(len(health)), float64(cost.CyclesPerStep), cost.EnergyPJ)
		if err := d.Reset(ctx); err != nil || d.Steps() != 0 || !d.Learning() {
			t.Fatalf("reset: %v, %d steps, learning %v", err, d.Steps(), d.Learning())
		}
		if err := d.Unload(ctx); err != nil || d.Program() != nil {
			t.Fatalf("unload: %v", err)
		}
	}
	if csvs[0] != csvs[1] {
		t.Errorf("probe traces differ")
	}
	if csvs[0] != refCSV.String() {
		t.Errorf("the device's probe trace differs from the chip's own:\n%.300s\nwant\n%.300s", csvs[0], refCSV.String())
	}
	if !reflect.DeepEqual(outs[0], outs[1]) {
		t.Errorf("outputs differ:\n%v\n%v", outs[0], outs[1])
	}
}

// Handshakes and loads that cannot work fail before anything runs, saying why.
func TestRefusals(t *testing.T) {
	ctx := testCtx(t)
	small := chip.DefaultConfig()
	small.Rows, small.Cols = 1, 1
	sim := startSim(t, firmwaresim.Config{Chip: small})
	other := chip.DefaultConfig()
	_, err := host.Open(ctx, "serial://"+sim.Path, host.WithChip(other))
	want := "host: open serial://" + sim.Path + ": link: the board on " + sim.Path + " refused the session: the board refuses this host: the host expects another chip: expected a 4×4 mesh of 256-neuron tiles with 256 inputs per neuron, up to 256 contexts; got a 1×1 mesh of 256-neuron tiles with 256 inputs per neuron, up to 256 contexts"
	if !errors.Is(err, host.ErrIncompatible) || err.Error() != want {
		t.Errorf("open expecting another chip:\n got %v\nwant %s", err, want)
	}
	d, err := host.Open(ctx, "serial://"+sim.Path, host.WithChip(small))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if info := d.Info(); info.Chip == nil || info.Chip.Rows != 1 || info.Firmware != firmwaresim.Version {
		t.Errorf("info %+v", info)
	}
	p := tinyProgram(t, 2)
	err = d.Load(ctx, p)
	if !errors.Is(err, host.ErrBoard) || !strings.HasPrefix(err.Error(), "host: LOAD_END failed on the board: command: the program needs a 1×") {
		t.Errorf("load onto a small board: %v", err)
	}
	emu, _ := host.Open(ctx, "emu", host.WithChip(small))
	defer emu.Close()
	if err := emu.Load(ctx, p); err == nil || !strings.HasPrefix(err.Error(), "host: load: command: the program needs a 1×") || emu.Info().Chip.Rows != 1 {
		t.Errorf("load onto an emulator standing in for a small board: %v", err)
	}
	if _, err := host.Open(ctx, "tcp://x"); err == nil || err.Error() != `host: device "tcp://x": want emu, serial:///PATH[?baud=RATE] or a device path such as /dev/ttyUSB0` {
		t.Errorf("bad name: %v", err)
	}
	if _, err := d.Snapshot(ctx); !errors.Is(err, host.ErrNoProgram) {
		t.Errorf("snapshot without a program: %v", err)
	}
	if err := d.Restore(ctx, []byte("not a snapshot")); err == nil || err.Error() != "host: restore: chip: not a valid snapshot: no snapshot magic; restore a snapshot that Snapshot wrote" {
		t.Errorf("restore garbage: %v", err)
	}
	d.Close()
	if err := d.Ping(ctx); !errors.Is(err, host.ErrClosed) {
		t.Errorf("ping after close: %v", err)
	}
}

// chipWaves is waves as a chip.Source.
type chipWaves struct{ src host.SourceFunc }

func (c chipWaves) Next(k int, x, y []float64) (bool, error) {
	in := &host.Input{X: x, Y: y}
	err := c.src(k, in)
	return in.Target == host.TargetValues, err
}

// A chip.Source drives a Device as it drives a chip.
func TestChipSource(t *testing.T) {
	ctx := testCtx(t)
	p := tinyProgram(t, 2)
	ref, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	if err := ref.Run(50, chipWaves{waves(8)}, func(int) error { want = append(want, ref.OutputRaw(nil)...); return nil }); err != nil {
		t.Fatal(err)
	}
	d, _ := host.Open(ctx, "emu")
	defer d.Close()
	if err := d.Load(ctx, p); err != nil {
		t.Fatal(err)
	}
	var got []int64
	if err := d.Run(ctx, 50, host.ChipSource(chipWaves{waves(8)}), func(_ int, o *host.Output) error { got = append(got, o.Raw...); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("a Device run from a chip.Source differs from the chip's own Run")
	}
	// Inputs and targets out of range saturate on the host as they do on the chip,
	// and are counted the same.
	loud := chipWaves{func(k int, in *host.Input) error {
		err := waves(9)(k, in)
		for i := range in.X {
			in.X[i] *= 40
		}
		for i := range in.Y {
			in.Y[i] *= 60
		}
		return err
	}}
	if err := ref.Run(30, loud, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Run(ctx, 30, host.ChipSource(loud), nil); err != nil {
		t.Fatal(err)
	}
	rc := ref.Counters()
	dc, err := d.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Host.Saturations == 0 || !reflect.DeepEqual(dc, rc) {
		t.Errorf("counters differ:\n got %+v\nwant %+v", dc, rc)
	}
}

// A Sink or a Source that fails stops the run on the board too: Run returns their
// error at once, the chip's step count is known, and the device runs on.
func TestRunStopsEarly(t *testing.T) {
	ctx := testCtx(t)
	p := tinyProgram(t, 2)
	emu, board := both(t, ctx, firmwaresim.Config{BaudRate: host.DefaultBaudRate})
	stop := errors.New("enough")
	for _, d := range []*host.Device{emu, board} {
		if err := d.Load(ctx, p); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err := d.Run(ctx, 1_000_000, waves(1), func(k int, _ *host.Output) error {
			if k == 30 {
				return stop
			}
			return nil
		})
		if err != stop {
			t.Fatalf("%s: run with a failing sink: %v", d.Info().Backend, err)
		}
		// A million steps take minutes at 3 Mbaud; the board stopped at once.
		if el := time.Since(start); el > 20*time.Second {
			t.Errorf("%s: the run took %v to stop", d.Info().Backend, el)
		}
		steps := d.Steps()
		if c, err := d.Counters(ctx); err != nil || c.Steps != steps || steps < 31 {
			t.Errorf("%s: %d steps known, counters say %d (%v)", d.Info().Backend, steps, c.Steps, err)
		}
		src := waves(2)
		err = d.Run(ctx, 1_000_000, host.SourceFunc(func(k int, in *host.Input) error {
			if k == 40 {
				return stop
			}
			return src(k, in)
		}), nil)
		if err != stop {
			t.Fatalf("%s: run with a failing source: %v", d.Info().Backend, err)
		}
		if err := d.Run(ctx, 10, waves(3), nil); err != nil {
			t.Fatalf("%s: run after: %v", d.Info().Backend, err)
		}
		if c, _ := d.Counters(ctx); c.Steps != d.Steps() {
			t.Errorf("%s: %d steps known, counters say %d", d.Info().Backend, d.Steps(), c.Steps)
		}
	}
}
