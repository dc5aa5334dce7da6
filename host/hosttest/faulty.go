package hosttest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// ErrCablePulled is what a Faulty port returns once it has disconnected.
var ErrCablePulled = errors.New("hosttest: cable pulled (simulated disconnect)")

// Faults sets how a Faulty port damages what is written through it. Rates are
// probabilities in [0, 1]: per bit, per byte or per frame as named.
type Faults struct {
	Seed uint64 // seeds every random choice

	BitErrorRate  float64 // each bit flipped with this probability
	DropByteRate  float64 // each byte dropped
	DupByteRate   float64 // each byte written twice
	DropFrameRate float64 // a whole frame, delimiter included, never arrives
	DupFrameRate  float64 // a frame arrives twice
	// TruncateFrameRate: a frame loses a random tail before its delimiter.
	TruncateFrameRate float64
	// DelayFrameRate: the stream stalls for Delay before a frame.
	DelayFrameRate float64
	Delay          time.Duration
	// DisconnectAfterFrames > 0: the cable is pulled when that many frames have been
	// written; DisconnectRate: it is pulled before any frame with this probability.
	DisconnectAfterFrames int
	DisconnectRate        float64
}

// FaultStats counts the faults a Faulty port injected.
type FaultStats struct {
	Frames, BitsFlipped, BytesDropped, BytesDuplicated              int64
	FramesDropped, FramesDuplicated, FramesTruncated, FramesDelayed int64
	Disconnected                                                    bool
}

func (s FaultStats) String() string {
	return fmt.Sprintf("%d frames: %d bits flipped, %d/%d bytes dropped/duplicated, %d/%d/%d/%d frames dropped/duplicated/truncated/delayed, disconnected %v",
		s.Frames, s.BitsFlipped, s.BytesDropped, s.BytesDuplicated, s.FramesDropped, s.FramesDuplicated, s.FramesTruncated, s.FramesDelayed, s.Disconnected)
}

// Faulty wraps a port and damages the bytes written through it as Faults says; reads
// pass through untouched (wrap both ends of a link to damage both directions). Once
// disconnected, reads and writes fail with ErrCablePulled and the wrapped port is
// closed if it is an io.Closer. After Silence, writes are swallowed and reads never
// return data: a peer that stopped answering.
type Faulty struct {
	port io.ReadWriter
	f    Faults

	wmu       sync.Mutex // one Write at a time
	mu        sync.Mutex // guards what follows
	rng       *rand.Rand
	pending   []byte // written bytes not yet ending in a delimiter
	out       []byte
	untilFlip int64 // bits until the next flipped bit
	stats     FaultStats
	pulled    atomic.Bool
	silent    atomic.Bool
	closeOnce sync.Once
}

// NewFaulty wraps port. It panics if a rate is outside [0, 1] (a test's mistake).
func NewFaulty(port io.ReadWriter, f Faults) *Faulty {
	for _, r := range []float64{f.BitErrorRate, f.DropByteRate, f.DupByteRate, f.DropFrameRate, f.DupFrameRate, f.TruncateFrameRate, f.DelayFrameRate, f.DisconnectRate} {
		if r < 0 || r > 1 || math.IsNaN(r) {
			panic(fmt.Sprintf("hosttest: fault rate %v outside [0, 1]", r))
		}
	}
	p := &Faulty{port: port, f: f, rng: rand.New(rand.NewPCG(f.Seed, 0x9e3779b97f4a7c15))}
	p.untilFlip = p.gap()
	return p
}

// gap draws the number of intact bits before the next flipped one (geometric).
func (p *Faulty) gap() int64 {
	if p.f.BitErrorRate <= 0 {
		return math.MaxInt64
	}
	if p.f.BitErrorRate >= 1 {
		return 0
	}
	g := math.Floor(math.Log(1-p.rng.Float64()) / math.Log1p(-p.f.BitErrorRate))
	if g > math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return int64(g)
}

func (p *Faulty) chance(rate float64) bool { return rate > 0 && p.rng.Float64() < rate }

