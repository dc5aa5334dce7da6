package firmwaresim

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// UART paces the bytes written through it to the rate of a real UART sending 8N1
// frames (a start bit, 8 data bits, a stop bit): BaudRate/10 bytes per second. Like a
// UART with a transmit FIFO, it accepts a burst of up to FIFO bytes at once and then
// blocks each Write until the line has room, so a writer never runs ahead of the line
// by more than the FIFO. Reads pass through unpaced (the other end's UART paces them)
// unless PaceReads is on: then the receiver, too, takes bytes no faster than the line
// delivers them, which paces a peer that writes into a pty without a UART of its own.
//
// A UART is safe for one reading and one writing goroutine at a time.
type UART struct {
	port     io.ReadWriter
	baudRate int
	fifo     int // bytes

	mu   sync.Mutex
	free time.Time // when the line will have sent every byte written so far

	rxMu      sync.Mutex
	paceReads bool
	rxFree    time.Time // when the line will have delivered every byte read so far
}

// PaceReads switches the pacing of reads on or off.
func (u *UART) PaceReads(on bool) {
	u.rxMu.Lock()
	u.paceReads = on
	u.rxMu.Unlock()
}

// NewUART paces writes to port at baudRate (bits per second, 8N1). Its FIFO holds 4 ms
// of line time (at least 16 bytes), about what a USB–UART bridge buffers, and enough to
// ride over the scheduler's jitter (sleeps here last at least about 1 ms).
func NewUART(port io.ReadWriter, baudRate int) (*UART, error) {
	if baudRate < 10 {
		return nil, fmt.Errorf("firmwaresim: baud rate %d is too low; use a rate such as 115200 or 3000000", baudRate)
	}
	return &UART{port: port, baudRate: baudRate, fifo: max(16, baudRate/10/250)}, nil
}

// BaudRate is the line's rate in bits per second.
func (u *UART) BaudRate() int { return u.baudRate }

// BytesPerSecond is the line's raw byte rate, BaudRate/10.
func (u *UART) BytesPerSecond() float64 { return float64(u.baudRate) / 10 }

// SetFIFO sets how many bytes the transmit FIFO holds (at least 1).
func (u *UART) SetFIFO(n int) {
	u.mu.Lock()
	u.fifo = max(1, n)
	u.mu.Unlock()
}

// byteTime is the time n bytes take on the line.
func (u *UART) byteTime(n int) time.Duration {
	return time.Duration(int64(n) * 10 * int64(time.Second) / int64(u.baudRate))
}

// Write sends b at the line's pace: it returns once the last byte is in the FIFO.
func (u *UART) Write(b []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if now := time.Now(); u.free.Before(now) {
		u.free = now // the line went idle: nothing was written
	}
	written := 0
	for written < len(b) {
		// Within one Write the data was there all along: if this goroutine woke late,
		// the line did not idle, so the next chunk goes out at once (catching up).
		chunk := b[written:min(len(b), written+u.fifo)]
		now := time.Now()
		// Wait until the FIFO has room for the chunk.
		if backlog := u.free.Sub(now) + u.byteTime(len(chunk)) - u.byteTime(u.fifo); backlog > 0 {
			time.Sleep(backlog)
		}
		n, err := u.port.Write(chunk)
		written += n
		u.free = u.free.Add(u.byteTime(n))
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// Read reads from the port. With PaceReads, it returns once the line would have
// delivered the bytes read (within the FIFO's slack): bytes that were waiting when the
// read began arrive one byte time after another from then on, or from the end of the
// previous read's bytes if that is later.
func (u *UART) Read(b []byte) (int, error) {
	start := time.Now()
	n, err := u.port.Read(b)
	if n > 0 {
		u.rxMu.Lock()
		if u.paceReads {
			if u.rxFree.Before(start) {
				u.rxFree = start
			}
			u.rxFree = u.rxFree.Add(u.byteTime(n))
			u.mu.Lock()
			slack := u.byteTime(u.fifo)
			u.mu.Unlock()
			if d := time.Until(u.rxFree) - slack; d > 0 {
				time.Sleep(d)
			}
		}
		u.rxMu.Unlock()
	}
	return n, err
}

// Close closes the port if it is an io.Closer.
func (u *UART) Close() error {
	if c, ok := u.port.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

var errNoDeadline = errors.New("firmwaresim: the port under the UART has no deadlines")

// SetReadDeadline sets the port's read deadline, if it has deadlines.
func (u *UART) SetReadDeadline(t time.Time) error {
	if d, ok := u.port.(interface{ SetReadDeadline(time.Time) error }); ok {
		return d.SetReadDeadline(t)
	}
	return errNoDeadline
}

// SetWriteDeadline sets the port's write deadline, if it has deadlines.
func (u *UART) SetWriteDeadline(t time.Time) error {
	if d, ok := u.port.(interface{ SetWriteDeadline(time.Time) error }); ok {
		return d.SetWriteDeadline(t)
	}
	return errNoDeadline
}
