package link_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/glemu/glemu/host/hosttest"
	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/host/proto"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// board is a responder whose handler counts how often each request ran and collects the
// DATA stream, so tests can prove exactly-once execution and intact, ordered data.
type board struct {
	mu   sync.Mutex
	runs map[uint32]int
	data bytes.Buffer
	l    *link.Link
	done chan error
}

// serveBoard accepts on port and serves until the link ends or the test does.
func serveBoard(t *testing.T, port io.ReadWriter, cfg link.Config) *board {
	t.Helper()
	b := &board{runs: make(map[uint32]int), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	go func() {
		l, err := link.Accept(ctx, port, cfg)
		if err != nil {
			b.done <- err
			close(ready)
			return
		}
		b.l = l
		close(ready)
		b.done <- l.Serve(ctx, b.handle)
	}()
	t.Cleanup(func() {
		cancel()
		<-ready
		if b.l != nil {
			b.l.Close()
		}
		<-b.done
	})
	return b
}

// handle answers a request (id uint32, body) with (id, reversed body); DATA is appended.
func (b *board) handle(ctx context.Context, m link.Message) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.Type == proto.TypeData {
		b.data.Write(m.Payload)
		return nil, nil
	}
	if len(m.Payload) < 4 {
		return nil, fmt.Errorf("request of %d bytes has no id", len(m.Payload))
	}
	id := binary.LittleEndian.Uint32(m.Payload)
	b.runs[id]++
	return reply(m.Payload), nil
}

func reply(req []byte) []byte {
	out := append([]byte(nil), req[:4]...)
	for i := len(req) - 1; i >= 4; i-- {
		out = append(out, req[i])
	}
	return out
}

func (b *board) checkExactlyOnce(t *testing.T, n int) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.runs) != n {
		t.Errorf("board ran %d distinct requests, want %d", len(b.runs), n)
	}
	for id, k := range b.runs {
		if k != 1 {
			t.Errorf("request %d ran %d times, want once", id, k)
		}
	}
}

// exchange makes n calls from workers goroutines and streams data alongside; it fails
// the test on any wrong answer.
func exchange(t *testing.T, host *link.Link, n, workers int, maxLen int, seed uint64) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := w; i < n; i += workers {
				req := binary.LittleEndian.AppendUint32(nil, uint32(i))
				for range rng.IntN(maxLen) {
					req = append(req, byte(rng.Uint32()))
				}
				got, err := host.Call(ctx, proto.TypeRequest, req)
				if err != nil {
					errs <- fmt.Errorf("call %d: %w", i, err)
					return
				}
				if !bytes.Equal(got, reply(req)) {
					errs <- fmt.Errorf("call %d: answer % x, want % x", i, got, reply(req))
					return
				}
			}
		})
	}
	var sent bytes.Buffer
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(seed, 99))
		for i := 0; i < n/4; i++ {
			chunk := make([]byte, 1+rng.IntN(maxLen))
			for j := range chunk {
				chunk[j] = byte(rng.Uint32())
			}
			if err := host.Send(ctx, chunk); err != nil {
				errs <- fmt.Errorf("send %d: %w", i, err)
				return
			}
			sent.Write(chunk)
		}
		if err := host.Flush(ctx); err != nil {
			errs <- err
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return sent.Bytes()
}

func waitData(t *testing.T, b *board, want []byte) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		got := bytes.Clone(b.data.Bytes())
		b.mu.Unlock()
		if bytes.Equal(got, want) {
			return
		}
		if len(got) >= len(want) || time.Now().After(deadline) {
			t.Fatalf("board received %d data bytes, want %d (equal prefix: %v)", len(got), len(want), bytes.HasPrefix(want, got))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSessionPipe(t *testing.T) {
	hp, bp := pipePair()
	b := serveBoard(t, bp, link.Config{MaxPayload: 256, RxBuffer: 2048, Window: 8})
	host, err := link.Dial(context.Background(), hp, link.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if p := host.Peer(); p.MaxPayload != 256 || p.RxBuffer != 2048 || p.Window != 8 {
		t.Fatalf("peer %+v", p)
	}
	const n = 400
	sent := exchange(t, host, n, 4, 200, 1)
	b.checkExactlyOnce(t, n)
	waitData(t, b, sent)
	s := host.Stats()
	t.Logf("host: %+v", s)
	if s.Damaged != 0 || s.Refused != 0 {
		t.Errorf("clean line: %d damaged frames, %d refused", s.Damaged, s.Refused)
	}
}

func TestSessionFaults(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			hp, bp := pipePair()
			f := hosttest.Faults{Seed: seed, BitErrorRate: 1e-4, DropFrameRate: 0.01, DupFrameRate: 0.01, TruncateFrameRate: 0.005}
			hf := hosttest.NewFaulty(hp, f)
			f.Seed += 1000
			bf := hosttest.NewFaulty(bp, f)
			fast := fast
			b := serveBoard(t, bf, fast)
			host, err := link.Dial(context.Background(), hf, fast)
			if err != nil {
				t.Fatal(err)
			}
			defer host.Close()
			const n = 1000
			sent := exchange(t, host, n, 4, 200, seed)
			b.checkExactlyOnce(t, n)
			waitData(t, b, sent)
			hs, fs := hf.Stats(), bf.Stats()
			t.Logf("host→board faults: %v", hs)
			t.Logf("board→host faults: %v", fs)
			t.Logf("host stats: %+v", host.Stats())
			if hs.BitsFlipped == 0 || hs.FramesDropped == 0 || hs.FramesDuplicated == 0 || hs.FramesTruncated == 0 || fs.BitsFlipped == 0 || fs.FramesDropped == 0 {
				t.Errorf("the injector did not inject every fault: %v / %v", hs, fs)
			}
		})
	}
}
