package firmwaresim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/glemu/glemu/firmware-sim/pty"
	"github.com/glemu/glemu/host/link"
)

// countingWriter records what reaches the line and when the last byte came.
type countingWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(b)
}
func (w *countingWriter) Read([]byte) (int, error) { return 0, io.EOF }

// The UART never runs ahead of the line by more than its FIFO, and passes every byte
// unchanged, whatever the size of the writes.
func TestUARTPaces(t *testing.T) {
	const baud = 1_000_000 // 100,000 bytes per second
	for _, write := range []int{1, 7, 100, 5000} {
		t.Run(fmt.Sprint("write=", write), func(t *testing.T) {
			w := &countingWriter{}
			u, err := NewUART(w, baud)
			if err != nil {
				t.Fatal(err)
			}
			u.SetFIFO(64)
			data := make([]byte, 20_000)
			for i := range data {
				data[i] = byte(i * 31)
			}
			start := time.Now()
			for off := 0; off < len(data); off += write {
				if _, err := u.Write(data[off:min(len(data), off+write)]); err != nil {
					t.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			// The line needs (n − FIFO) byte times before the last byte can enter the FIFO.
			if min := time.Duration(len(data)-64) * 10 * time.Second / baud; elapsed < min {
				t.Errorf("%d bytes at %d baud took %v; a UART needs at least %v", len(data), baud, elapsed, min)
			}
			if !bytes.Equal(w.buf.Bytes(), data) {
				t.Errorf("bytes changed on the way")
			}
		})
	}
}

func TestNewUARTFails(t *testing.T) {
	_, err := NewUART(&countingWriter{}, 9)
	if want := "firmwaresim: baud rate 9 is too low; use a rate such as 115200 or 3000000"; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// BenchmarkUART measures the rate a UART achieves against its nominal rate.
func BenchmarkUART(b *testing.B) {
	const baud = 3_000_000
	u, _ := NewUART(&countingWriter{}, baud)
	frame := make([]byte, 1039)
	var n int
	start := time.Now()
	for b.Loop() {
		for range 100 {
			u.Write(frame)
			n += len(frame)
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds()/u.BytesPerSecond()*100, "%nominal")
}

// BenchmarkLinkEfficiency streams DATA from a host to a board through a real pty, both
// ends paced by a UART at 3,000,000 baud, and reports the link efficiency: payload bytes
// per second received by the board ÷ the line's raw rate (baud/10 for 8N1). The goal is
// at least 90 %.
func BenchmarkLinkEfficiency(b *testing.B) {
	const baud = 3_000_000
	for _, payload := range []int{256, 1024} {
		b.Run(fmt.Sprintf("baud=%d/payload=%d", baud, payload), func(b *testing.B) {
			p, err := pty.Open()
			if err != nil {
				b.Skipf("no pty: %v", err)
			}
			defer p.Close()
			slave, err := pty.OpenSlave(p.SlavePath)
			if err != nil {
				b.Fatal(err)
			}
			boardUART, _ := NewUART(p.Master, baud)
			hostUART, _ := NewUART(slave, baud)
			cfg := link.Config{MaxPayload: payload, RxBuffer: 16 << 10, Window: 32}
			ctx := context.Background()
			boardc := make(chan *link.Link, 1)
			go func() {
				l, err := link.Accept(ctx, boardUART, cfg)
				if err != nil {
					b.Error(err)
				}
				boardc <- l
			}()
			host, err := link.Dial(ctx, hostUART, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer host.Close()
			board := <-boardc
			if board == nil {
				b.FailNow()
			}
			defer board.Close()

			const volume = 512 << 10 // bytes per iteration, about 1.7 s of line time
			frames := volume / payload
			chunk := make([]byte, payload)
			for i := range chunk {
				chunk[i] = byte(i)
			}
			var total, wire int64
			var elapsed time.Duration
			for b.Loop() {
				wire0 := host.Stats().BytesSent
				got := make(chan error, 1)
				go func() {
					for range frames {
						m, err := board.Next(ctx)
						if err != nil {
							got <- err
							return
						}
						if len(m.Payload) != payload {
							got <- fmt.Errorf("got %d bytes, want %d", len(m.Payload), payload)
							return
						}
					}
					got <- nil
				}()
				start := time.Now()
				for range frames {
					if err := host.Send(ctx, chunk); err != nil {
						b.Fatal(err)
					}
				}
				if err := <-got; err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				total += int64(frames * payload)
				wire += host.Stats().BytesSent - wire0
			}
			rate := float64(total) / elapsed.Seconds()
			b.ReportMetric(rate, "payloadB/s")
			b.ReportMetric(rate/hostUART.BytesPerSecond()*100, "%efficiency")
			// What limits the efficiency: the line's busy time (the pacer runs short
			// of nominal when the machine is loaded) and the protocol's overhead
			// (framing, acknowledgements, retransmissions).
			b.ReportMetric(float64(wire)/elapsed.Seconds()/hostUART.BytesPerSecond()*100, "%line-busy")
			b.ReportMetric(float64(total)/float64(wire)*100, "%payload/wire")
			b.ReportMetric(float64(host.Stats().Resent), "resent")
		})
	}
}
