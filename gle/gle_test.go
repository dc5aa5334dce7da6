package gle

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/glemu/glemu/network"
)

// chainNet builds x → l0 → … → out with the given sizes, one activation and per-layer
// uniform τm, τr.
func chainNet(sizes []int, act string, tauM, tauR []float64, dt float64) *network.Network {
	n := &network.Network{Dt: dt, Seed: 3, Errors: network.ErrorsProspective,
		Loss: network.Loss{Kind: network.LossMSE, Beta: 1}}
	n.Populations = append(n.Populations, network.Population{Name: "x", Size: sizes[0], Input: true})
	for l := 1; l < len(sizes); l++ {
		p := network.Population{Name: "l" + string(rune('0'+l-1)), Size: sizes[l], Activation: act,
			TauM: fill(sizes[l], tauM[l-1]), TauR: fill(sizes[l], tauR[l-1])}
		p.Output = l == len(sizes)-1
		n.Populations = append(n.Populations, p)
		n.Projections = append(n.Projections, network.Projection{Source: n.Populations[l-1].Name, Target: p.Name})
	}
	return n
}

func fill(k int, v float64) []float64 {
	s := make([]float64, k)
	for i := range s {
		s[i] = v
	}
	return s
}

func mustNew(t testing.TB, nw *network.Network, contexts int) *Net {
	t.Helper()
	n, err := New(nw, nil, contexts)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLEUnitsHaveNoLagBeyondThePipeline: with τr = τm, ŭ = u + τm·(s − u)/τm = s, the
// instantaneous input drive, whatever u is; so a chain of identity LE layers reports
// W₁W₀x_{k−2} at step k: no low-pass, only one step of delay per weight layer.
func TestLEUnitsHaveNoLagBeyondThePipeline(t *testing.T) {
	nw := chainNet([]int{1, 3, 2}, "identity", []float64{0.7, 1.3}, []float64{0.7, 1.3}, 0.1)
	n := mustNew(t, nw, 1)
	w0, w1 := n.Projections[0].W, n.Projections[1].W
	xs := make([]float64, 60)
	for k := range xs {
		xs[k] = math.Sin(0.3*float64(k)) + 0.5*math.Cos(1.7*float64(k))
	}
	for k, x := range xs {
		// The drive s of layer 0 this step is W₀·x_k; of layer 1, W₁·r₀ (committed).
		r0 := append([]float64(nil), n.Populations[1].R...)
		if err := n.Step([]float64{x}, nil); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if d := math.Abs(n.Populations[1].UBreve[i] - w0[i]*x); d > 1e-14 {
				t.Fatalf("step %d: layer 0 ŭ[%d] − s = %g", k, i, d)
			}
		}
		for i := range 2 {
			s := 0.0
			for j := range 3 {
				s += w1[i*3+j] * r0[j]
			}
			if d := math.Abs(n.Populations[2].UBreve[i] - s); d > 1e-14 {
				t.Fatalf("step %d: layer 1 ŭ[%d] − s = %g", k, i, d)
			}
		}
		if k >= 2 {
			for i := range 2 {
				want := 0.0
				for j := range 3 {
					want += w1[i*3+j] * w0[j] * xs[k-2]
				}
				if d := math.Abs(n.Out[i] - want); d > 1e-13 {
					t.Fatalf("step %d: out[%d] = %v, want W₁W₀x_{k−2} = %v", k, i, n.Out[i], want)
				}
			}
		}
	}
}

