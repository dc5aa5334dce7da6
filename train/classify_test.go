package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

func TestEpochOrder(t *testing.T) {
	// Pinned: a change of the shuffle changes every run's data order.
	if got, want := fmt.Sprint(EpochOrder(1, 1, 10)), fmt.Sprint(pinnedOrder); got != want {
		t.Errorf("EpochOrder(1, 1, 10) = %s, want %s", got, want)
	}
	a := EpochOrder(1, 3, 4000)
	if !slices.Equal(a, EpochOrder(1, 3, 4000)) {
		t.Error("same seed and epoch, different orders")
	}
	if slices.Equal(a, EpochOrder(1, 4, 4000)) || slices.Equal(a, EpochOrder(2, 3, 4000)) {
		t.Error("another epoch or seed gives the same order")
	}
	s := slices.Clone(a)
	slices.Sort(s)
	for i, v := range s {
		if v != i {
			t.Fatalf("not a permutation of 0 … 3999: %d at %d", v, i)
		}
	}
	if len(EpochOrder(1, 1, 0)) != 0 || len(EpochOrder(1, 1, -3)) != 0 || EpochOrder(5, 1, 1)[0] != 0 {
		t.Error("empty and single orders")
	}
	// Uniform: over many epochs each sample lands at position 0 about equally often.
	counts := make([]int, 5)
	for e := range 5000 {
		counts[EpochOrder(9, e, 5)[0]]++
	}
	for i, c := range counts {
		if c < 900 || c > 1100 {
			t.Errorf("sample %d first %d times of 5000, want ≈ 1000", i, c)
		}
	}
}

var pinnedOrder = []int{6, 3, 0, 1, 8, 4, 5, 2, 9, 7}

func TestBatches(t *testing.T) {
	for _, c := range []struct{ n, C, want int }{{4000, 100, 40}, {1000, 100, 10}, {10, 4, 3}, {3, 8, 1}, {0, 4, 0}, {5, 0, 0}} {
		if got := Batches(c.n, c.C); got != c.want {
			t.Errorf("Batches(%d, %d) = %d, want %d", c.n, c.C, got, c.want)
		}
	}
}

// recorder is a fake Backend that records what the loop feeds it; its output row is a
// one-hot of the class its input encodes, scaled by 10, so every sample it sees is
// classified right.
type recorder struct {
	C, K   int
	learn  bool
	lr     float64
	xs     [][]float64
	ys     [][]float64
	learns []bool
	out    []float64
}

func (r *recorder) Step(x, y []float64) error {
	r.xs = append(r.xs, slices.Clone(x))
	r.ys = append(r.ys, slices.Clone(y))
	r.learns = append(r.learns, r.learn)
	clear(r.out)
	for c, v := range x {
		r.out[c*r.K+int(v)%r.K] = 10
	}
	return nil
}
func (r *recorder) Output() []float64       { return r.out }
func (r *recorder) Params() *network.Params { return &network.Params{} }
func (r *recorder) SetLearning(on bool)     { r.learn = on }
func (r *recorder) Contexts() int           { return r.C }
func (r *recorder) LR() float64             { return r.lr }
func (r *recorder) SetLR(lr float64)        { r.lr = lr }

// tinyData has n training and m test samples of length T with K classes; value k of
// sample i is 1000·i + 100·k + label, so the fake can read the label and the test can
// read which sample and step was fed.
func tinyData(n, m, T, K int) *tasks.Sequences {
	d := &tasks.Sequences{Name: "tiny", Length: T, Classes: K}
	for i := range n {
		d.TrainY = append(d.TrainY, (3*i+1)%K)
		for k := range T {
			d.TrainX = append(d.TrainX, float64(1000*i+100*k+d.TrainY[i]))
		}
	}
	for i := range m {
		d.TestY = append(d.TestY, (5*i+2)%K)
		for k := range T {
			d.TestX = append(d.TestX, float64(1000*i+100*k+d.TestY[i]))
		}
	}
	return d
}

