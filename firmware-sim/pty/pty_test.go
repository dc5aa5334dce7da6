package pty_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/glemu/glemu/firmware-sim/pty"
)

func open(t *testing.T) *pty.Pty {
	t.Helper()
	p, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Every byte value crosses both ways unchanged: raw mode translates nothing.
func TestRawBothWays(t *testing.T) {
	p := open(t)
	host, err := pty.OpenSlave(p.SlavePath)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, dir := range []struct {
		name string
		w, r *os.File
	}{{"master→slave", p.Master, host}, {"slave→master", host, p.Master}} {
		t.Run(dir.name, func(t *testing.T) {
			go dir.w.Write(all)
			got := make([]byte, len(all))
			dir.r.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadFull(dir.r, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, all) {
				t.Fatalf("bytes changed on the way:\n got % x\nwant % x", got, all)
			}
		})
	}
}

func TestMasterDeadline(t *testing.T) {
	p := open(t)
	p.Master.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, err := p.Master.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read after the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("deadline took %v", d)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	p, err := pty.Open()
	if err != nil {
		t.Skip(err)
	}
	done := make(chan error)
	go func() {
		_, err := p.Master.Read(make([]byte, 1))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	p.Close()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Read after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
}

// The host may close and reopen the slave; the master sees no hang-up meanwhile.
func TestReopenSlave(t *testing.T) {
	p := open(t)
	for i := range 2 {
		host, err := pty.OpenSlave(p.SlavePath)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := host.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		p.Master.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := p.Master.Read(b); err != nil || b[0] != byte(i) {
			t.Fatalf("round %d: read %v, %v", i, b, err)
		}
		host.Close()
	}
}

// When the simulator closes its end, the host's read reports it rather than hanging.
func TestHostSeesHangup(t *testing.T) {
	p, err := pty.Open()
	if err != nil {
		t.Skip(err)
	}
	host, err := pty.OpenSlave(p.SlavePath)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	p.Close()
	host.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := host.Read(make([]byte, 1))
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("host read after the master closed: %d, %v; want EOF or EIO", n, err)
	}
	t.Logf("host read after hang-up: %v", err)
}

func ExampleOpen() {
	p, err := pty.Open()
	if err != nil {
		return
	}
	defer p.Close()
	host, _ := pty.OpenSlave(p.SlavePath) // a host program would open p.SlavePath as a serial port
	defer host.Close()
	host.Write([]byte("hi"))
	buf := make([]byte, 2)
	io.ReadFull(p.Master, buf)
	fmt.Printf("the simulator read %q\n", buf)
	// Output: the simulator read "hi"
}