// TestLIUnitsAreLeakyIntegrators: with τr = dt, ŭ = u + dt·u̇ is the new u, so r = φ(u_k)
// with u_k = (1 − dt/τm)·u_{k−1} + (dt/τm)·s_k exactly: the discrete leaky integrator.
func TestLIUnitsAreLeakyIntegrators(t *testing.T) {
	const dt = 0.2
	nw := chainNet([]int{1, 2}, "tanh", []float64{1.2}, []float64{dt}, dt)
	n := mustNew(t, nw, 1)
	w := n.Projections[0].W
	u := make([]float64, 2)
	a := dt / 1.2
	for k := range 100 {
		x := math.Sin(0.1 * float64(k))
		if err := n.Step([]float64{x}, nil); err != nil {
			t.Fatal(err)
		}
		p := n.Populations[1]
		for i := range 2 {
			if p.UBreve[i] != p.U[i] {
				t.Fatalf("step %d: ŭ %v is not the new u %v", k, p.UBreve[i], p.U[i])
			}
			u[i] = (1-a)*u[i] + a*w[i]*x
			if d := math.Abs(p.U[i] - u[i]); d > 1e-14 {
				t.Fatalf("step %d: u[%d] = %v, leaky integrator gives %v", k, i, p.U[i], u[i])
			}
			if p.R[i] != math.Tanh(p.U[i]) {
				t.Fatalf("step %d: r ≠ φ(u)", k)
			}
		}
	}
}

// TestGraphSplitsLikeAChain: two input populations with one projection each compute
// exactly what one input population of both with one projection does (the graph sum
// over incoming projections), and errors come back split per projection.
func TestGraphSplitsLikeAChain(t *testing.T) {
	one := chainNet([]int{2, 3, 1}, "tanh", []float64{1, 1}, []float64{0.2, 1}, 0.1)
	one.Learning = network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerSGD, LR: 0.01}, Weights: true}
	two := chainNet([]int{1, 3, 1}, "tanh", []float64{1, 1}, []float64{0.2, 1}, 0.1)
	two.Learning = one.Learning
	two.Populations = append([]network.Population{{Name: "x2", Size: 1, Input: true}}, two.Populations...)
	two.Projections = append(two.Projections, network.Projection{Source: "x2", Target: "l0"})
	a := mustNew(t, one, 1)
	pb, _ := two.InitParams()
	for i := range 3 {
		pb.Weights[0][i] = a.Projections[0].W[2*i+1] // x → l0 is the second input column
		pb.Weights[2][i] = a.Projections[0].W[2*i]   // x2 → l0 the first
	}
	copy(pb.Weights[1], a.Projections[1].W)
	b, err := New(two, pb, 1)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 200 {
		x := []float64{math.Sin(0.05 * float64(k)), math.Cos(0.11 * float64(k))}
		y := []float64{0.3 * math.Sin(0.07*float64(k))}
		if err := a.Step(x, y); err != nil {
			t.Fatal(err)
		}
		if err := b.Step(x, y); err != nil { // x2 comes first in file order
			t.Fatal(err)
		}
	}
	if d := math.Abs(a.Out[0] - b.Out[0]); d > 1e-12 {
		t.Errorf("outputs differ by %g", d)
	}
	for i := range 3 {
		if d := math.Abs(a.Projections[0].EBottom[1] - b.Projections[0].EBottom[0]); d > 1e-12 {
			t.Errorf("e_bottom differs by %g", d)
		}
		if d := math.Abs(a.Projections[0].W[2*i] - b.Projections[2].W[i]); d > 1e-12 {
			t.Errorf("learned weights differ by %g", d)
		}
	}
}

// TestOutputLatency: an input reaches the reported output after L steps.
func TestOutputLatency(t *testing.T) {
	nw := chainNet([]int{1, 2, 2, 1}, "identity", []float64{1, 1, 1}, []float64{1, 1, 1}, 0.1)
	n := mustNew(t, nw, 1)
	for k := range 5 {
		x := 0.0
		if k == 0 {
			x = 1
		}
		if err := n.Step([]float64{x}, nil); err != nil {
			t.Fatal(err)
		}
		if (n.Out[0] != 0) != (k == 3) {
			t.Errorf("step %d: out %v; a pulse at step 0 must show at step 3 only", k, n.Out[0])
		}
	}
}

