package host_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/firmware-sim"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/network"
)

// tinyProgram maps testdata/tiny.net.json (3 inputs, 6 tanh, 2 outputs, MSE, Adam) onto
// a chip with C contexts.
func tinyProgram(t testing.TB, contexts int) *chip.Program {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "tiny.net.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	net, err := network.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: contexts})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waves is a seeded source: inputs are noisy sines per context, targets a fixed
// mixture of them, present on most steps and absent (inference) on some.
func waves(seed uint64) host.SourceFunc {
	rng := rand.New(rand.NewPCG(seed, 1))
	return func(k int, in *host.Input) error {
		for i := range in.X {
			in.X[i] = 0.8*float64((k/(7+i))%5-2)/2 + 0.1*rng.NormFloat64()
		}
		c := len(in.X) / 3
		for j := range c {
			x := in.X[3*j : 3*j+3]
			in.Y[2*j] = 0.5*x[0] - 0.3*x[1]
			in.Y[2*j+1] = 0.2*x[2] + 0.1
		}
		switch {
		case k%50 == 49:
			in.Target = host.TargetNone
		case k%10 == 3:
			in.Target = host.TargetHold
		default:
			in.Target = host.TargetValues
		}
		return nil
	}
}

// result is everything a run leaves that must be bit-identical on every backend.
type result struct {
	out      []float64
	raw      []int64
	weights  [][]int64
	crossbar [][]int64
	u        []int64
	counters chip.Counters
	steps    uint64
}

// train loads p on d and runs it for steps steps from waves(seed), collecting the
// outputs, then reads weights, crossbars, a state and the counters.
func train(t testing.TB, ctx context.Context, d *host.Device, p *chip.Program, steps int, seed uint64) *result {
	t.Helper()
	if err := d.Load(ctx, p); err != nil {
		t.Fatal(err)
	}
	return more(t, ctx, d, p, steps, 0, seed)
}

// more runs steps more steps (the source's steps from..from+steps−1) and collects.
func more(t testing.TB, ctx context.Context, d *host.Device, p *chip.Program, steps, from int, seed uint64) *result {
	t.Helper()
	r := &result{}
	src := waves(seed)
	for k := range from {
		src(k, &host.Input{X: make([]float64, 3*p.Contexts), Y: make([]float64, 2*p.Contexts)})
	}
	err := d.Run(ctx, steps, host.SourceFunc(func(k int, in *host.Input) error { return src(from+k, in) }), func(k int, o *host.Output) error {
		r.out = append(r.out, o.Values...)
		r.raw = append(r.raw, o.Raw...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.collect(t, ctx, d, p)
	return r
}

func (r *result) collect(t testing.TB, ctx context.Context, d *host.Device, p *chip.Program) {
	t.Helper()
	for i := range p.Projections {
		w, err := d.WeightsRaw(ctx, i, nil)
		if err != nil {
			t.Fatal(err)
		}
		x, err := d.CrossbarRaw(ctx, i, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.weights, r.crossbar = append(r.weights, w), append(r.crossbar, x)
	}
	var err error
	if r.u, err = d.StateRaw(ctx, 1, "u", nil); err != nil {
		t.Fatal(err)
	}
	if r.counters, err = d.Counters(ctx); err != nil {
		t.Fatal(err)
	}
	r.steps = d.Steps()
}

// startSim serves a firmware simulator on a pty for the test's duration.
func startSim(t testing.TB, cfg firmwaresim.Config) *firmwaresim.Sim {
	t.Helper()
	s, err := firmwaresim.StartPty(cfg)
	if err != nil {
		t.Skipf("no firmware simulator on a pty here: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
