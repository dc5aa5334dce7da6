package hosttest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/glemu/glemu/firmware-sim/pty"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/host/hosttest"
	"github.com/glemu/glemu/host/link"
)

// fakeTB records what SkipIfNoBoard does with a test.
type fakeTB struct {
	testing.TB
	skipped string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	panic(f) // Skipf does not return
}

func skips(err error) (skipped string) {
	f := &fakeTB{}
	defer func() {
		if r := recover(); r != nil && r != f {
			panic(r)
		}
		skipped = f.skipped
	}()
	hosttest.SkipIfNoBoard(f, err)
	return ""
}

func TestSkipIfNoBoard(t *testing.T) {
	ctx := context.Background()
	_, noPort := host.Open(ctx, "serial:///dev/ttyNOPE0")
	p, err := pty.Open()
	if err != nil {
		t.Skip(err)
	}
	defer p.Close()
	// Nobody serves this pty: the HELLO goes unanswered.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, silent := host.Open(ctx, "serial://"+p.SlavePath, host.WithLink(link.Config{RTO: 5 * time.Millisecond, MinRTO: 5 * time.Millisecond, MaxRTO: 10 * time.Millisecond, Retries: 2}))
	tests := []struct {
		err  error
		skip bool
	}{
		{nil, false},
		{noPort, true},
		{silent, true},
		{fmt.Errorf("host: load: %w", host.ErrBoard), false},
		{errors.New("something else"), false},
	}
	for _, tt := range tests {
		got := skips(tt.err)
		if (got != "") != tt.skip {
			t.Errorf("SkipIfNoBoard(%v): skipped %q, want skipped %v", tt.err, got, tt.skip)
		}
	}
	if want := "no board: host: open /dev/ttyNOPE0: host: no board: no such serial port; check the cable and the path (the board list shows the candidates)"; skips(noPort) != want {
		t.Errorf("skip message %q, want %q", skips(noPort), want)
	}
}
