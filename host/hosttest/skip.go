package hosttest

import (
	"errors"
	"testing"

	"github.com/glemu/glemu/host"
)

// SkipIfNoBoard skips the test if err says that no board is there: no such serial
// port or no candidate port (host.ErrNoBoard), or nothing answered the HELLO
// (host.ErrTimeout). Any other error is the test's to judge; SkipIfNoBoard returns.
// Hardware tests call it right after host.Open, as cilium/ebpf's tests skip where the
// kernel lacks a feature:
//
//	d, err := host.Open(ctx, os.Getenv("GLEMU_BOARD"))
//	hosttest.SkipIfNoBoard(t, err)
//	if err != nil {
//		t.Fatal(err)
//	}
func SkipIfNoBoard(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, host.ErrNoBoard) || errors.Is(err, host.ErrTimeout) {
		tb.Skipf("no board: %v", err)
	}
}
