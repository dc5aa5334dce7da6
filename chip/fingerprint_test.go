package chip_test

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

var updateFingerprint = flag.Bool("update", false, "rewrite testdata/fingerprint.golden")

// The fingerprint pins the chip's results while its loops are optimised: every case
// steps a network with learning on and hashes every state, parameter, weight memory,
// crossbar cell, optimizer moment, counter and the reported output (chip.Digest, plus
// the public counters' totals and the output bits). A speed-up must leave every hash
// unchanged; a change of declared arithmetic regenerates the golden in a commit of its
// own that says why (go test ./chip -run TestFingerprint -update).

type fpCase struct {
	name    string
	workers int
	run     func(t *testing.T, workers int, bus chip.ErrorBusMode) *chip.Chip
}

var (
	mnistOnce sync.Once
	mnistData *tasks.Sequences
	mnistErr  error
)

func mnist1D(t *testing.T) *tasks.Sequences {
	t.Helper()
	mnistOnce.Do(func() { mnistData, mnistErr = tasks.NewMNIST1D() })
	if mnistErr != nil {
		t.Fatal(mnistErr)
	}
	return mnistData
}

// fpMNIST steps the spec's MNIST-1D network (chiptest mapper, Adam, cross-entropy) on
// consecutive training batches, as the bench and the training loop feed it.
func fpMNIST(contexts, steps int, die *chip.Analog) func(t *testing.T, workers int, bus chip.ErrorBusMode) *chip.Chip {
	return func(t *testing.T, workers int, bus chip.ErrorBusMode) *chip.Chip {
		net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
		if err != nil {
			t.Fatal(err)
		}
		p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: contexts})
		if err != nil {
			t.Fatal(err)
		}
		opts := []chip.Option{chip.WithWorkers(workers)}
		if die != nil {
			opts = append(opts, chip.WithAnalog(*die))
		}
		p.Config.ErrorBus = bus
		c, err := chip.New(p, opts...)
		if err != nil {
			t.Fatal(err)
		}
		d := &mnistDriver{data: mnist1D(t), C: contexts, x: make([]float64, contexts), labels: make([]int, contexts)}
		// Start mid-sample at 1 context, so that several samples pass.
		k0 := 0
		if contexts == 1 {
			k0 = 200
		}
		for k := range steps {
			d.at(k0 + k)
			if err := c.SetInput(d.x); err != nil {
				t.Fatal(err)
			}
			if err := c.SetLabels(d.labels); err != nil {
				t.Fatal(err)
			}
			if err := c.Step(); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
}

