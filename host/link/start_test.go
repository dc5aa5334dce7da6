package link_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/host/proto"
)

// Requests started one after the other are executed in that order, whatever order
// their responses are waited for in.
func TestStartPipelines(t *testing.T) {
	hp, bp := pipePair()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	var order []byte
	done := make(chan error, 1)
	go func() {
		l, err := link.Accept(ctx, bp, link.Config{})
		if err != nil {
			done <- err
			return
		}
		defer l.Close()
		done <- l.Serve(ctx, func(_ context.Context, m link.Message) ([]byte, error) {
			mu.Lock()
			order = append(order, m.Payload[0])
			mu.Unlock()
			return m.Payload, nil
		})
	}()
	host, err := link.Dial(ctx, hp, link.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var pend []*link.Pending
	for i := range 20 {
		p, err := host.Start(ctx, proto.TypeRequest, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		pend = append(pend, p)
	}
	for i := len(pend) - 1; i >= 0; i-- {
		r, err := pend[i].Wait(ctx)
		if err != nil || !bytes.Equal(r, []byte{byte(i)}) {
			t.Fatalf("request %d: %x, %v", i, r, err)
		}
		select {
		case <-pend[i].Done():
		default:
			t.Fatalf("request %d: Done open after Wait", i)
		}
	}
	mu.Lock()
	for i, c := range order {
		if int(c) != i {
			t.Fatalf("executed in order %v", order)
		}
	}
	mu.Unlock()
	if _, err := host.Start(ctx, proto.TypeData, nil); err == nil {
		t.Error("Start accepts a DATA type")
	}
	host.Close()
	cancel()
	<-done
}

// SendFor streams DATA in the session its request came in: once the host has said
// HELLO again, it fails instead of sending into the new session.
func TestSendForEndsWithItsSession(t *testing.T) {
	hp, bp := pipePair()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	var frames []proto.Frame
	go func() { // the raw host's reader
		var buf []byte
		tmp := make([]byte, 4096)
		for {
			n, err := hp.Read(tmp)
			buf = append(buf, tmp[:n]...)
			for {
				f, k, perr := proto.ParseFrame(buf)
				if errors.Is(perr, proto.ErrIncomplete) {
					break
				}
				if perr == nil {
					f.Payload = bytes.Clone(f.Payload)
					mu.Lock()
					frames = append(frames, f)
					mu.Unlock()
				}
				buf = buf[:copy(buf, buf[k:])]
			}
			if err != nil {
				return
			}
		}
	}()
	send := func(f proto.Frame) {
		f.Version = proto.Version
		if _, err := hp.Write(proto.AppendFrame(nil, f)); err != nil {
			t.Fatal(err)
		}
	}
	hello := func(nonce uint32) {
		send(proto.Frame{Type: proto.TypeHello, Payload: proto.AppendHello(nil, proto.Hello{Nonce: nonce, MaxPayload: 256, RxBuffer: 4096, Window: 8})})
	}
	data := func() (n int) {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range frames {
			if f.Type == proto.TypeData {
				n++
			}
		}
		return n
	}
	board := make(chan *link.Link, 1)
	go func() {
		l, err := link.Accept(ctx, bp, link.Config{})
		if err != nil {
			t.Error(err)
		}
		board <- l
	}()
	hello(1)
	b := <-board
	defer b.Close()
	send(proto.Frame{Type: proto.TypeRun, Payload: []byte("run")})
	m, err := b.Next(ctx)
	if err != nil || m.Type != proto.TypeRun {
		t.Fatalf("board got %v, %v", m, err)
	}
	if err := b.SendFor(ctx, m, []byte("out 1")); err != nil {
		t.Fatal(err)
	}
	for data() != 1 {
		time.Sleep(time.Millisecond)
	}
	hello(2) // a new host on the same line
	if _, err := b.Next(ctx); !errors.Is(err, link.ErrSessionReset) {
		t.Fatalf("Next after a new HELLO: %v, want ErrSessionReset once", err)
	}
	if err := b.SendFor(ctx, m, []byte("out 2")); !errors.Is(err, link.ErrSessionReset) {
		t.Fatalf("SendFor for the old session: %v, want ErrSessionReset", err)
	}
	if err := b.Send(ctx, []byte("new")); err != nil {
		t.Fatalf("Send in the new session: %v", err)
	}
	for data() != 2 {
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	for _, f := range frames {
		if f.Type == proto.TypeData && string(f.Payload) == "out 2" {
			t.Error("the old session's DATA went into the new one")
		}
	}
	mu.Unlock()
	hp.Close()
}
