package host_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/glemu/glemu/chip/image"
	"github.com/glemu/glemu/firmware-sim"
	"github.com/glemu/glemu/firmware-sim/pty"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/host/hosttest"
	"github.com/glemu/glemu/host/link"
)

var update = flag.Bool("update", false, "record testdata/firmware-session.* again against the firmware simulator on a pty")

var (
	sessionPath = filepath.Join("testdata", "firmware-session.txt")
	sessionLog  = filepath.Join("testdata", "firmware-session.golden")
	sessionImg  = filepath.Join("testdata", "tiny.img")
)

// sessionLink makes a session's bytes repeatable: a fixed nonce, and timeouts far
// longer than the session, so that nothing is ever retransmitted or polled.
var sessionLink = link.Config{Nonce: 0x5EED5EED, RTO: 10 * time.Second, MinRTO: 10 * time.Second, MaxRTO: 20 * time.Second}

// session is the host's side of the recorded session: one of every kind of command a
// training loop uses, each after the other. It returns what the host learned.
func session(ctx context.Context, d *host.Device, img []byte) ([]string, error) {
	var log []string
	add := func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	info := d.Info()
	add("firmware %q, chip %v, max payload %d, rx buffer %d, window %d", info.Firmware, info.Chip, info.MaxPayload, info.RxBuffer, info.Window)
	if err := d.Ping(ctx); err != nil {
		return log, err
	}
	if err := d.LoadImage(ctx, img); err != nil {
		return log, err
	}
	add("loaded %+v, learning %v", d.Shape(), d.Learning())
	// Outputs are not streamed back: when the host's link acknowledges a DATA chunk
	// depends on when the Sink's goroutine takes it, which no recording can fix.
	if err := d.Run(ctx, 6, waves(5), nil); err != nil {
		return log, err
	}
	out, err := d.Output(ctx, nil)
	if err != nil {
		return log, err
	}
	add("after %d steps: output %v", d.Steps(), out)
	if err := d.SetLearning(ctx, false); err != nil {
		return log, err
	}
	w, err := d.WeightsRaw(ctx, 1, nil)
	if err != nil {
		return log, err
	}
	add("weights of projection 1: %v", w)
	w[0] = -w[0]
	if err := d.SetWeightsRaw(ctx, 1, w); err != nil {
		return log, err
	}
	c, err := d.Counters(ctx)
	if err != nil {
		return log, err
	}
	add("counters: %d steps, %d MACs, %d SRAM reads", c.Steps, c.Total.MACs, c.Total.SRAMReads)
	_, err = d.State(ctx, 9, "u", nil)
	add("bad state read: %v", err)
	return log, nil
}

// record runs the session against the firmware simulator on a pty and saves the
// host's bytes, its log and the image.
func record(t *testing.T) {
	p := tinyProgram(t, 2)
	img, err := image.AppendImage(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	sim := startSim(t, firmwaresim.Config{BaudRate: 115200})
	slave, err := pty.OpenSlave(sim.Path)
	if err != nil {
		t.Fatal(err)
	}
	rec := hosttest.NewRecorder(slave)
	ctx := testCtx(t)
	d, err := host.Dial(ctx, rec, sim.Path, host.WithLink(sessionLink))
	if err != nil {
		t.Fatal(err)
	}
	log, err := session(ctx, d, img)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let the last acknowledgements cross
	d.Close()
	var buf bytes.Buffer
	if err := hosttest.WriteOps(&buf, rec.Ops()); err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string][]byte{sessionPath: buf.Bytes(), sessionLog: []byte(strings.Join(log, "\n") + "\n"), sessionImg: img} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPlaybackFirmwareSession replays a session recorded against the firmware
// simulator: the host must write exactly the recorded bytes, and it learns exactly
// what it learned then, with no board at all. The Go scheduler runs on one thread, in
// recording and replay, so that the host's acknowledgements interleave with what it
// reads in the same way; and the session streams no DATA from the board (see session).
func TestPlaybackFirmwareSession(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if *update {
		record(t)
	}
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run Playback -update to record it)", err)
		}
		return b
	}
	ops, err := hosttest.ReadOps(bytes.NewReader(read(sessionPath)))
	if err != nil {
		t.Fatal(err)
	}
	pb := hosttest.NewPlayback(ops)
	ctx := testCtx(t)
	d, err := host.Dial(ctx, pb, "playback", host.WithLink(sessionLink))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	log, err := session(ctx, d, read(sessionImg))
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if got, want := strings.Join(log, "\n")+"\n", string(read(sessionLog)); got != want {
		t.Errorf("the replayed session learned\n%s\nthe recording says\n%s", got, want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := pb.Finished()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
}

// A host that strays from the recording fails at the first unexpected byte.
func TestPlaybackStrays(t *testing.T) {
	ops, err := hosttest.ReadOps(bytes.NewReader(mustRead(t, sessionPath)))
	if err != nil {
		t.Fatal(err)
	}
	pb := hosttest.NewPlayback(ops)
	ctx := testCtx(t)
	d, err := host.Dial(ctx, pb, "playback", host.WithLink(sessionLink))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = d.SetLearning(ctx, true) // the recording pings first
	if !errors.Is(err, hosttest.ErrUnexpected) {
		t.Fatalf("straying from the recording: %v; want an error matching hosttest.ErrUnexpected", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
