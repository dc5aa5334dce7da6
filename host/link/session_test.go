package link_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/glemu/glemu/firmware-sim/pty"
	"github.com/glemu/glemu/host/hosttest"
	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/host/proto"
)

// fast makes retransmission quick, for tests over lines that lose frames.
var fast = link.Config{MaxPayload: 256, RxBuffer: 2048, Window: 8, RTO: 50 * time.Millisecond, MinRTO: 15 * time.Millisecond, PortName: "/dev/ttyTEST"}

func openPty(t *testing.T) *pty.Pty {
	t.Helper()
	p, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func openSlave(t *testing.T, p *pty.Pty) *os.File {
	t.Helper()
	f, err := pty.OpenSlave(p.SlavePath)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSessionPty(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults *hosttest.Faults
	}{
		{"clean", nil},
		{"faults", &hosttest.Faults{Seed: 7, BitErrorRate: 1e-4, DropFrameRate: 0.01, DupFrameRate: 0.01, TruncateFrameRate: 0.005, DelayFrameRate: 0.002, Delay: 2 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := openPty(t)
			var hp, bp io.ReadWriter = openSlave(t, p), p.Master
			var hf, bf *hosttest.Faulty
			if tc.faults != nil {
				f := *tc.faults
				hf = hosttest.NewFaulty(hp, f)
				f.Seed++
				bf = hosttest.NewFaulty(bp, f)
				hp, bp = hf, bf
			}
			b := serveBoard(t, bp, fast)
			host, err := link.Dial(context.Background(), hp, fast)
			if err != nil {
				t.Fatal(err)
			}
			defer host.Close()
			const n = 1000
			sent := exchange(t, host, n, 4, 200, 3)
			b.checkExactlyOnce(t, n)
			waitData(t, b, sent)
			t.Logf("host: %+v", host.Stats())
			if hf != nil {
				hs, bs := hf.Stats(), bf.Stats()
				t.Logf("host→board: %v\nboard→host: %v", hs, bs)
				if hs.BitsFlipped == 0 || hs.FramesDropped == 0 || hs.FramesDuplicated == 0 || hs.FramesTruncated == 0 || bs.BitsFlipped == 0 || bs.FramesDropped == 0 {
					t.Errorf("the injector did not inject every fault")
				}
			}
		})
	}
}

func TestHostCablePulled(t *testing.T) {
	hp, bp := pipePair()
	hf := hosttest.NewFaulty(hp, hosttest.Faults{DisconnectAfterFrames: 20})
	serveBoard(t, bp, fast)
	host, err := link.Dial(context.Background(), hf, fast)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	for i := 0; ; i++ {
		_, err = host.Call(context.Background(), proto.TypeRequest, []byte{byte(i), 0, 0, 0})
		if err != nil {
			break
		}
	}
	const want = "link: lost the board on /dev/ttyTEST: hosttest: cable pulled (simulated disconnect); check the cable or restart the firmware, then reconnect and restore from a snapshot to resume"
	if !errors.Is(err, link.ErrDisconnected) || err.Error() != want {
		t.Fatalf("error\n %v\nwant\n %s", err, want)
	}
	if !errors.Is(host.Err(), link.ErrDisconnected) {
		t.Errorf("Err() = %v", host.Err())
	}
}

func TestBoardStopsAnswering(t *testing.T) {
	hp, bp := pipePair()
	bf := hosttest.NewFaulty(bp, hosttest.Faults{})
	serveBoard(t, bf, fast)
	host, err := link.Dial(context.Background(), hp, fast)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	for i := range 3 {
		if _, err := host.Call(context.Background(), proto.TypeRequest, []byte{byte(i), 0, 0, 0}); err != nil {
			t.Fatal(err)
		}
	}
	bf.Silence()
	_, err = host.Call(context.Background(), proto.TypeRun, []byte{3, 0, 0, 0})
	const want = "link: board stopped answering after 5 retries of RUN seq 3; check the cable and that the board is powered and running, then reconnect and restore from a snapshot to resume"
	if !errors.Is(err, link.ErrTimeout) || err.Error() != want {
		t.Fatalf("error\n %v\nwant\n %s", err, want)
	}
}

func TestFirmwareGoneOverPty(t *testing.T) {
	p, err := pty.Open()
	if err != nil {
		t.Skip(err)
	}
	slave := openSlave(t, p)
	b := serveBoard(t, p.Master, fast)
	host, err := link.Dial(context.Background(), slave, fast)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if _, err := host.Call(context.Background(), proto.TypeRequest, []byte{1, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	b.l.Close()
	p.Close()
	_, err = host.Call(context.Background(), proto.TypeRequest, []byte{2, 0, 0, 0})
	if !errors.Is(err, link.ErrDisconnected) || !strings.HasPrefix(err.Error(), "link: lost the board on /dev/ttyTEST: ") || !strings.HasSuffix(err.Error(), "; check the cable or restart the firmware, then reconnect and restore from a snapshot to resume") {
		t.Fatalf("error %v", err)
	}
}

func TestRemoteError(t *testing.T) {
	hp, bp := pipePair()
	serveBoard(t, bp, fast)
	host, err := link.Dial(context.Background(), hp, fast)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	_, err = host.Call(context.Background(), proto.TypeRequest, []byte{1, 2})
	var re *link.RemoteError
	const want = "link: REQUEST seq 0 failed on the board: request of 2 bytes has no id"
	if !errors.Is(err, link.ErrRemote) || !errors.As(err, &re) || err.Error() != want {
		t.Fatalf("error\n %v\nwant\n %s", err, want)
	}
	// The link goes on working.
	if _, err := host.Call(context.Background(), proto.TypeRequest, []byte{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
}

func TestArgumentErrors(t *testing.T) {
	hp, bp := pipePair()
	serveBoard(t, bp, fast)
	host, err := link.Dial(context.Background(), hp, fast)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	tests := []struct {
		name string
		err  error
		is   error
		want string
	}{
		{"send too large", host.Send(context.Background(), make([]byte, 257)), link.ErrTooLarge, "link: 257-byte DATA exceeds the board's maximum payload of 256 bytes; split it"},
		{"call not a request", func() error { _, err := host.Call(context.Background(), proto.TypeData, nil); return err }(), nil, "link: Call: DATA is not a request type; use one of proto's request types"},
	}
	for _, tt := range tests {
		if tt.err == nil || (tt.is != nil && !errors.Is(tt.err, tt.is)) || tt.err.Error() != tt.want {
			t.Errorf("%s: error\n %v\nwant\n %s", tt.name, tt.err, tt.want)
		}
	}
	for _, tt := range []struct {
		cfg  link.Config
		want string
	}{
		{link.Config{MaxPayload: 70000}, "link: Config.MaxPayload 70000 outside 3…65535"},
		{link.Config{Window: 65}, "link: Config.Window 65 outside 1…64"},
		{link.Config{MaxPayload: 100, RxBuffer: 100}, "link: Config.RxBuffer 100 cannot hold one frame of Config.MaxPayload 100 (needs 107)"},
		{link.Config{ChipConfig: make([]byte, 1025)}, "link: Config.ChipConfig is 1025 bytes, more than the 1024 a HELLO carries"},
		{link.Config{Retries: 3, MaxTries: 3}, "link: Config.Retries 3 and MaxTries 3: need Retries ≥ 1 and MaxTries > Retries"},
	} {
		a, _ := pipePair()
		_, err := link.Dial(context.Background(), a, tt.cfg)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Dial with %+v: %v, want %s", tt.cfg, err, tt.want)
		}
	}
}

// fakeBoard answers the host's HELLO with reply, built from the host's HELLO payload.
func fakeBoard(t *testing.T, port io.ReadWriteCloser, reply func(hello proto.Frame) []byte) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		n := 0
		for {
			k, err := port.Read(buf[n:])
			if err != nil {
				return
			}
			n += k
			f, m, err := proto.ParseFrame(buf[:n])
			if errors.Is(err, proto.ErrIncomplete) {
				continue
			}
			copy(buf, buf[m:n])
			n -= m
			if err == nil && f.Type == proto.TypeHello {
				if out := reply(f); out != nil {
					port.Write(out)
				}
			}
		}
	}()
	t.Cleanup(func() { port.Close(); <-done })
}

func TestHandshakeFails(t *testing.T) {
	refuse := func(proto.Hello) error { return errors.New(`chip config "x" unknown; compile for this board`) }
	tests := []struct {
		name  string
		host  link.Config
		board *link.Config                   // a real responder with this config
		fake  func(hello proto.Frame) []byte // or a fake one
		is    error
		want  string
	}{
		{"board refuses", fast, &link.Config{Check: refuse}, nil, link.ErrIncompatible,
			`link: the board on /dev/ttyTEST refused the session: the board refuses this host: chip config \"x\" unknown; compile for this board`},
		{"host refuses", link.Config{Check: refuse, PortName: "/dev/ttyTEST"}, &link.Config{}, nil, link.ErrIncompatible,
			`link: the board on /dev/ttyTEST does not suit this host: chip config "x" unknown; compile for this board`},
		{"version", fast, nil, func(h proto.Frame) []byte {
			return proto.AppendFrame(nil, proto.Frame{Version: 2, Type: proto.TypeHello, Flags: proto.FlagReply, Payload: h.Payload})
		}, link.ErrVersionMismatch, "link: the board on /dev/ttyTEST speaks protocol version 2, this host speaks 1; update glemu or the board firmware so they match"},
		{"malformed reply", fast, nil, func(h proto.Frame) []byte {
			return proto.AppendFrame(nil, proto.Frame{Version: 1, Type: proto.TypeHello, Flags: proto.FlagReply, Payload: []byte{1, 2}})
		}, link.ErrIncompatible, "link: the board on /dev/ttyTEST sent a malformed HELLO (proto: malformed payload: HELLO: 2 bytes, need at least 12); update the board firmware"},
		{"no board", fast, nil, func(proto.Frame) []byte { return nil }, link.ErrTimeout,
			"link: no board answered HELLO on /dev/ttyTEST after 6 tries; check the port, the baud rate and that the firmware is running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hp, bp := pipePair()
			if tt.board != nil {
				b := serveBoard(t, bp, *tt.board)
				_ = b
			} else {
				fakeBoard(t, bp, tt.fake)
			}
			l, err := link.Dial(context.Background(), hp, tt.host)
			if err == nil {
				l.Close()
				t.Fatal("Dial succeeded")
			}
			if !errors.Is(err, tt.is) || err.Error() != tt.want {
				t.Fatalf("error\n %v\nwant\n %s", err, tt.want)
			}
		})
	}
}

// A board refuses a HELLO of another protocol version with a reply in its own.
func TestBoardRefusesOtherVersion(t *testing.T) {
	hp, bp := pipePair()
	defer hp.Close()
	done := make(chan error, 1)
	go func() {
		l, err := link.Accept(context.Background(), bp, link.Config{})
		if err == nil {
			l.Close()
		}
		done <- err
	}()
	hello := proto.AppendHello(nil, proto.Hello{Nonce: 1, MaxPayload: 64, RxBuffer: 1024, Window: 1})
	go hp.Write(proto.AppendFrame(nil, proto.Frame{Version: 2, Type: proto.TypeHello, Payload: hello}))
	buf := make([]byte, 512)
	n, err := hp.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := proto.ParseFrame(buf[:n])
	const want = "the board speaks protocol version 1, the host sent version 2; update the host software or the board firmware so they match"
	if err != nil || f.Type != proto.TypeHello || f.Flags != proto.FlagReply|proto.FlagError || string(f.Payload) != want {
		t.Fatalf("reply %v flags %v %q, %v", f, f.Flags, f.Payload, err)
	}
	hp.Close()
	if err := <-done; !errors.Is(err, link.ErrDisconnected) {
		t.Fatalf("Accept: %v", err)
	}
}

// The host never has more frames or bytes outstanding than the board advertised.
func TestFlowControl(t *testing.T) {
	for _, tc := range []struct {
		name  string
		board link.Config
		fits  int
	}{
		{"window", link.Config{MaxPayload: 100, RxBuffer: 4096, Window: 4}, 4},
		{"bytes", link.Config{MaxPayload: 100, RxBuffer: 300, Window: 16}, 2}, // 2 × 107 ≤ 300 < 3 × 107
	} {
		t.Run(tc.name, func(t *testing.T) {
			hp, bp := pipePair()
			boardc := make(chan *link.Link, 1)
			go func() {
				l, err := link.Accept(context.Background(), bp, tc.board)
				if err != nil {
					t.Error(err)
				}
				boardc <- l
			}()
			host, err := link.Dial(context.Background(), hp, fast)
			if err != nil {
				t.Fatal(err)
			}
			defer host.Close()
			board := <-boardc
			defer board.Close()
			chunk := make([]byte, 100)
			for i := range tc.fits {
				if err := host.Send(context.Background(), chunk); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			err = host.Send(ctx, chunk)
			cancel()
			const want = "link: DATA waiting for room in the board's receive buffer: context deadline exceeded"
			if !errors.Is(err, context.DeadlineExceeded) || err.Error() != want {
				t.Fatalf("send %d beyond the board's buffer: %v", tc.fits+1, err)
			}
			// The board consumes one: exactly one more fits.
			if _, err := board.Next(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := host.Send(context.Background(), chunk); err != nil {
				t.Fatal(err)
			}
			ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
			err = host.Send(ctx, chunk)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("send after one consumed: %v", err)
			}
			if s := board.Stats(); s.Refused != 0 {
				t.Errorf("board refused %d frames: its buffer was overrun", s.Refused)
			}
		})
	}
}

// A second host session on the same board (a new HELLO) resets the board's session;
// the board's Serve loop carries on with the new host.
func TestNewSessionOverPty(t *testing.T) {
	p := openPty(t)
	b := serveBoard(t, p.Master, fast)
	for round := range 3 {
		host, err := link.Dial(context.Background(), openSlave(t, p), fast)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for i := range 10 {
			id := uint32(round*100 + i)
			if _, err := host.Call(context.Background(), proto.TypeRequest, []byte{byte(id), byte(id >> 8), 0, 0}); err != nil {
				t.Fatalf("round %d call %d: %v", round, i, err)
			}
		}
		host.Close()
	}
	b.checkExactlyOnce(t, 30)
}

// parkPort stops a link's reader without closing the port (Close sets a read deadline),
// so a second link can take the port over, as a board that reboots.
type parkPort struct{ *os.File }

func (p parkPort) Close() error { return p.SetReadDeadline(time.Unix(1, 0)) }

func TestBoardRestarted(t *testing.T) {
	p := openPty(t)
	b1 := serveBoard(t, parkPort{p.Master}, fast)
	host, err := link.Dial(context.Background(), openSlave(t, p), fast)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if _, err := host.Call(context.Background(), proto.TypeRequest, []byte{1, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	b1.l.Close() // returns once its goroutines have ended
	p.Master.SetReadDeadline(time.Time{})
	serveBoard(t, p.Master, fast) // the rebooted board knows no session
	_, err = host.Call(context.Background(), proto.TypeRequest, []byte{2, 0, 0, 0})
	const want = "link: the board on /dev/ttyTEST no longer knows this session (it was reset or restarted); reconnect and restore from a snapshot to resume"
	if !errors.Is(err, link.ErrSessionLost) || err.Error() != want {
		t.Fatalf("error\n %v\nwant\n %s", err, want)
	}
}

func TestCloseUnblocks(t *testing.T) {
	hp, bp := pipePair()
	boardc := make(chan *link.Link, 1)
	go func() {
		l, _ := link.Accept(context.Background(), bp, link.Config{})
		boardc <- l
	}()
	host, err := link.Dial(context.Background(), hp, link.Config{})
	if err != nil {
		t.Fatal(err)
	}
	board := <-boardc
	callErr := make(chan error, 1)
	go func() {
		_, err := host.Call(context.Background(), proto.TypeRequest, []byte("never answered"))
		callErr <- err
	}()
	nextErr := make(chan error, 1)
	go func() {
		board.Next(context.Background()) // the request
		_, err := board.Next(context.Background())
		nextErr <- err
	}()
	time.Sleep(50 * time.Millisecond)
	host.Close()
	board.Close()
	for name, c := range map[string]chan error{"host Call": callErr, "board Next": nextErr} {
		select {
		case err := <-c:
			if !errors.Is(err, link.ErrClosed) && !errors.Is(err, link.ErrDisconnected) {
				t.Errorf("%s after Close: %v", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s still blocked after Close", name)
		}
	}
	if err := host.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func Example() {
	hostPort, boardPort := pipePair() // a serial port or a pty in real use
	go func() {
		board, err := link.Accept(context.Background(), boardPort, link.Config{ChipConfig: []byte("tiles=4")})
		if err != nil {
			return
		}
		defer board.Close()
		board.Serve(context.Background(), func(ctx context.Context, m link.Message) ([]byte, error) {
			return append([]byte("pong: "), m.Payload...), nil
		})
	}()
	host, err := link.Dial(context.Background(), hostPort, link.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer host.Close()
	fmt.Printf("board says %q\n", host.Peer().Config)
	resp, err := host.Call(context.Background(), proto.TypeRequest, []byte("ping"))
	fmt.Printf("%s %v\n", resp, err)
	// Output:
	// board says "tiles=4"
	// pong: ping <nil>
}
