package host_test

import (
	"os"
	"testing"

	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/host/hosttest"
)

// TestHardwareBoard runs on a real board: the one $GLEMU_BOARD names (a device such as
// serial:///dev/ttyUSB1?baud=3000000), else the first serial port behind a known
// USB–UART bridge. It skips where no board answers. The board must agree with the
// emulator bit for bit.
func TestHardwareBoard(t *testing.T) {
	name := os.Getenv("GLEMU_BOARD")
	if name == "" {
		cands, err := host.ListBoards()
		if err != nil || len(cands) == 0 {
			t.Skipf("no board: set GLEMU_BOARD or attach one (%d candidates, %v)", len(cands), err)
		}
		name = "serial://" + cands[0].Path
	}
	ctx := testCtx(t)
	d, err := host.Open(ctx, name)
	hosttest.SkipIfNoBoard(t, err)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p := tinyProgram(t, 2)
	emu, _ := host.Open(ctx, "emu")
	defer emu.Close()
	compare(t, name, train(t, ctx, d, p, 500, 9), train(t, ctx, emu, p, 500, 9))
}