func TestStepErrors(t *testing.T) {
	nw := chainNet([]int{2, 3, 1}, "tanh", []float64{1, 1}, []float64{1, 1}, 0.1)
	n := mustNew(t, nw, 2)
	err := n.Step([]float64{1, 2}, nil)
	if !errors.Is(err, errShape) || err.Error() != "gle: wrong input or target length: input has 2 values, want 2 contexts × 2" {
		t.Errorf("short input: %v", err)
	}
	err = n.Step(make([]float64, 4), []float64{1})
	if err == nil || err.Error() != "gle: wrong input or target length: target has 1 values, want 2 contexts × 1" {
		t.Errorf("short target: %v", err)
	}
	if err := n.StepLabels(make([]float64, 4), []int{0, 1}); err == nil || err.Error() != "gle: label 1 of context 1 is outside 0…0" {
		t.Errorf("bad label: %v", err)
	}
	if _, err := New(nw, nil, 0); err == nil || err.Error() != "gle: 0 contexts; run at least 1" {
		t.Errorf("0 contexts: %v", err)
	}
	bad := *nw
	bad.Dt = 0
	if _, err := New(&bad, nil, 1); err == nil || !strings.HasPrefix(err.Error(), "network: dt 0") {
		t.Errorf("invalid network: %v", err)
	}
}

func TestStepDoesNotAllocate(t *testing.T) {
	nw := mnist1dNet()
	for _, c := range []int{1, 100} {
		n := mustNew(t, nw, c)
		x := make([]float64, c)
		labels := make([]int, c)
		allocs := testing.AllocsPerRun(5, func() {
			if err := n.StepLabels(x, labels); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%d contexts: %v allocations per step", c, allocs)
		}
	}
}

// TestKernelsMatchLoops: the fast kernels (AVX-512 where the CPU has it, else BLAS)
// agree with the plain loops to rounding, on shapes around the AVX-512 kernel's blocks
// (4 rows, 32 columns).
func TestKernelsMatchLoops(t *testing.T) {
	saved := useAVX512
	defer func() { useAVX512 = saved }()
	for _, fast := range []bool{false, saved} {
		useAVX512 = fast
		kernelsMatchLoops(t)
	}
}

func kernelsMatchLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randv := func(k int) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	for _, sh := range [][3]int{{1, 3, 2}, {100, 53, 53}, {7, 64, 10}, {2, 5, 33}, {3, 65, 64}, {4, 1, 1}, {5, 33, 32}, {6, 31, 97}, {13, 10, 53}} {
		c, src, tgt := sh[0], sh[1], sh[2]
		r, w, e := randv(c*src), randv(tgt*src), randv(c*tgt)
		s0 := randv(c * tgt)
		s1 := append([]float64(nil), s0...)
		addRWt(s0, r, w, make([]float64, len(w)), c, src, tgt)
		addRWtLoop(s1, r, w, c, src, tgt)
		b0, b1 := make([]float64, c*src), make([]float64, c*src)
		setEW(b0, e, w, c, tgt, src)
		setEWLoop(b1, e, w, c, tgt, src)
		g0, g1 := make([]float64, tgt*src), make([]float64, tgt*src)
		setEtR(g0, -0.5, e, r, c, tgt, src)
		setEtRLoop(g1, -0.5, e, r, c, tgt, src)
		for _, pair := range [][2][]float64{{s0, s1}, {b0, b1}, {g0, g1}} {
			for i := range pair[0] {
				if d := math.Abs(pair[0][i] - pair[1][i]); d > 1e-12*(1+math.Abs(pair[1][i])) {
					t.Fatalf("shape %v (AVX-512 %v): kernels differ by %g at %d", sh, useAVX512, d, i)
				}
			}
		}
	}
}