func tinyNet(K int) *network.Network {
	return &network.Network{Name: "tiny", Dt: 0.2, Errors: network.ErrorsProspective,
		Populations: []network.Population{{Name: "x", Size: 1, Input: true},
			{Name: "out", Size: K, Activation: "identity", Bias: true, TauM: slices.Repeat([]float64{1}, K), TauR: slices.Repeat([]float64{1}, K), Output: true}},
		Projections: []network.Projection{{Source: "x", Target: "out"}},
		Loss:        network.Loss{Kind: network.LossCrossEntropy, Beta: 1}}
}

// TestClassifierFeedsTheSpecsStream: 10 training samples on 4 contexts: 3 batches, the
// last with 2 padding contexts that replay order[0] and order[1]; each sample one point
// per step for T steps with its one-hot label at every step; learning on in training,
// off and without target in the test pass, which runs in order with padding too.
func TestClassifierFeedsTheSpecsStream(t *testing.T) {
	const n, m, T, K, C = 10, 5, 3, 4, 4
	data := tinyData(n, m, T, K)
	r := &recorder{C: C, K: K, out: make([]float64, C*K)}
	cl, err := NewClassifier(r, tinyNet(K), data, 11)
	if err != nil {
		t.Fatal(err)
	}
	e, err := cl.Epoch(nil)
	if err != nil {
		t.Fatal(err)
	}
	order := EpochOrder(11, 1, n)
	if len(r.xs) != (3+2)*T || e.Steps != (3+2)*T || cl.StepsPerEpoch() != 15 {
		t.Fatalf("%d steps (epoch says %d), want 15", len(r.xs), e.Steps)
	}
	for s, x := range r.xs {
		batch, k, train := s/T, s%T, s < 3*T
		for c := range C {
			var want, label int
			if train {
				want = order[(batch*C+c)%n]
				label = data.TrainY[want]
			} else {
				want = ((batch-3)*C + c) % m
				label = data.TestY[want]
			}
			if x[c] != float64(1000*want+100*k+label) {
				t.Fatalf("step %d context %d: fed %v, want sample %d step %d", s, c, x[c], want, k)
			}
			if train {
				row := r.ys[s][c*K : (c+1)*K]
				for i, v := range row {
					if (v == 1) != (i == label) || (v != 0 && v != 1) {
						t.Fatalf("step %d context %d: target %v, want one-hot %d", s, c, row, label)
					}
				}
			}
		}
		if r.learns[s] != train || (!train && r.ys[s] != nil) {
			t.Fatalf("step %d: learning %v, target %v", s, r.learns[s], r.ys[s])
		}
	}
	// Padding never counts: exactly n and m samples, all right (the fake reads labels).
	if e.Train.Samples != n || e.Train.Correct != n || e.Test.Samples != m || e.Test.Correct != m || e.Train.Accuracy != 1 {
		t.Errorf("train %+v, test %+v", e.Train, e.Test)
	}
	// The loss: every step's output is 10 at the label, 0 elsewhere.
	want := math.Log(math.Exp(10)+3) - 10
	if math.Abs(e.Train.Loss-want) > 1e-15 || math.Abs(e.Test.Loss-want) > 1e-15 {
		t.Errorf("losses %v %v, want %v", e.Train.Loss, e.Test.Loss, want)
	}
}

