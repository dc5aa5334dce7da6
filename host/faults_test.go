package host_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/glemu/glemu/firmware-sim"
	"github.com/glemu/glemu/firmware-sim/pty"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/host/hosttest"
	"github.com/glemu/glemu/host/link"
)

// faultyBoard serves a firmware simulator on a pty whose board side damages what it
// writes as f says, and returns the firmware and the host's end of the pty, wrapped to
// damage what the host writes the same way (with another seed).
func faultyBoard(t *testing.T, f hosttest.Faults, cfg firmwaresim.Config) (*firmwaresim.Firmware, *hosttest.Faulty, string) {
	t.Helper()
	p, err := pty.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	fw, err := firmwaresim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	boardSide := hosttest.NewFaulty(p.Master, f)
	go func() { done <- fw.Serve(ctx, boardSide) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, hosttest.ErrCablePulled) {
			t.Errorf("firmware: %v", err)
		}
		p.Close()
		fw.Close()
	})
	slave, err := pty.OpenSlave(p.SlavePath)
	if err != nil {
		t.Fatal(err)
	}
	f.Seed++
	return fw, hosttest.NewFaulty(slave, f), p.SlavePath
}

// The same run as TestEmulatorAndBoardAgree through a noisy line (bit-error rate
// 10⁻⁴ and 1 % of the frames dropped, both ways): still bit-identical, and no command
// executed twice.
func TestNoisyLineAgrees(t *testing.T) {
	const steps = 2000
	ctx := testCtx(t)
	p := tinyProgram(t, 4)
	emu, _ := host.Open(ctx, "emu")
	defer emu.Close()
	want := train(t, ctx, emu, p, steps, 2)

	faults := hosttest.Faults{Seed: 10, BitErrorRate: 1e-4, DropFrameRate: 0.01}
	fw, port, path := faultyBoard(t, faults, firmwaresim.Config{BaudRate: host.DefaultBaudRate})
	dev, err := host.Dial(ctx, port, path, host.WithLink(link.Config{MinRTO: host.MinRTO(host.DefaultBaudRate)}))
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	got := train(t, ctx, dev, p, steps, 2)
	compare(t, "noisy board", got, want)

	// Snapshots and restores cross the noisy line too (spooled and staged in chunks).
	snap, err := dev.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Restore(ctx, snap); err != nil {
		t.Fatal(err)
	}
	again, err := dev.Snapshot(ctx)
	if err != nil || string(again) != string(snap) {
		t.Fatalf("snapshot after restore differs (%d vs %d bytes), %v", len(again), len(snap), err)
	}

	st, hs := fw.Stats(), dev.Stats()
	for typ, n := range hs.Requests {
		if st.Executed[typ] != n {
			t.Errorf("%v: the host sent %d, the firmware executed %d", typ, n, st.Executed[typ])
		}
	}
	if st.Reexecuted != 0 || st.Steps != steps {
		t.Errorf("firmware: %d re-executed, %d steps", st.Reexecuted, st.Steps)
	}
	ls := hs.Link
	if ls.Resent == 0 || ls.Damaged+port.Stats().FramesDropped == 0 {
		t.Errorf("the line was not noisy enough to test anything: %+v, %v", ls, port.Stats())
	}
	t.Logf("host link: %d frames sent, %d resent, %d damaged received; host line: %v", ls.FramesSent, ls.Resent, ls.Damaged, port.Stats())
}

