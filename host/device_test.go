package host_test

import (
	"reflect"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/firmware-sim"
	"github.com/glemu/glemu/host"
)

// compare fails t unless two runs left the same bits.
func compare(t *testing.T, what string, got, want *result) {
	t.Helper()
	if len(got.raw) != len(want.raw) {
		t.Fatalf("%s: %d outputs, want %d", what, len(got.raw), len(want.raw))
	}
	for i := range got.raw {
		if got.raw[i] != want.raw[i] || got.out[i] != want.out[i] {
			t.Fatalf("%s: output %d (step %d) is %d (%v), want %d (%v)", what, i, i/len(want.raw)*0, got.raw[i], got.out[i], want.raw[i], want.out[i])
		}
	}
	if !reflect.DeepEqual(got.weights, want.weights) || !reflect.DeepEqual(got.crossbar, want.crossbar) {
		t.Errorf("%s: weights differ", what)
	}
	if !reflect.DeepEqual(got.u, want.u) {
		t.Errorf("%s: u differs", what)
	}
	if !reflect.DeepEqual(got.counters, want.counters) {
		t.Errorf("%s: counters differ:\n got %+v\nwant %+v", what, got.counters, want.counters)
	}
	if got.steps != want.steps {
		t.Errorf("%s: %d steps, want %d", what, got.steps, want.steps)
	}
}

// The same program trained in process and through the firmware simulator on a pty at
// 3 Mbaud gives bit-identical outputs, weights, crossbars, state and counters.
func TestEmulatorAndBoardAgree(t *testing.T) {
	const steps = 3000
	ctx := testCtx(t)
	p := tinyProgram(t, 4)

	emu, err := host.Open(ctx, "emu")
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	want := train(t, ctx, emu, p, steps, 1)
	if want.steps != steps || len(want.raw) != steps*4*2 {
		t.Fatalf("emulator: %d steps, %d outputs", want.steps, len(want.raw))
	}

	sim := startSim(t, firmwaresim.Config{BaudRate: host.DefaultBaudRate})
	dev, err := host.Open(ctx, "serial://"+sim.Path+"?baud=3000000")
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	got := train(t, ctx, dev, p, steps, 1)
	compare(t, "board", got, want)
	if st := sim.Firmware.Stats(); st.Steps != steps || st.Reexecuted != 0 {
		t.Errorf("firmware stats %+v", st)
	}
	var _ chip.Counters
}
