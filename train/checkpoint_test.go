package train

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

// smallRun is MNIST-1D's network of width 6 on the first 30 training and 12 test
// samples (full length, 360 steps) with 8 contexts, so both sets end in a padded batch.
// The plateau schedule is made eager (threshold 0.5, patience 0) so that its state and
// the learning rate change during the run and must survive a resume.
func smallRun(t testing.TB, data *tasks.Sequences) Config {
	t.Helper()
	nw, err := tasks.MNIST1DNetwork(6, 3)
	if err != nil {
		t.Fatal(err)
	}
	nw.Learning.Plateau.Threshold, nw.Learning.Plateau.Patience = 0.5, 0
	nw.Learning.Optimizer.LR = 3e-3
	return Config{Task: "mnist1d", Net: nw, Data: data, Backend: "float", Seed: 5, Contexts: 8}
}

var mnist1dData *tasks.Sequences

func smallData(t testing.TB) *tasks.Sequences {
	t.Helper()
	if mnist1dData == nil {
		d, err := tasks.NewMNIST1D()
		if err != nil {
			t.Fatal(err)
		}
		mnist1dData = d
	}
	return mnist1dData.Head(30, 12)
}

// sameEpochs compares everything but the wall-clock figures, bit for bit.
func sameEpochs(a, b []Epoch) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d and %d epochs", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		x.Seconds, x.StepsPerSecond, y.Seconds, y.StepsPerSecond = 0, 0, 0, 0
		if x != y || math.Float64bits(x.Test.Loss) != math.Float64bits(y.Test.Loss) || math.Float64bits(x.Train.Loss) != math.Float64bits(y.Train.Loss) {
			return fmt.Errorf("epoch %d: %+v, %+v", i+1, x, y)
		}
	}
	return nil
}

// TestResumeIsBitExact: 4 epochs in one go equal 2 epochs, a checkpoint, and 2 more
// epochs resumed from it in a fresh Run: every recorded figure, the learning rate, the
// plateau state, every parameter and the whole backend state, bit for bit.
func TestResumeIsBitExact(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) { testResumeIsBitExact(t, backend) })
	}
}

