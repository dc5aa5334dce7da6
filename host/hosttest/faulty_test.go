package hosttest_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/glemu/glemu/host/hosttest"
)

// sink is a port that keeps what is written to it.
type sink struct{ bytes.Buffer }

func (s *sink) Read([]byte) (int, error) { return 0, io.EOF }

// frames returns n frames of size bytes each (non-zero bytes and a 0x00 delimiter).
func frames(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		f := bytes.Repeat([]byte{byte(1 + i%255)}, size-1)
		out[i] = append(f, 0)
	}
	return out
}

func run(t *testing.T, f hosttest.Faults, in [][]byte) ([]byte, hosttest.FaultStats) {
	t.Helper()
	s := &sink{}
	p := hosttest.NewFaulty(s, f)
	for _, fr := range in {
		if _, err := p.Write(fr); err != nil {
			t.Fatal(err)
		}
	}
	return s.Bytes(), p.Stats()
}

func TestFaultyRates(t *testing.T) {
	in := frames(2000, 50) // 100,000 bytes, 800,000 bits
	total := bytes.Join(in, nil)
	near := func(what string, got int64, want float64) {
		t.Helper()
		if sigma := math.Sqrt(want); math.Abs(float64(got)-want) > 5*sigma+1 {
			t.Errorf("%s: %d, want about %.0f", what, got, want)
		}
	}
	t.Run("bits", func(t *testing.T) {
		out, st := run(t, hosttest.Faults{Seed: 1, BitErrorRate: 1e-3}, in)
		near("bits flipped", st.BitsFlipped, 800)
		var diff int64
		for i := range out {
			for x := out[i] ^ total[i]; x != 0; x &= x - 1 {
				diff++
			}
		}
		if len(out) != len(total) || diff != st.BitsFlipped {
			t.Errorf("%d bits differ in %d bytes; stats say %d flipped of %d bytes", diff, len(out), st.BitsFlipped, len(total))
		}
	})
	t.Run("drop frames", func(t *testing.T) {
		out, st := run(t, hosttest.Faults{Seed: 2, DropFrameRate: 0.1}, in)
		near("frames dropped", st.FramesDropped, 200)
		if int64(len(out)) != (2000-st.FramesDropped)*50 {
			t.Errorf("%d bytes arrived, want %d", len(out), (2000-st.FramesDropped)*50)
		}
	})
	t.Run("duplicate frames", func(t *testing.T) {
		out, st := run(t, hosttest.Faults{Seed: 3, DupFrameRate: 0.1}, in)
		near("frames duplicated", st.FramesDuplicated, 200)
		if int64(len(out)) != (2000+st.FramesDuplicated)*50 {
			t.Errorf("%d bytes arrived, want %d", len(out), (2000+st.FramesDuplicated)*50)
		}
	})
	t.Run("truncate frames", func(t *testing.T) {
		out, st := run(t, hosttest.Faults{Seed: 4, TruncateFrameRate: 1}, in)
		if st.FramesTruncated != 2000 || bytes.Count(out, []byte{0}) != 2000 || len(out) >= len(total) {
			t.Errorf("%d truncated, %d delimiters, %d of %d bytes", st.FramesTruncated, bytes.Count(out, []byte{0}), len(out), len(total))
		}
	})
	t.Run("bytes", func(t *testing.T) {
		out, st := run(t, hosttest.Faults{Seed: 5, DropByteRate: 0.01, DupByteRate: 0.01}, in)
		near("bytes dropped", st.BytesDropped, 1000)
		near("bytes duplicated", st.BytesDuplicated, 990)
		if int64(len(out)) != 100000-st.BytesDropped+st.BytesDuplicated {
			t.Errorf("%d bytes arrived", len(out))
		}
	})
	t.Run("seeded", func(t *testing.T) {
		f := hosttest.Faults{Seed: 6, BitErrorRate: 1e-3, DropFrameRate: 0.05, DupFrameRate: 0.05}
		a, _ := run(t, f, in)
		b, _ := run(t, f, in)
		f.Seed++
		c, _ := run(t, f, in)
		if !bytes.Equal(a, b) || bytes.Equal(a, c) {
			t.Errorf("same seed gave different bytes, or another seed the same")
		}
	})
}

func TestFaultyPartialFrames(t *testing.T) {
	s := &sink{}
	p := hosttest.NewFaulty(s, hosttest.Faults{})
	p.Write([]byte{1, 2})
	if s.Len() != 0 {
		t.Fatalf("a partial frame went through: % x", s.Bytes())
	}
	p.Write([]byte{3, 0, 4})
	if !bytes.Equal(s.Bytes(), []byte{1, 2, 3, 0}) {
		t.Fatalf("got % x", s.Bytes())
	}
}

func TestFaultyDisconnect(t *testing.T) {
	s := &sink{}
	p := hosttest.NewFaulty(s, hosttest.Faults{DisconnectAfterFrames: 3})
	for i, fr := range frames(3, 4) {
		if _, err := p.Write(fr); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if _, err := p.Write(frames(1, 4)[0]); !errors.Is(err, hosttest.ErrCablePulled) {
		t.Fatalf("4th frame: %v, want ErrCablePulled", err)
	}
	if _, err := p.Read(make([]byte, 1)); !errors.Is(err, hosttest.ErrCablePulled) {
		t.Fatalf("read after the disconnect: %v", err)
	}
	if s.Len() != 12 || !p.Stats().Disconnected {
		t.Fatalf("%d bytes arrived, stats %v", s.Len(), p.Stats())
	}
}

func TestFaultySilence(t *testing.T) {
	s := &sink{}
	p := hosttest.NewFaulty(s, hosttest.Faults{})
	p.Silence()
	if n, err := p.Write([]byte{1, 0}); n != 2 || err != nil || s.Len() != 0 {
		t.Fatalf("write while silent: %d, %v, %d bytes arrived", n, err, s.Len())
	}
}