// TestReadoutMatchesGLE: the Classifier's test metrics equal gle.Readout's (the spec's
// readout in the float reference) on the same network and stream.
func TestReadoutMatchesGLE(t *testing.T) {
	const T, K, C = 7, 3, 4
	data := tinyData(4, 8, T, K)
	for i := range data.TestX {
		data.TestX[i] = math.Sin(float64(i)) // something the net's outputs vary with
	}
	nw := tinyNet(K)
	f, err := NewFloat(nw, nil, C)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := NewClassifier(f, nw, data, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cl.Evaluate(nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := gle.New(nw, nil, C)
	ro := gle.NewReadout(C, K)
	correct := 0
	x, labels, pred := make([]float64, C), make([]int, C), make([]int, C)
	for b := range 2 {
		ro.ResetSample()
		for c := range C {
			labels[c] = data.TestY[b*C+c]
		}
		for k := range T {
			for c := range C {
				x[c] = data.TestX[(b*C+c)*T+k]
			}
			if err := ref.Step(x, nil); err != nil {
				t.Fatal(err)
			}
			if err := ro.Add(ref.Out, labels); err != nil {
				t.Fatal(err)
			}
		}
		for c, p := range ro.Predict(pred) {
			if p == labels[c] {
				correct++
			}
		}
	}
	if got.Correct != correct || math.Abs(got.Loss-ro.Loss()) > 1e-15 || got.Samples != 8 {
		t.Errorf("classifier %+v; gle readout: %d right, loss %v", got, correct, ro.Loss())
	}
}

// TestPlateauMatchesGLE: the loop's schedule and gle's EndEpoch agree on random losses.
func TestPlateauMatchesGLE(t *testing.T) {
	nw := tinyNet(2)
	nw.Learning = network.Learning{Optimizer: network.Optimizer{Kind: network.OptimizerSGD, LR: 1e-3}, Weights: true,
		Plateau: &network.Plateau{Factor: 0.5, Patience: 2}}
	net, err := gle.New(nw, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlateau(nw.Learning.Plateau)
	rng := rand.New(rand.NewPCG(1, 2))
	lr, reductions := 1e-3, 0
	for e := range 300 {
		loss := 1 + rng.Float64() - float64(e)/1000
		if e%50 == 0 {
			loss = 0.5 // ties and repeats
		}
		next := p.Next(loss, lr)
		net.EndEpoch(loss)
		if next != net.LR || p.Best != net.Plateau.Best || p.Bad != net.Plateau.Bad {
			t.Fatalf("epoch %d: lr %v best %v bad %d; gle: %v %v %d", e, next, p.Best, p.Bad, net.LR, net.Plateau.Best, net.Plateau.Bad)
		}
		if next != lr {
			reductions++
		}
		lr = next
	}
	if reductions < 3 {
		t.Errorf("%d reductions: the test exercises too little", reductions)
	}
	if NewPlateau(nil) != nil {
		t.Error("no plateau in the network, a schedule all the same")
	}
}

func TestCheckFits(t *testing.T) {
	data := tinyData(3, 2, 2, 4)
	named := tinyNet(4)
	wide := tinyNet(3)
	twoIn := tinyNet(4)
	twoIn.Populations[0].Size = 2
	mse := tinyNet(4)
	mse.Loss.Kind = network.LossMSE
	anon := tinyNet(5)
	anon.Name = ""
	cases := []struct {
		net  *network.Network
		want string
	}{
		{named, ""},
		{wide, `train: network "tiny" has 3 outputs, but tiny has 4 classes; give it one output per class`},
		{anon, `train: the network has 5 outputs, but tiny has 4 classes; give it one output per class`},
		{twoIn, `train: network "tiny" takes 2 inputs per step, but tiny feeds 1; give it a single input`},
		{mse, `train: network "tiny" has a mse loss; classification needs "cross_entropy"`},
	}
	for i, c := range cases {
		err := CheckFits(c.net, data)
		if (err == nil) != (c.want == "") || (err != nil && err.Error() != c.want) {
			t.Errorf("case %d: %v, want %q", i, err, c.want)
		}
	}
}

func TestDivergedEpochStops(t *testing.T) {
	data := tinyData(2, 2, 2, 2)
	r := &recorder{C: 2, K: 2, out: make([]float64, 4)}
	// A diverged network reports NaN outputs.
	cl, _ := NewClassifier(&nanBackend{r}, tinyNet(2), data, 1)
	_, err := cl.Epoch(nil)
	if err == nil || err.Error() != "train: epoch 1: the training loss is NaN: the network diverged; lower the learning rate (--lr)" {
		t.Errorf("got %v", err)
	}
}

type nanBackend struct{ *recorder }

func (n *nanBackend) Output() []float64 {
	for i := range n.out {
		n.out[i] = math.NaN()
	}
	return n.out
}
