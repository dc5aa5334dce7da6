package chip_test

import (
	"errors"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/network"
)

var noisyDie = chip.Analog{Seed: 11, TauMSigma: 0.05, TauRSigma: 0.03, GainSigma: 0.05, OffsetSigma: 0.01,
	WeightWriteSigma: 0.7, UNoiseSigma: 1e-3, WeightBits: 12}

// TestSnapshotRestoreContinue: snapshot → restore → continue equals an uninterrupted
// run, bit for bit, for every variant, on an ideal and on a noisy die.
func TestSnapshotRestoreContinue(t *testing.T) {
	for _, v := range variants {
		for _, die := range []struct {
			name string
			a    chip.Analog
		}{{"ideal", chip.Analog{}}, {"noisy", noisyDie}} {
			t.Run(v.name+"/"+die.name, func(t *testing.T) {
				p := mapSmall(t, v, 2, chiptest.Options{})
				ce := v.loss == network.LossCrossEntropy
				a, err := chip.New(p, chip.WithAnalog(die.a))
				if err != nil {
					t.Fatal(err)
				}
				drive(t, a, 40, 1, 1.2, ce)
				snap, err := a.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				b, err := chip.Restore(snap)
				if err != nil {
					t.Fatal(err)
				}
				if chip.Digest(a) != chip.Digest(b) {
					t.Fatal("the restored chip differs from the snapshotted one")
				}
				again, err := b.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				if string(again) != string(snap) {
					t.Error("a snapshot of the restored chip differs from the snapshot it was restored from")
				}
				drive(t, a, 40, 2, 1.2, ce)
				drive(t, b, 40, 2, 1.2, ce)
				if chip.Digest(a) != chip.Digest(b) {
					t.Fatal("after 40 more steps the restored chip differs from the uninterrupted one")
				}
				if a.Counters().Steps != 80 || b.Counters().Steps != 80 {
					t.Errorf("steps %d and %d, want 80", a.Counters().Steps, b.Counters().Steps)
				}
			})
		}
	}
}

func TestRestoreRefusesCorruption(t *testing.T) {
	p := mapSmall(t, variants[0], 1, chiptest.Options{})
	c, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	drive(t, c, 5, 1, 1, true)
	snap, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"flipped bit", func(b []byte) []byte { b[len(b)/2] ^= 4; return b }, "CRC mismatch"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-9] }, "CRC mismatch"},
		{"not a snapshot", func(b []byte) []byte { return []byte("hello, world") }, `it does not start with "GLEMUSNP"`},
		{"empty", func(b []byte) []byte { return nil }, `it does not start with "GLEMUSNP"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.edit(append([]byte(nil), snap...))
			_, err := chip.Restore(b)
			if !errors.Is(err, chip.ErrSnapshot) {
				t.Fatalf("got %v, want an ErrSnapshot", err)
			}
			if !contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// FuzzRestore: arbitrary bytes (with a valid checksum, so that the decoder itself is
// exercised) never panic; a valid snapshot restores.
func FuzzRestore(f *testing.F) {
	p := mapSmall(f, variants[1], 1, chiptest.Options{})
	c, err := chip.New(p)
	if err != nil {
		f.Fatal(err)
	}
	snap, _ := c.Snapshot()
	f.Add(snap, uint16(0), byte(0))
	f.Add(snap, uint16(100), byte(1))
	f.Add([]byte("GLEMUSNP\x01\x00\x00\x00\x02{}"), uint16(3), byte(9))
	f.Fuzz(func(t *testing.T, data []byte, at uint16, x byte) {
		b := append([]byte(nil), data...)
		if len(b) > 12 {
			b[int(at)%(len(b)-4)] ^= x
			b = chip.Reseal(b)
		}
		if c, err := chip.Restore(b); err == nil {
			c.Step()
		}
	})
}
