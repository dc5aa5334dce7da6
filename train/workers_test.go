package train_test

import (
	"testing"

	"github.com/glemu/glemu/tasks"
	"github.com/glemu/glemu/train"
)

// TestNewChipWorkers: workers are the emulator's; a board's device, or a negative
// count, is refused before anything is opened.
func TestNewChipWorkers(t *testing.T) {
	net, err := tasks.MNIST1DNetwork(6, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opt  train.ChipOptions
		want string
	}{
		{train.ChipOptions{Workers: -1}, "train: -1 workers; give 1 or more (or 0 for one)"},
		{train.ChipOptions{Device: "serial:///dev/ttyUSB9", Workers: 2}, `train: 2 workers for device "serial:///dev/ttyUSB9": only the emulator (device "emu") steps on workers; leave workers out for a board`},
	} {
		if _, err := train.NewChip(net, nil, 2, tc.opt); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: error %v, want %q", tc.opt, err, tc.want)
		}
	}
	for _, workers := range []int{0, 1, 2} {
		c, err := train.NewChip(net, nil, 2, train.ChipOptions{Workers: workers})
		if err != nil {
			t.Fatalf("%d workers on the emulator: %v", workers, err)
		}
		c.Close()
	}
}