func testResumeIsBitExact(t *testing.T, backend string) {
	data := smallData(t)
	cfg := smallRun(t, data)
	cfg.Backend = backend
	dirA, dirB := t.TempDir(), t.TempDir()
	whole, err := NewRun(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	for range 4 {
		if _, err := whole.EpochTo(dirA, nil); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := NewRun(cfg)
	defer first.Close()
	for range 2 {
		if _, err := first.EpochTo(dirB, nil); err != nil {
			t.Fatal(err)
		}
	}
	ck, err := ReadCheckpoint(dirB)
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := Resume(cfg, ck, dirB, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	for range 2 {
		if _, err := resumed.EpochTo(dirB, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := sameEpochs(whole.History, resumed.History); err != nil {
		t.Error(err)
	}
	lrs := map[float64]bool{}
	for _, e := range whole.History {
		lrs[e.LR] = true
	}
	if len(lrs) < 2 {
		t.Errorf("the learning rate never changed (%v); the plateau state is not exercised", lrs)
	}
	a, _ := os.ReadFile(filepath.Join(dirA, CheckpointFile))
	b, _ := os.ReadFile(filepath.Join(dirB, CheckpointFile))
	ca, _ := ParseCheckpoint(a)
	cb, _ := ParseCheckpoint(b)
	if !bytes.Equal(ca.State, cb.State) || ca.Record.LR != cb.Record.LR || *ca.Record.Plateau != *cb.Record.Plateau {
		t.Error("the final backend states, learning rates or plateau states differ")
	}
	ta, _ := os.ReadFile(filepath.Join(dirA, TrainedFile))
	tb, _ := os.ReadFile(filepath.Join(dirB, TrainedFile))
	if !bytes.Equal(ta, tb) {
		t.Error("the trained networks differ")
	}

	// The checkpoint reproduces the last epoch's test figures.
	m, err := EvaluateCheckpoint(ca, data, dirA, ChipOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if last := whole.History[3].Test; m != last {
		t.Errorf("EvaluateCheckpoint %+v, the run recorded %+v", m, last)
	}
	// The trained network's file holds the learned parameters exactly.
	trained, err := network.Load(filepath.Join(dirA, TrainedFile))
	if err != nil {
		t.Fatal(err)
	}
	p, err := trained.InitParams()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(p) != fmt.Sprint(whole.Classifier.Backend.Params()) {
		t.Error("the trained network file does not give the learned parameters")
	}
	if _, err := EvaluateNetwork(backend, trained, data, 8, ChipOptions{}, nil); err != nil {
		t.Error(err)
	}
}

func TestResumeRefusesAnotherRun(t *testing.T) {
	data := smallData(t)
	cfg := smallRun(t, data)
	dir := t.TempDir()
	r, _ := NewRun(cfg)
	if _, err := r.EpochTo(dir, nil); err != nil {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := tasks.MNIST1DNetwork(7, 3)
	sameName := smallRun(t, data).Net
	sameName.Learning.Optimizer.LR = 1e-3
	cases := []struct {
		edit func(c *Config)
		want string
	}{
		{func(c *Config) { c.Net = other }, `train: checkpoint D is of network "mnist1d-gle-w6" with 292 parameters, not of the one asked for, "mnist1d-gle-w7" with 374 parameters; resume with the task, network and flags it was trained with`},
		{func(c *Config) { c.Net = sameName }, `train: checkpoint D is of network "mnist1d-gle-w6" with 292 parameters, not of the one asked for, "mnist1d-gle-w6" with 292 parameters (the same name, other settings); resume with the task, network and flags it was trained with`},
		{func(c *Config) { c.Seed = 6 }, `train: checkpoint D ran with seed 5, not 6; resume it with --seed 5`},
		{func(c *Config) { c.Contexts = 9 }, `train: checkpoint D ran 8 contexts, not 9; resume it with --contexts 8`},
		{func(c *Config) { c.Task = "other" }, `train: checkpoint D is of task "mnist1d", not "other"; resume it with --task mnist1d`},
		{func(c *Config) { c.Backend = "chip" }, `train: checkpoint D ran on the float backend, not chip; resume it with --backend float`},
		{func(c *Config) { c.Data = data.Head(29, 12) }, `train: checkpoint D trained on mnist1d with 30+12 samples of 360 steps, not mnist1d with 29+12 of 360; resume it on the same data`},
	}
	for i, c := range cases {
		cfg := smallRun(t, data)
		c.edit(&cfg)
		_, err := Resume(cfg, ck, "D", nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("case %d: %v\nwant %s", i, err, c.want)
		}
	}
	// A record whose test loss the state does not reproduce.
	bad := *ck
	bad.Record.History = append([]Epoch(nil), ck.Record.History...)
	bad.Record.History[0].Test.Loss += 1e-12
	if _, err := Resume(cfg, &bad, "D", nil); err == nil || !strings.Contains(err.Error(), "replaying epoch 1's test pass gives loss") {
		t.Errorf("a record the state does not reproduce: %v", err)
	}
}

func TestCheckpointCodec(t *testing.T) {
	nw := tinyNet(3)
	p := NewPlateau(&network.Plateau{Factor: 0.5, Patience: 2})
	ck := &Checkpoint{Network: nw, State: []byte{1, 2, 3},
		Record: Record{Task: "t", Backend: "float", Seed: 1, Contexts: 2, Data: "d", TrainSamples: 3, TestSamples: 4, Length: 5, LR: 0.25, Plateau: p,
			History: []Epoch{{Epoch: 1, LR: 0.5, NextLR: 0.25, Test: Metrics{Loss: 0.1, Accuracy: 0.5, Samples: 4, Correct: 2}}}}}
	buf, err := AppendCheckpoint([]byte("prefix"), ck)
	if err != nil {
		t.Fatal(err)
	}
	buf = buf[len("prefix"):]
	back, err := ParseCheckpoint(buf)
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := back.Record, ck.Record
	r1.Plateau, r2.Plateau = nil, nil
	if fmt.Sprint(r1) != fmt.Sprint(r2) || *back.Record.Plateau != *ck.Record.Plateau || !bytes.Equal(back.State, ck.State) || back.Network.Name != "tiny" || !math.IsInf(back.Record.Plateau.Best, 1) {
		t.Errorf("round trip: %+v", back)
	}
	again, _ := AppendCheckpoint(nil, back)
	if !bytes.Equal(again, buf) {
		t.Error("re-encoding differs")
	}

	withCRC := func(b []byte) []byte {
		b = append([]byte(nil), b...)
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32IEEE(b[:len(b)-4]))
		return b
	}
	version := withCRC(func() []byte { b := append([]byte(nil), buf...); b[8] = 2; return b }())
	trailing := func() []byte {
		b := append([]byte(nil), buf[:len(buf)-4]...)
		b = append(b, 0)
		return withCRC(append(b, 0, 0, 0, 0))
	}()
	noHistory := *ck
	noHistory.Record.History = nil
	empty, _ := AppendCheckpoint(nil, &noHistory)
	cases := []struct {
		buf  []byte
		want string
	}{
		{[]byte("GLECKPT\x00xxxxxxxxxxxx"), "train: bad checkpoint: not a glemu training checkpoint (wrong magic bytes)"},
		{buf[:len(buf)-1], "train: bad checkpoint: checksum"},
		{version, "train: bad checkpoint: format version 2, this glemu reads 1"},
		{trailing, "train: bad checkpoint: 1 bytes after the end"},
		{empty, "train: bad checkpoint: its run record has 0 epochs, 2 contexts, 3+4 samples of 5; every one must be ≥ 1"},
	}
	for i, c := range cases {
		_, err := ParseCheckpoint(c.buf)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || !errors.Is(err, ErrCheckpoint) {
			t.Errorf("case %d: %v, want %s", i, err, c.want)
		}
	}
	if _, err := ReadCheckpoint(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no checkpoint in") {
		t.Errorf("missing checkpoint: %v", err)
	}
}

// FuzzParseCheckpoint: ParseCheckpoint never panics, and what it accepts re-encodes to
// the same bytes.
func FuzzParseCheckpoint(f *testing.F) {
	ck := &Checkpoint{Network: tinyNet(2), State: []byte{9},
		Record: Record{Task: "t", Backend: "float", Contexts: 1, Data: "d", TrainSamples: 1, TestSamples: 1, Length: 1, History: []Epoch{{Epoch: 1}}}}
	buf, err := AppendCheckpoint(nil, ck)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(buf)
	f.Add(buf[:20])
	f.Add([]byte("GLEMUTRN\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCheckpoint(b)
		if err != nil {
			return
		}
		again, err := AppendCheckpoint(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseCheckpoint(again); err != nil {
			t.Fatalf("re-encoded checkpoint does not parse: %v", err)
		}
	})
}

func TestPlateauJSON(t *testing.T) {
	for _, p := range []Plateau{{Factor: 0.5, Patience: 2, Threshold: 1e-4, Best: math.Inf(1)}, {Factor: 0.1, Patience: 0, Threshold: 0, Best: 1.0000000000000002, Bad: 3}} {
		rec := Record{Plateau: &p}
		buf, err := AppendCheckpoint(nil, &Checkpoint{Network: tinyNet(2), Record: Record{Plateau: &p, Contexts: 1, Length: 1, TrainSamples: 1, TestSamples: 1, History: []Epoch{{}}}})
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseCheckpoint(buf)
		if err != nil {
			t.Fatal(err)
		}
		if *back.Record.Plateau != *rec.Plateau {
			t.Errorf("%+v came back as %+v", p, *back.Record.Plateau)
		}
	}
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
