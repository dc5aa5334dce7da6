package hosttest

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Op is one step of a recorded session, seen from the side that was recorded: bytes it
// wrote (Write true) or bytes it read.
type Op struct {
	Write bool
	Data  []byte
}

func (o Op) String() string {
	if o.Write {
		return fmt.Sprintf("write % x", o.Data)
	}
	return fmt.Sprintf("read % x", o.Data)
}

// Recorder wraps a port and records every Write and every Read, in the order they
// happened.
type Recorder struct {
	port io.ReadWriter
	mu   sync.Mutex
	ops  []Op
}

// NewRecorder records what goes through port.
func NewRecorder(port io.ReadWriter) *Recorder { return &Recorder{port: port} }

// Write writes to the port and records what was written.
func (r *Recorder) Write(b []byte) (int, error) {
	n, err := r.port.Write(b)
	if n > 0 {
		r.mu.Lock()
		r.ops = append(r.ops, Op{Write: true, Data: append([]byte(nil), b[:n]...)})
		r.mu.Unlock()
	}
	return n, err
}

// Read reads from the port and records what was read.
func (r *Recorder) Read(b []byte) (int, error) {
	n, err := r.port.Read(b)
	if n > 0 {
		r.mu.Lock()
		r.ops = append(r.ops, Op{Data: append([]byte(nil), b[:n]...)})
		r.mu.Unlock()
	}
	return n, err
}

// Close closes the port if it is an io.Closer.
func (r *Recorder) Close() error {
	if c, ok := r.port.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Ops returns the recording so far.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Op(nil), r.ops...)
}

// WriteOps writes a recording as text: one op per line, "w" or "r" and the bytes in hex.
func WriteOps(w io.Writer, ops []Op) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# hosttest recording: w = bytes written by the recorded side, r = bytes it read; hex")
	for _, o := range ops {
		kind := "r"
		if o.Write {
			kind = "w"
		}
		fmt.Fprintf(bw, "%s %x\n", kind, o.Data)
	}
	return bw.Flush()
}

// ReadOps reads a recording written by WriteOps.
func ReadOps(r io.Reader) ([]Op, error) {
	var ops []Op
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<24)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		kind, hx, ok := strings.Cut(text, " ")
		data, err := hex.DecodeString(hx)
		if !ok || (kind != "w" && kind != "r") || err != nil || len(data) == 0 {
			return nil, fmt.Errorf("hosttest: recording line %d: want \"w HEX\" or \"r HEX\", got %.40q", line, text)
		}
		ops = append(ops, Op{Write: kind == "w", Data: data})
	}
	return ops, sc.Err()
}

// ErrUnexpected is what Playback returns for a byte the recording does not expect.
var ErrUnexpected = errors.New("hosttest: playback: unexpected write")

// Playback is a port that replays a recording to the side that was recorded: Read
// returns the recorded reads, each only once every write recorded before it has
// happened; Write checks every byte against the recorded writes and fails, with an
// error matching ErrUnexpected, on the first difference or on any write past the end.
// Writes may be split differently from the recording; reads may return less than a
// recorded op. After the last recorded read, Read blocks until Close (then io.EOF).
type Playback struct {
	ops []Op

	mu      sync.Mutex
	cond    *sync.Cond
	wop     int // index of the op the next written byte belongs to (a write op)
	woff    int // offset in it
	rop     int // index of the next read op
	roff    int
	written int // bytes written so far
	err     error
	closed  bool
}

// NewPlayback replays ops.
func NewPlayback(ops []Op) *Playback {
	p := &Playback{ops: ops}
	p.cond = sync.NewCond(&p.mu)
	p.skipTo()
	return p
}

// skipTo moves wop and rop to the next op of their kind. Called with p.mu held.
func (p *Playback) skipTo() {
	for p.wop < len(p.ops) && !p.ops[p.wop].Write {
		p.wop++
	}
	for p.rop < len(p.ops) && p.ops[p.rop].Write {
		p.rop++
	}
}

// Write checks b against the recording.
func (p *Playback) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return 0, p.err
	}
	if p.closed {
		return 0, io.ErrClosedPipe
	}
	for i, c := range b {
		if p.wop >= len(p.ops) {
			p.err = fmt.Errorf("%w: byte %d (0x%02x) after the end of the recording", ErrUnexpected, p.written, c)
			p.cond.Broadcast()
			return i, p.err
		}
		op := p.ops[p.wop]
		if want := op.Data[p.woff]; c != want {
			p.err = fmt.Errorf("%w: byte %d of the session (byte %d of op %d, %v): got 0x%02x, want 0x%02x", ErrUnexpected, p.written, p.woff, p.wop, op, c, want)
			p.cond.Broadcast()
			return i, p.err
		}
		p.written++
		p.woff++
		if p.woff == len(op.Data) {
			p.wop++
			p.woff = 0
			p.skipTo()
			p.cond.Broadcast()
		}
	}
	return len(b), nil
}

// Read returns recorded read bytes once the writes before them have happened.
func (p *Playback) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		switch {
		case p.closed:
			return 0, io.EOF
		case p.err != nil:
			return 0, p.err
		case p.rop < len(p.ops) && p.rop < p.wop:
			op := p.ops[p.rop]
			n := copy(b, op.Data[p.roff:])
			p.roff += n
			if p.roff == len(op.Data) {
				p.rop++
				p.roff = 0
				p.skipTo()
			}
			return n, nil
		}
		p.cond.Wait()
	}
}

// Close ends the playback: a blocked Read returns io.EOF.
func (p *Playback) Close() error {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	return nil
}

// Finished returns nil if every recorded op was replayed without a difference, or the
// first difference, or what was left over.
func (p *Playback) Finished() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.err != nil:
		return p.err
	case p.wop < len(p.ops):
		return fmt.Errorf("hosttest: playback: the session ended before op %d (%v)", p.wop, p.ops[p.wop])
	case p.rop < len(p.ops):
		return fmt.Errorf("hosttest: playback: op %d (%v) was never read", p.rop, p.ops[p.rop])
	}
	return nil
}