// A cable pulled in the middle of a run: the run fails with a RunError that names the
// last good step; a new device on the same board restores the snapshot taken before
// and resumes, and the result equals an uninterrupted run.
func TestDisconnectRestoreResume(t *testing.T) {
	const steps, snapAt, pullAt = 1500, 600, 1100
	ctx := testCtx(t)
	p := tinyProgram(t, 4)
	emu, _ := host.Open(ctx, "emu")
	defer emu.Close()
	want := train(t, ctx, emu, p, steps, 3)

	fw, port, path := faultyBoard(t, hosttest.Faults{}, firmwaresim.Config{BaudRate: host.DefaultBaudRate})
	dev, err := host.Dial(ctx, port, path, host.WithLink(link.Config{MinRTO: host.MinRTO(host.DefaultBaudRate)}))
	if err != nil {
		t.Fatal(err)
	}
	first := train(t, ctx, dev, p, snapAt, 3)
	snap, err := dev.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src := waves(3)
	for k := range snapAt {
		src(k, &host.Input{X: make([]float64, 12), Y: make([]float64, 8)})
	}
	err = dev.Run(ctx, steps-snapAt, host.SourceFunc(func(k int, in *host.Input) error { return src(snapAt+k, in) }),
		func(k int, _ *host.Output) error {
			if k == pullAt-snapAt {
				port.Disconnect()
			}
			return nil
		})
	t.Log(err)
	var re *host.RunError
	if !errors.As(err, &re) || !errors.Is(err, host.ErrDisconnected) {
		t.Fatalf("run with the cable pulled: %v; want a *host.RunError matching ErrDisconnected", err)
	}
	if re.LastGoodStep < pullAt || re.LastGoodStep >= steps {
		t.Errorf("last good step %d; the cable was pulled after step %d", re.LastGoodStep, pullAt)
	}
	pattern := fmt.Sprintf(`^host: lost the board on %s: .*cable pulled.*; last good step [0-9,]+; restore from the snapshot and resume$`, regexp.QuoteMeta(path))
	if !regexp.MustCompile(pattern).MatchString(err.Error()) {
		t.Errorf("error %q\ndoes not match %s", err, pattern)
	}
	dev.Close()

	// Reconnect: a new session on the same board.
	dev2, err := host.Open(ctx, "serial://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer dev2.Close()
	if err := dev2.Restore(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if dev2.Steps() != snapAt {
		t.Fatalf("restored at step %d, want %d", dev2.Steps(), snapAt)
	}
	rest := more(t, ctx, dev2, p, steps-snapAt, snapAt, 3)
	rest.out, rest.raw = append(first.out, rest.out...), append(first.raw, rest.raw...)
	compare(t, "restored", rest, want)
	if st := fw.Stats(); st.Sessions < 2 || st.Reexecuted != 0 {
		t.Errorf("firmware: %+v", st)
	}
}

// A board that stops answering in the middle of a run: after the retries, a RunError
// matching ErrTimeout that says so.
func TestBoardStopsAnsweringMidRun(t *testing.T) {
	ctx := testCtx(t)
	p := tinyProgram(t, 1)
	_, port, path := faultyBoard(t, hosttest.Faults{}, firmwaresim.Config{})
	dev, err := host.Dial(ctx, port, path, host.WithLink(link.Config{MinRTO: 5 * time.Millisecond, MaxRTO: 80 * time.Millisecond, RTO: 20 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if err := dev.Load(ctx, p); err != nil {
		t.Fatal(err)
	}
	err = dev.Run(ctx, 100000, waves(4), func(k int, _ *host.Output) error {
		if k == 50 {
			port.Silence()
		}
		return nil
	})
	t.Log(err)
	var re *host.RunError
	if !errors.As(err, &re) || !errors.Is(err, host.ErrTimeout) {
		t.Fatalf("run against a silent board: %v; want a *host.RunError matching ErrTimeout", err)
	}
	// Which timer runs out first depends on where the silence caught the frames: a
	// frame without acknowledgement, or frames acknowledged whose room was never freed.
	pattern := `^host: board stopped answering after 5 (retries of (RUN|DATA) seq [0-9]+|polls for room in its receive buffer); last good step [0-9,]+; restore from the snapshot and resume$`
	if !regexp.MustCompile(pattern).MatchString(err.Error()) {
		t.Errorf("error %q\ndoes not match %s", err, pattern)
	}
	if re.LastGoodStep < 51 {
		t.Errorf("last good step %d; 51 steps came back before the silence", re.LastGoodStep)
	}
}
