package hosttest_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glemu/glemu/firmware-sim/pty"
	"github.com/glemu/glemu/host/hosttest"
	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/host/proto"
)

var update = flag.Bool("update", false, "record testdata/session.txt again, against a responder over a pty")

// sessionCfg makes a session's bytes repeatable: a fixed nonce, and timeouts far longer
// than a replay takes, so no retransmission or poll happens by chance.
var sessionCfg = link.Config{Nonce: 0x600DF00D, MaxPayload: 512, RxBuffer: 4096, Window: 8, RTO: 5 * time.Second, MinRTO: 5 * time.Second, MaxRTO: 10 * time.Second, ChipConfig: []byte("glemu-test-board")}

// script is the host's side of the recorded session: sequential calls and data.
func script(ctx context.Context, host *link.Link) ([]string, error) {
	var out []string
	calls := []struct {
		t       proto.Type
		payload string
	}{{proto.TypeRequest, "ping"}, {proto.TypeReadCounters, ""}, {proto.TypeRun, "steps=3"}, {proto.TypeRequest, "fail"}}
	for _, c := range calls {
		resp, err := host.Call(ctx, c.t, []byte(c.payload))
		var re *link.RemoteError
		if errors.As(err, &re) {
			out = append(out, fmt.Sprintf("%v %q → error %q", c.t, c.payload, re.Message))
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, fmt.Sprintf("%v %q → %q", c.t, c.payload, resp))
		if c.t == proto.TypeRun {
			if err := host.Send(ctx, []byte{0, 1, 2, 0, 0, 3}); err != nil {
				return out, err
			}
			if err := host.Flush(ctx); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

var wantLog = []string{
	`REQUEST "ping" → "pong"`,
	`READ_COUNTERS "" → "steps=0"`,
	`RUN "steps=3" → "ok"`,
	`REQUEST "fail" → error "no such thing; try ping"`,
}

// responder is the board of the recording.
func responder(ctx context.Context, m link.Message) ([]byte, error) {
	switch {
	case m.Type == proto.TypeData:
		return nil, nil
	case m.Type == proto.TypeReadCounters:
		return []byte("steps=0"), nil
	case m.Type == proto.TypeRun:
		return []byte("ok"), nil
	case string(m.Payload) == "ping":
		return []byte("pong"), nil
	}
	return nil, errors.New("no such thing; try ping")
}

func record(t *testing.T, path string) {
	p, err := pty.Open()
	if err != nil {
		t.Skipf("cannot record without a pty: %v", err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		board, err := link.Accept(ctx, p.Master, link.Config{MaxPayload: 256, RxBuffer: 2048, Window: 4, ChipConfig: []byte("glemu-test-board")})
		if err != nil {
			return
		}
		defer board.Close()
		board.Serve(ctx, responder)
	}()
	slave, err := pty.OpenSlave(p.SlavePath)
	if err != nil {
		t.Fatal(err)
	}
	rec := hosttest.NewRecorder(slave)
	host, err := link.Dial(ctx, rec, sessionCfg)
	if err != nil {
		t.Fatal(err)
	}
	log, err := script(ctx, host)
	if err != nil || strings.Join(log, "\n") != strings.Join(wantLog, "\n") {
		t.Fatalf("recording: %q, %v", log, err)
	}
	time.Sleep(100 * time.Millisecond) // let the last acknowledgements cross
	host.Close()
	cancel()
	<-done
	var buf bytes.Buffer
	if err := hosttest.WriteOps(&buf, rec.Ops()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func loadSession(t *testing.T) []hosttest.Op {
	t.Helper()
	path := filepath.Join("testdata", "session.txt")
	if *update {
		record(t, path)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to record it)", err)
	}
	defer f.Close()
	ops, err := hosttest.ReadOps(f)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// The recorded session replays: the host sends exactly the recorded bytes and gets
// the recorded answers, with no board at all.
func TestPlayback(t *testing.T) {
	ops := loadSession(t)
	pb := hosttest.NewPlayback(ops)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	host, err := link.Dial(ctx, pb, sessionCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if got := string(host.Peer().Config); got != "glemu-test-board" {
		t.Errorf("board config %q", got)
	}
	log, err := script(ctx, host)
	if err != nil || strings.Join(log, "\n") != strings.Join(wantLog, "\n") {
		t.Fatalf("replay: %q, %v", log, err)
	}
	for {
		err := pb.Finished()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
}

// A host that strays from the recording fails at the first unexpected byte.
func TestPlaybackUnexpected(t *testing.T) {
	pb := hosttest.NewPlayback(loadSession(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	host, err := link.Dial(ctx, pb, sessionCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	_, err = host.Call(ctx, proto.TypeRequest, []byte("pong")) // the recording says "ping"
	if !errors.Is(err, hosttest.ErrUnexpected) || !errors.Is(err, link.ErrDisconnected) {
		t.Fatalf("error %v, want one matching ErrUnexpected and link.ErrDisconnected", err)
	}
	if !strings.Contains(err.Error(), "hosttest: playback: unexpected write: byte ") {
		t.Errorf("error %q does not say which byte", err)
	}
	if pb.Finished() == nil {
		t.Error("Finished() = nil after a difference")
	}
}

func TestPlaybackRules(t *testing.T) {
	ops := []hosttest.Op{{Write: true, Data: []byte{1, 2}}, {Data: []byte{9}}, {Write: true, Data: []byte{3}}, {Data: []byte{8, 7}}}
	pb := hosttest.NewPlayback(ops)
	got := make(chan []byte, 4)
	go func() {
		for {
			b := make([]byte, 1)
			n, err := pb.Read(b)
			if err != nil {
				close(got)
				return
			}
			got <- b[:n]
		}
	}()
	select {
	case b := <-got:
		t.Fatalf("read % x before the write recorded before it", b)
	case <-time.After(20 * time.Millisecond):
	}
	pb.Write([]byte{1})
	pb.Write([]byte{2, 3}) // split differently from the recording
	var all []byte
	for range 3 {
		all = append(all, <-got...)
	}
	if !bytes.Equal(all, []byte{9, 8, 7}) {
		t.Fatalf("reads % x", all)
	}
	if err := pb.Finished(); err != nil {
		t.Fatal(err)
	}
	if _, err := pb.Write([]byte{4}); !errors.Is(err, hosttest.ErrUnexpected) || err.Error() != "hosttest: playback: unexpected write: byte 3 (0x04) after the end of the recording" {
		t.Fatalf("write past the end: %v", err)
	}
	pb.Close()
	if _, ok := <-got; ok {
		t.Fatal("Read did not end with Close")
	}
}

func TestReadOpsFails(t *testing.T) {
	for _, in := range []string{"x 00", "w zz", "w", "r "} {
		if _, err := hosttest.ReadOps(strings.NewReader(in)); err == nil || !strings.HasPrefix(err.Error(), "hosttest: recording line 1: ") {
			t.Errorf("ReadOps(%q): %v", in, err)
		}
	}
	ops := []hosttest.Op{{Write: true, Data: []byte{0, 1}}, {Data: []byte{2}}}
	var buf bytes.Buffer
	hosttest.WriteOps(&buf, ops)
	back, err := hosttest.ReadOps(&buf)
	if err != nil || len(back) != 2 || !back[0].Write || !bytes.Equal(back[1].Data, []byte{2}) {
		t.Fatalf("round trip: %v, %v", back, err)
	}
}

var _ io.ReadWriter = (*hosttest.Playback)(nil)