// layeredNet is a random layered network: an input, three hidden layers of random
// sizes and activations (with skip projections), a linear output, MSE, with the given
// optimizer on weights, biases and τm.
func layeredNet(seed uint64, opt string) *network.Network {
	rng := rand.New(rand.NewPCG(seed, 9))
	acts := []string{"tanh", "sigmoid", "softplus", "relu", "hard_tanh", "tanh"}
	n := &network.Network{Name: "layered", Dt: 0.1, Seed: seed, Errors: network.ErrorsProspective,
		Loss: network.Loss{Kind: network.LossMSE, Beta: 0.3},
		Learning: network.Learning{
			Optimizer: network.Optimizer{Kind: opt, LR: 2e-3, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Weights:   true, Biases: true, TauM: true, TauMMin: 0.1,
		}}
	n.Populations = append(n.Populations, network.Population{Name: "x", Size: 2 + rng.IntN(6), Input: true})
	prev := "x"
	for l := range 3 {
		size := 3 + rng.IntN(20)
		tm, tr := make([]float64, size), make([]float64, size)
		for i := range size {
			tm[i] = 0.2 + rng.Float64()
			tr[i] = 0.1 + rng.Float64()*(tm[i]-0.1)
		}
		name := fmt.Sprintf("h%d", l)
		n.Populations = append(n.Populations, network.Population{Name: name, Size: size,
			Activation: acts[rng.IntN(len(acts))], Bias: l != 1, TauM: tm, TauR: tr, Gamma: 0.25 * float64(l)})
		n.Projections = append(n.Projections, network.Projection{Source: prev, Target: name})
		if l == 2 {
			n.Projections = append(n.Projections, network.Projection{Source: "h0", Target: name})
		}
		prev = name
	}
	out := 1 + rng.IntN(5)
	n.Populations = append(n.Populations, network.Population{Name: "out", Size: out, Activation: "identity",
		Bias: true, Output: true, TauM: rep(out, 0.5), TauR: rep(out, 0.5)})
	n.Projections = append(n.Projections, network.Projection{Source: prev, Target: "out"})
	if err := n.Validate(); err != nil {
		panic(err)
	}
	return n
}

func fpNet(net func() *network.Network, contexts, steps int, amp float64, die *chip.Analog) func(t *testing.T, workers int, bus chip.ErrorBusMode) *chip.Chip {
	return fpNetOpt(net, chiptest.Options{}, contexts, steps, amp, die)
}

func fpNetOpt(net func() *network.Network, opt chiptest.Options, contexts, steps int, amp float64, die *chip.Analog) func(t *testing.T, workers int, bus chip.ErrorBusMode) *chip.Chip {
	return func(t *testing.T, workers int, bus chip.ErrorBusMode) *chip.Chip {
		n := net()
		opt.Contexts = contexts
		p, err := chiptest.Map(n, nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		opts := []chip.Option{chip.WithWorkers(workers)}
		if die != nil {
			opts = append(opts, chip.WithAnalog(*die))
		}
		p.Config.ErrorBus = bus
		c, err := chip.New(p, opts...)
		if err != nil {
			t.Fatal(err)
		}
		drive(t, c, steps, 5, amp, n.Loss.Kind == network.LossCrossEntropy)
		return c
	}
}

func fpCases() []fpCase {
	die := noisyDie
	var cs []fpCase
	add := func(name string, workers int, run func(t *testing.T, workers int, bus chip.ErrorBusMode) *chip.Chip) {
		cs = append(cs, fpCase{name, workers, run})
	}
	add("mnist1d/contexts=100", 1, fpMNIST(100, 300, nil))
	add("mnist1d/contexts=100/workers=2", 2, fpMNIST(100, 300, nil))
	add("mnist1d/contexts=1", 1, fpMNIST(1, 400, nil))
	add("mnist1d/contexts=100/analog", 2, fpMNIST(100, 200, &die))
	add("mnist1d/contexts=1/analog", 1, fpMNIST(1, 400, &die))
	for _, opt := range []string{network.OptimizerMomentum, network.OptimizerSGD, network.OptimizerAdam} {
		for _, seed := range []uint64{1, 2} {
			s := seed
			o := opt
			net := func() *network.Network { return layeredNet(s, o) }
			add(fmt.Sprintf("layered-%s/seed=%d/contexts=7", opt, seed), 1, fpNet(net, 7, 300, 1.5, nil))
			add(fmt.Sprintf("layered-%s/seed=%d/contexts=3/amp=30/analog", opt, seed), 2, fpNet(net, 3, 200, 30, &die))
			add(fmt.Sprintf("layered-%s/seed=%d/contexts=10/weight-exp=1", opt, seed), 1,
				fpNetOpt(net, chiptest.Options{WeightExp: map[int]int{0: 1, 1: 1, 2: 1, 3: 1, 4: 1}}, 10, 200, 1.5, nil))
		}
	}
	for _, v := range variants {
		v := v
		net := func() *network.Network { return smallNet(v.loss, v.opt, v.errors, v.tau, v.gamma) }
		add("small-"+v.name+"/contexts=5", 1, fpNet(net, 5, 250, 1.5, nil))
		// Weight scales that line Σ W r up with u (no rounding of s), as the
		// compiler's may.
		add("small-"+v.name+"/contexts=9/weight-exp=1", 1, fpNetOpt(net, chiptest.Options{WeightExp: map[int]int{0: 1, 1: 1, 3: 1}}, 9, 250, 1.5, nil))
	}
	return cs
}

// fpHash is the fingerprint of c: chip.Digest (every internal array and counter),
// the public counters' totals and the reported output's bits.
func fpHash(c *chip.Chip) string {
	h := chip.Digest(c)
	cs := c.Counters()
	return fmt.Sprintf("%016x %x %v", h, fmtHash(fmt.Sprint(cs.Total.Vars, cs.Total.MACs, cs.Host, c.OutputRaw(nil), c.Steps())), c.Steps())
}

func fmtHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// TestFingerprint: the results of the golden cases are bit for bit those recorded in
// testdata/fingerprint.golden.
func TestFingerprint(t *testing.T) {
	path := filepath.Join("testdata", "fingerprint.golden")
	want := map[string]string{}
	if !*updateFingerprint {
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("%v (run go test ./chip -run TestFingerprint -update to record it)", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			name, hash, ok := strings.Cut(sc.Text(), "\t")
			if ok {
				want[name] = hash
			}
		}
		f.Close()
	}
	var out strings.Builder
	for _, fc := range fpCases() {
		c := fc.run(t, fc.workers, chip.ErrorBusBlock)
		got := fpHash(c)
		c.Close()
		fmt.Fprintf(&out, "%s\t%s\n", fc.name, got)
		if *updateFingerprint {
			continue
		}
		if w, ok := want[fc.name]; !ok {
			t.Errorf("%s: not in %s; run with -update", fc.name, path)
		} else if w != got {
			t.Errorf("%s: fingerprint %s, want %s", fc.name, got, w)
		}
	}
	if *updateFingerprint {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFingerprintParts: every golden case gives its recorded fingerprint on 3 workers
// too, whose parts split the contexts (3, 5, 7, 9, 10, 100: unevenly; 1: two parts
// without any) and the blocks' rows.
func TestFingerprintParts(t *testing.T) {
	want := map[string]string{}
	data, err := os.ReadFile(filepath.Join("testdata", "fingerprint.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, hash, ok := strings.Cut(line, "\t"); ok {
			want[name] = hash
		}
	}
	for _, fc := range fpCases() {
		if raceEnabled && strings.HasPrefix(fc.name, "mnist1d/contexts=100") {
			continue // slow under the race detector; the layered cases run there
		}
		c := fc.run(t, 3, chip.ErrorBusBlock)
		got := fpHash(c)
		c.Close()
		if got != want[fc.name] {
			t.Errorf("%s on 3 workers: fingerprint %s, want %s", fc.name, got, want[fc.name])
		}
	}
}

// TestFingerprintStatic: with Config.ErrorBus = ErrorBusStatic every golden case gives
// the fingerprint the chip gave before the block error bus (testdata/
// fingerprint-static.golden, recorded then and never regenerated); the cases alternate between 1 and 2 workers.
func TestFingerprintStatic(t *testing.T) {
	want := map[string]string{}
	data, err := os.ReadFile(filepath.Join("testdata", "fingerprint-static.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, hash, ok := strings.Cut(line, "\t"); ok {
			want[name] = hash
		}
	}
	for i, fc := range fpCases() {
		workers := 1 + i%2
		if raceEnabled && strings.HasPrefix(fc.name, "mnist1d/contexts=100") {
			continue
		}
		c := fc.run(t, workers, chip.ErrorBusStatic)
		got := fpHash(c)
		c.Close()
		if got != want[fc.name] {
			t.Errorf("%s (static bus, %d workers): fingerprint %s, want %s", fc.name, workers, got, want[fc.name])
		}
	}
}