// Write damages and forwards every complete frame in b; a partial frame waits for its
// delimiter. It reports len(b) written unless the cable is pulled.
func (p *Faulty) Write(b []byte) (int, error) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if p.pulled.Load() {
		return 0, ErrCablePulled
	}
	if p.silent.Load() {
		return len(b), nil
	}
	p.mu.Lock()
	p.pending = append(p.pending, b...)
	p.out = p.out[:0]
	var delay time.Duration
	pull := false
	for {
		i := indexZero(p.pending)
		if i < 0 {
			break
		}
		d, ok := p.frame(p.pending[:i+1])
		delay += d
		p.pending = append(p.pending[:0], p.pending[i+1:]...)
		if !ok {
			pull = true
			break
		}
	}
	out := p.out
	p.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if len(out) > 0 && !p.silent.Load() && !p.pulled.Load() {
		if _, err := p.port.Write(out); err != nil {
			return 0, err
		}
	}
	if pull {
		p.Disconnect()
		return 0, ErrCablePulled
	}
	return len(b), nil
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// frame applies the faults to one frame and appends the result to p.out; it returns
// how long the stream stalls before it, and false if the cable is pulled instead.
// Called with p.mu held.
func (p *Faulty) frame(frame []byte) (time.Duration, bool) {
	p.stats.Frames++
	if p.chance(p.f.DisconnectRate) || (p.f.DisconnectAfterFrames > 0 && p.stats.Frames > int64(p.f.DisconnectAfterFrames)) {
		return 0, false
	}
	if p.chance(p.f.DropFrameRate) {
		p.stats.FramesDropped++
		return 0, true
	}
	if p.chance(p.f.TruncateFrameRate) && len(frame) > 1 {
		p.stats.FramesTruncated++
		cut := p.rng.IntN(len(frame) - 1)
		frame = append(frame[:cut], 0)
	}
	copies := 1
	if p.chance(p.f.DupFrameRate) {
		p.stats.FramesDuplicated++
		copies = 2
	}
	var delay time.Duration
	if p.chance(p.f.DelayFrameRate) && p.f.Delay > 0 {
		p.stats.FramesDelayed++
		delay = p.f.Delay
	}
	for range copies {
		for _, c := range frame {
			if p.chance(p.f.DropByteRate) {
				p.stats.BytesDropped++
				continue
			}
			n := 1
			if p.chance(p.f.DupByteRate) {
				p.stats.BytesDuplicated++
				n = 2
			}
			for range n {
				p.out = append(p.out, p.flip(c))
			}
		}
	}
	return delay, true
}

// flip flips the bits of c that the bit error process hits.
func (p *Faulty) flip(c byte) byte {
	for p.untilFlip < 8 {
		c ^= 1 << p.untilFlip
		p.stats.BitsFlipped++
		p.untilFlip += 1 + p.gap()
	}
	p.untilFlip -= 8
	return c
}

// Read reads from the wrapped port.
func (p *Faulty) Read(b []byte) (int, error) {
	for {
		if p.pulled.Load() {
			return 0, ErrCablePulled
		}
		n, err := p.port.Read(b)
		switch {
		case p.pulled.Load():
			return 0, ErrCablePulled
		case p.silent.Load() && err == nil:
			continue // swallowed
		}
		return n, err
	}
}

// Disconnect pulls the cable now.
func (p *Faulty) Disconnect() {
	p.mu.Lock()
	p.stats.Disconnected = true
	p.mu.Unlock()
	p.pulled.Store(true)
	p.closeOnce.Do(func() {
		if c, ok := p.port.(io.Closer); ok {
			_ = c.Close() // so that a Read in progress returns
		}
	})
}

// Silence makes the port stop carrying anything in either direction, without an error:
// the peer seems to have stopped answering.
func (p *Faulty) Silence() { p.silent.Store(true) }

// Stats returns the faults injected so far.
func (p *Faulty) Stats() FaultStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close closes the wrapped port if it is an io.Closer.
func (p *Faulty) Close() error {
	p.closeOnce.Do(func() {
		if c, ok := p.port.(io.Closer); ok {
			_ = c.Close()
		}
	})
	return nil
}