func TestOptimizers(t *testing.T) {
	for _, c := range []struct {
		opt  network.Optimizer
		want func(g, prev []float64) float64 // θ after two steps with gradients g from θ=1
	}{
		{network.Optimizer{Kind: network.OptimizerSGD, LR: 0.1}, func(g, _ []float64) float64 { return 1 - 0.1*g[0] - 0.1*g[1] }},
		{network.Optimizer{Kind: network.OptimizerMomentum, LR: 0.1, Momentum: 0.9}, func(g, _ []float64) float64 {
			m1 := g[0]
			m2 := 0.9*m1 + g[1]
			return 1 - 0.1*m1 - 0.1*m2
		}},
		{network.Optimizer{Kind: network.OptimizerAdam, LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, func(g, _ []float64) float64 {
			theta, m, v := 1.0, 0.0, 0.0
			for t, gi := range g {
				m = 0.9*m + 0.1*gi
				v = 0.999*v + 0.001*gi*gi
				mh := m / (1 - math.Pow(0.9, float64(t+1)))
				vh := v / (1 - math.Pow(0.999, float64(t+1)))
				theta -= 0.1 * mh / (math.Sqrt(vh) + 1e-8)
			}
			return theta
		}},
	} {
		n := &Net{opt: c.opt, LR: c.opt.LR}
		theta := []float64{1}
		var m *Moments
		switch c.opt.Kind {
		case network.OptimizerAdam:
			m = &Moments{M: []float64{0}, V: []float64{0}}
		case network.OptimizerMomentum:
			m = &Moments{M: []float64{0}}
		}
		g := []float64{0.5, -0.25}
		for _, gi := range g {
			n.OptimizerSteps++
			n.update(theta, []float64{gi}, m)
		}
		if want := c.want(g, nil); math.Abs(theta[0]-want) > 1e-15 {
			t.Errorf("%s: θ = %v, want %v", c.opt.Kind, theta[0], want)
		}
	}
}

func TestPlateau(t *testing.T) {
	n := &Net{LR: 1, Plateau: &PlateauState{Factor: 0.5, Patience: 2, Threshold: 1e-4, Best: math.Inf(1)}}
	// Epoch losses and whether lr is halved after each.
	losses := []float64{1.0, 0.9, 0.89995, 0.95, 0.9, 0.95, 0.8, 0.8, 0.8, 0.8}
	want := []bool{false, false, false, false, true, false, false, false, false, true}
	for i, l := range losses {
		if got := n.EndEpoch(l); got != want[i] {
			t.Errorf("epoch %d (loss %v): reduced %v, want %v (state %+v)", i+1, l, got, want[i], *n.Plateau)
		}
	}
	if n.LR != 0.25 {
		t.Errorf("lr %v, want 0.25", n.LR)
	}
	if (&Net{LR: 1}).EndEpoch(1) {
		t.Error("EndEpoch without a schedule reduced lr")
	}
}

func TestReadout(t *testing.T) {
	r := NewReadout(2, 3)
	for _, out := range [][]float64{{1, 0, 0, 0, 0, 2}, {0, 0, 3, 0, 0, 1}} {
		if err := r.Add(out, []int{2, 1}); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.Predict(nil); got[0] != 2 || got[1] != 2 {
		t.Errorf("Predict = %v, want [2 2] (summed outputs 1,0,3 and 0,0,3)", got)
	}
	lse := func(v ...float64) float64 { return logSumExp(v) }
	want := ((lse(1, 0, 0) - 0) + (lse(0, 0, 2) - 0) + (lse(0, 0, 3) - 3) + (lse(0, 0, 1) - 0)) / 4
	if math.Abs(r.Loss()-want) > 1e-15 {
		t.Errorf("Loss = %v, want %v", r.Loss(), want)
	}
	if err := r.Add([]float64{1}, []int{0, 0}); err == nil {
		t.Error("short output accepted")
	}
	r.Reset()
	if !math.IsNaN(r.Loss()) {
		t.Error("Loss after Reset is not NaN")
	}
}

func TestResetClearsStateOnly(t *testing.T) {
	nw := chainNet([]int{1, 2, 1}, "tanh", []float64{1, 1}, []float64{0.1, 1}, 0.1)
	nw.Learning = network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerSGD, LR: 0.1}, Weights: true}
	n := mustNew(t, nw, 1)
	for range 10 {
		_ = n.Step([]float64{1}, []float64{0.5})
	}
	w := append([]float64(nil), n.Projections[0].W...)
	n.Reset()
	for _, p := range n.Layers {
		for _, v := range append(append(append([]float64{}, p.U...), p.R...), p.EBreve...) {
			if v != 0 {
				t.Fatal("Reset left a state")
			}
		}
	}
	if !bytes.Equal(f64bytes(w), f64bytes(n.Projections[0].W)) || n.Steps != 10 {
		t.Error("Reset changed parameters or counters")
	}
}

func f64bytes(v []float64) []byte {
	var b []byte
	for _, x := range v {
		bits := math.Float64bits(x)
		for k := range 8 {
			b = append(b, byte(bits>>(8*k)))
		}
	}
	return b
}
