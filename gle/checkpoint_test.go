package gle

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/glemu/glemu/network"
)

// learningNet: a 1→4→3 net with a recurrent projection, biases, τm learning, Adam and a
// plateau schedule: every kind of state a checkpoint must carry.
func learningNet() *network.Network {
	nw := chainNet([]int{1, 4, 3}, "tanh", []float64{1, 1.2}, []float64{0.2, 1.2}, 0.2)
	nw.Populations[1].Bias = true
	nw.Populations[2].Bias = true
	nw.Populations[1].Gamma = 0.5
	nw.Projections = append(nw.Projections, network.Projection{Source: "l0", Target: "l0"})
	nw.Loss = network.Loss{Kind: network.LossCrossEntropy, Beta: 1}
	nw.Learning = network.Learning{
		Optimizer: network.Optimizer{Kind: network.OptimizerAdam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		Weights:   true, Biases: true, TauM: true, TauMMin: 0.2,
		Plateau: &network.Plateau{Factor: 0.5, Patience: 0, Threshold: 1e-4},
	}
	return nw
}

func drive(t testing.TB, n *Net, from, steps int) {
	t.Helper()
	x := make([]float64, n.Contexts)
	labels := make([]int, n.Contexts)
	for k := from; k < from+steps; k++ {
		for c := range x {
			x[c] = math.Sin(0.1*float64(k) + float64(c))
			labels[c] = (k/20 + c) % 3
		}
		if err := n.StepLabels(x, labels); err != nil {
			t.Fatal(err)
		}
		if k%25 == 24 {
			n.EndEpoch(float64((k / 25) % 3)) // exercise the schedule
		}
	}
}

func snapshot(t testing.TB, n *Net) []byte {
	t.Helper()
	b, err := n.AppendCheckpoint(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckpointResumesBitForBit(t *testing.T) {
	const N, M = 137, 211
	a := mustNew(t, learningNet(), 3)
	drive(t, a, 0, N)
	ckpt, err := a.AppendCheckpoint(nil, []byte("stream at 137"))
	if err != nil {
		t.Fatal(err)
	}
	drive(t, a, N, M)

	b := mustNew(t, learningNet(), 3)
	blob, err := b.Restore(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if string(blob) != "stream at 137" {
		t.Errorf("blob %q", blob)
	}
	drive(t, b, N, M)
	if !bytes.Equal(snapshot(t, a), snapshot(t, b)) {
		t.Fatal("resumed run differs from the uninterrupted one")
	}
	if a.LR == 0.01 || a.Plateau.Epochs == 0 {
		t.Errorf("the schedule never acted (lr %v, %+v); the test does not exercise it", a.LR, *a.Plateau)
	}
}

func TestRestoreRejects(t *testing.T) {
	a := mustNew(t, learningNet(), 3)
	drive(t, a, 0, 10)
	ckpt := snapshot(t, a)
	other := learningNet()
	other.Seed = 4
	cases := []struct {
		name string
		into *Net
		buf  []byte
		want string
	}{
		{"magic", mustNew(t, learningNet(), 3), []byte("PNG"), "gle: bad checkpoint: not a glemu checkpoint (wrong magic bytes)"},
		{"truncated", mustNew(t, learningNet(), 3), ckpt[:len(ckpt)-3], "gle: bad checkpoint: it ends inside the blob; the file is truncated"},
		{"contexts", mustNew(t, learningNet(), 2), ckpt, "gle: bad checkpoint: it has 3 contexts, this Net 2"},
		{"network", mustNew(t, other, 3), ckpt, "gle: bad checkpoint: it is of another network; restore it into a Net of the network it was saved from"},
		{"trailing", mustNew(t, learningNet(), 3), append(append([]byte{}, ckpt...), 0), "gle: bad checkpoint: 1 bytes after the end"},
	}
	for _, c := range cases {
		before := snapshot(t, c.into)
		_, err := c.into.Restore(c.buf)
		if err == nil || err.Error() != c.want || !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
		if !bytes.Equal(before, snapshot(t, c.into)) {
			t.Errorf("%s: a failed Restore changed the Net", c.name)
		}
	}
}

func FuzzRestore(f *testing.F) {
	a := mustNew(f, learningNet(), 2)
	drive(f, a, 0, 5)
	ck, _ := a.AppendCheckpoint(nil, []byte{1, 2})
	f.Add(ck)
	f.Add(ck[:40])
	f.Fuzz(func(t *testing.T, data []byte) {
		n := mustNew(t, learningNet(), 2)
		if _, err := n.Restore(data); err != nil {
			return
		}
		// Whatever restores re-encodes to the same bytes.
		again, _ := n.AppendCheckpoint(nil, nil)
		m := mustNew(t, learningNet(), 2)
		if _, err := m.Restore(again); err != nil {
			t.Fatal(err)
		}
	})
}
