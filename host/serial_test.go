package host

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/glemu/glemu/firmware-sim/pty"
	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/host/proto"
)

func openPty(t *testing.T) *pty.Pty {
	t.Helper()
	p, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// A pty opened as a serial port carries every byte both ways, and a read with nothing
// to read times out as ErrTimeout.
func TestSerialOverPty(t *testing.T) {
	p := openPty(t)
	sp, err := OpenSerial(p.SlavePath, DefaultBaudRate, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if sp.Path() != p.SlavePath || sp.BaudRate() != DefaultBaudRate {
		t.Errorf("Path %q BaudRate %d", sp.Path(), sp.BaudRate())
	}
	_, err = sp.Read(make([]byte, 8))
	if !errors.Is(err, ErrTimeout) || err.Error() != "host: "+p.SlavePath+": read timed out" {
		t.Fatalf("read with nothing there: %v, want ErrTimeout", err)
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if _, err := sp.Write(all); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 256)
	p.Master.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(p.Master, got); err != nil || !bytes.Equal(got, all) {
		t.Fatalf("board side read % x, %v", got, err)
	}
	go p.Master.Write(all)
	got = got[:0]
	for len(got) < 256 {
		b := make([]byte, 256)
		n, err := sp.Read(b)
		if err != nil && !errors.Is(err, ErrTimeout) {
			t.Fatal(err)
		}
		got = append(got, b[:n]...)
	}
	if !bytes.Equal(got, all) {
		t.Fatalf("host side read % x", got)
	}
}

// The link runs over the serial port exactly as over anything else, and Close of the
// link (hence of the port) ends it without leaking its reader.
func TestLinkOverSerial(t *testing.T) {
	for _, timeout := range []time.Duration{0, 10 * time.Millisecond} {
		p := openPty(t)
		ctx := context.Background()
		boardc := make(chan *link.Link, 1)
		go func() {
			l, err := link.Accept(ctx, p.Master, link.Config{})
			if err != nil {
				t.Error(err)
			}
			boardc <- l
		}()
		sp, err := OpenSerial(p.SlavePath, DefaultBaudRate, timeout)
		if err != nil {
			t.Fatal(err)
		}
		host, err := link.Dial(ctx, sp, link.Config{PortName: sp.Path()})
		if err != nil {
			t.Fatal(err)
		}
		board := <-boardc
		done := make(chan error, 1)
		go func() {
			done <- board.Serve(ctx, func(ctx context.Context, m link.Message) ([]byte, error) { return m.Payload, nil })
		}()
		for i := range 20 {
			resp, err := host.Call(ctx, proto.TypeRequest, []byte{byte(i)})
			if err != nil || !bytes.Equal(resp, []byte{byte(i)}) {
				t.Fatalf("timeout %v, call %d: % x, %v", timeout, i, resp, err)
			}
		}
		time.Sleep(3 * timeout) // a few read timeouts pass unnoticed
		if _, err := host.Call(ctx, proto.TypeRequest, []byte{1}); err != nil {
			t.Fatalf("after idle read timeouts: %v", err)
		}
		closed := make(chan struct{})
		go func() { host.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("Close of a link over a serial port hangs")
		}
		board.Close()
		<-done
	}
}

func TestOpenSerialFails(t *testing.T) {
	tests := []struct {
		path string
		baud int
		is   error
		want string
	}{
		{"/dev/ttyNOPE0", 115200, ErrNoBoard, "host: open /dev/ttyNOPE0: host: no board: no such serial port; check the cable and the path (the board list shows the candidates)"},
		{"/dev/ttyNOPE0", 0, nil, "host: baud rate 0 for /dev/ttyNOPE0; use a positive rate such as 115200 or 3000000"},
		{"/dev/null", 115200, nil, "host: open /dev/null: not a serial port: Invalid serial port: error getting term settings: inappropriate ioctl for device"},
	}
	for _, tt := range tests {
		_, err := OpenSerial(tt.path, tt.baud, 0)
		if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || err.Error() != tt.want {
			t.Errorf("OpenSerial(%s, %d):\n got %v\nwant %s", tt.path, tt.baud, err, tt.want)
		}
	}
}

func TestParseSerialURL(t *testing.T) {
	tests := []struct {
		in   string
		path string
		baud int
		err  string
	}{
		{"serial:///dev/ttyUSB0?baud=115200", "/dev/ttyUSB0", 115200, ""},
		{"serial:///dev/pts/3", "/dev/pts/3", DefaultBaudRate, ""},
		{"/dev/ttyUSB0", "", 0, `host: device "/dev/ttyUSB0": want serial:///PATH[?baud=RATE], such as serial:///dev/ttyUSB0?baud=3000000`},
		{"serial://dev/ttyUSB0", "", 0, `host: device "serial://dev/ttyUSB0": want serial:///PATH[?baud=RATE], such as serial:///dev/ttyUSB0?baud=3000000`},
		{"serial:///dev/ttyUSB0?baud=fast", "", 0, `host: device "serial:///dev/ttyUSB0?baud=fast": baud "fast" is not a positive integer`},
		{"serial:///dev/ttyUSB0?parity=odd", "", 0, `host: device "serial:///dev/ttyUSB0?parity=odd": unknown option "parity"; the only option is baud=RATE`},
	}
	for _, tt := range tests {
		path, baud, err := ParseSerialURL(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseSerialURL(%q) error %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || path != tt.path || baud != tt.baud {
			t.Errorf("ParseSerialURL(%q) = %q, %d, %v", tt.in, path, baud, err)
		}
	}
}
