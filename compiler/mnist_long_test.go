package compiler_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/tasks"
)

// The MNIST-1D experiment harness: the spec network compiled with compiler.Compile
// (100 contexts), trained on the chip beside gle with the training loop of
// chip/long_test.go's TestMNIST1DEpochs (samples reshuffled every epoch, one point per
// step, the label as target at every step; test accuracy from the outputs summed over
// each test sample with learning off, state carried over). Run it with
//
//	go test ./compiler -run TestMNIST1DCompiled -mnist-epochs 10 -v -timeout 0
//
// Every epoch reports the training loss and test accuracy of both, the chip's
// saturations per variable during the epoch, and, per population and projection, the
// largest magnitudes gle reached against the ranges the program's scales give.
var (
	mnistEpochs  = flag.Int("mnist-epochs", 0, "epochs of the compiled MNIST-1D experiment (0: skip)")
	mnistGLE     = flag.Bool("mnist-gle", true, "train gle beside the chip")
	mnistChip    = flag.Bool("mnist-chip", true, "train the chip")
	mnistFormats = flag.String("mnist-formats", "", "format overrides of the chip, name=Qm.n or name=stochastic|half-even (its rounding),...")
	mnistHints   = flag.String("mnist-hints", "", "scale hints: pop.rate=e, pop.state=e, pop.error=e, proj.weight=e (projection by index), comma separated; a value dk adds k to the compiled value")
	mnistTrain   = flag.Int("mnist-train", 0, "training samples per epoch (0: all)")
	mnistTile    = flag.Int("mnist-tile", 0, "neurons per tile (0: the default; 64 puts every hidden layer on its own tile)")
	mnistSeed    = flag.Uint64("mnist-seed", 1, "network seed")
	mnistSave    = flag.String("mnist-save", "", "directory to write gle's parameters to after every epoch (params-eN.json)")
	mnistParams  = flag.String("mnist-params", "", "parameters (JSON, as -mnist-save writes them) both start from and the compiler ranges")
	mnistFirst   = flag.Int("mnist-first", 1, "number of the first epoch (its shuffle)")
	mnistBus     = flag.String("mnist-bus", "block", "the chip's error bus: block (a shared exponent per step) or static")
)

func TestMNIST1DCompiled(t *testing.T) {
	if *mnistEpochs == 0 {
		t.Skip("run with -mnist-epochs n")
	}
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, *mnistSeed)
	if err != nil {
		t.Fatal(err)
	}
	data, err := tasks.NewMNIST1D()
	if err != nil {
		t.Fatal(err)
	}
	const C = 100
	cfg := chip.DefaultConfig()
	if *mnistTile > 0 {
		cfg.NeuronsPerTile = *mnistTile
	}
	if err := overrideFormats(&cfg, *mnistFormats); err != nil {
		t.Fatal(err)
	}
	var params *network.Params
	if *mnistParams != "" {
		b, err := os.ReadFile(*mnistParams)
		if err != nil {
			t.Fatal(err)
		}
		params = new(network.Params)
		if err := json.Unmarshal(b, params); err != nil {
			t.Fatal(err)
		}
	}
	res, err := compileHinted(net, cfg, C, params, *mnistHints)
	if err != nil {
		t.Fatal(err)
	}
	prog := res.Program
	t.Log(describeScales(prog))
	var c *chip.Chip
	if *mnistChip {
		if c, err = chip.New(prog, chip.WithWorkers(1)); err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	g, err := gle.New(net, params, C)
	if err != nil {
		t.Fatal(err)
	}
	var co []float64
	g2 := chaosTwin(t, net, g, C)
	chipStep := func(x []float64, labels []int, learn bool) ([]float64, error) {
		if g2 != nil {
			g2.Frozen = !learn
			err := g2.StepLabels(x, labels)
			return g2.Out, err
		}
		c.SetLearning(learn)
		if err := c.SetInput(x); err != nil {
			return nil, err
		}
		if learn {
			if err := c.SetLabels(labels); err != nil {
				return nil, err
			}
		} else {
			c.ClearTarget()
		}
		if err := c.Step(); err != nil {
			return nil, err
		}
		co = c.Output(co)
		return co, nil
	}
	peaks := newPeaks(g)
	gleStep := func(x []float64, labels []int, learn bool) ([]float64, error) {
		if learn {
			err := g.StepLabels(x, labels)
			peaks.add(g)
			return g.Out, err
		}
		g.Frozen = true
		err := g.Step(x, nil)
		g.Frozen = false
		return g.Out, err
	}
	for e := *mnistFirst; e < *mnistFirst+*mnistEpochs; e++ {
		line := fmt.Sprintf("epoch %2d:", e)
		if c != nil {
			t0 := time.Now()
			c.ResetCounters()
			l, err := trainEpoch(data, C, e, *mnistTrain, chipStep)
			if err != nil {
				t.Fatal(err)
			}
			sat := saturations(c.Counters(), prog)
			a, err := testAccuracy(data, C, chipStep)
			if err != nil {
				t.Fatal(err)
			}
			line += fmt.Sprintf(" chip loss %.4f acc %5.1f %% (%v)", l, 100*a, time.Since(t0).Round(time.Second))
			defer t.Logf("epoch %d chip saturations: %s", e, sat)
		}
		if *mnistGLE {
			t0 := time.Now()
			peaks.reset()
			l, err := trainEpoch(data, C, e, *mnistTrain, gleStep)
			if err != nil {
				t.Fatal(err)
			}
			a, err := testAccuracy(data, C, gleStep)
			if err != nil {
				t.Fatal(err)
			}
			line += fmt.Sprintf(" | gle loss %.4f acc %5.1f %% (%v)", l, 100*a, time.Since(t0).Round(time.Second))
			t.Log(line)
			t.Logf("epoch %d gle peaks vs program ranges: %s", e, peaks.against(prog, g))
			if *mnistSave != "" {
				b, err := json.Marshal(g.Params)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(*mnistSave, fmt.Sprintf("params-e%d.json", e)), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		t.Log(line)
	}
	if c != nil {
		t.Log(c.Health())
	}
}

// compileHinted compiles net for cfg with the scale hints of spec applied.
func compileHinted(net *network.Network, cfg chip.Config, contexts int, params *network.Params, spec string) (*compiler.Result, error) {
	opt := compiler.Options{Config: cfg, Contexts: contexts, Params: params}
	if spec == "" {
		return compiler.Compile(net, opt)
	}
	base, err := compiler.Compile(net, opt)
	if err != nil {
		return nil, err
	}
	hn := *net
	hn.Populations = append([]network.Population(nil), net.Populations...)
	hn.Projections = append([]network.Projection(nil), net.Projections...)
	for _, kv := range strings.Split(spec, ",") {
		key, val, ok := strings.Cut(kv, "=")
		name, what, ok2 := strings.Cut(key, ".")
		if !ok || !ok2 {
			return nil, fmt.Errorf("hint %q: want name.kind=exp", kv)
		}
		rel := strings.HasPrefix(val, "d") // d+2, d-1: relative to the compiled value
		val = strings.TrimPrefix(val, "d")
		v, err := strconv.Atoi(val)
		if err != nil {
			return nil, fmt.Errorf("hint %q: %v", kv, err)
		}
		if what == "weight" {
			p, err := strconv.Atoi(name)
			if err != nil {
				return nil, fmt.Errorf("hint %q: projection index: %v", kv, err)
			}
			if rel {
				v += base.Program.Projections[p].WeightExp
			}
			hn.Projections[p].Chip = &network.ProjectionChip{WeightExp: &v}
			continue
		}
		q := -1
		for i, pop := range hn.Populations {
			if pop.Name == name {
				q = i
			}
		}
		if q < 0 {
			return nil, fmt.Errorf("hint %q: no population %q", kv, name)
		}
		pp := base.Program.Populations[q]
		h := &network.PopulationChip{}
		if hn.Populations[q].Chip != nil {
			*h = *hn.Populations[q].Chip
		}
		hn.Populations[q].Chip = h
		x := v
		switch what {
		case "rate":
			if rel {
				x += pp.RateExp
			}
			h.RateExp = &x
		case "state":
			if rel {
				x += pp.StateExp
			}
			h.StateExp = &x
		case "error":
			if rel {
				x += pp.ErrorExp
			}
			h.ErrorExp = &x
		default:
			return nil, fmt.Errorf("hint %q: kind %q is not rate, state, error or weight", kv, what)
		}
	}
	return compiler.Compile(&hn, opt)
}

// setBus sets cfg's error bus from -mnist-bus.
func setBus(cfg *chip.Config, name string) (err error) {
	cfg.ErrorBus, err = chip.ParseErrorBusMode(name)
	return err
}

// overrideFormats sets formats of cfg from "name=Qm.n,..." (empty: none).
func overrideFormats(cfg *chip.Config, spec string) error {
	if spec == "" {
		return nil
	}
	for _, kv := range strings.Split(spec, ",") {
		name, f, _ := strings.Cut(kv, "=")
		var fm fixedpoint.Format
		rounding := map[string]fixedpoint.Rounding{"stochastic": fixedpoint.Stochastic, "half-even": fixedpoint.HalfEven}
		r, isRounding := rounding[f]
		if !isRounding {
			var err error
			if fm, err = fixedpoint.Parse(f); err != nil {
				return err
			}
		}
		found := false
		for i := range cfg.Formats {
			if cfg.Formats[i].Name == name {
				if isRounding {
					cfg.Formats[i].Rounding = r
				} else {
					cfg.Formats[i].Format = fm
				}
				found = true
			}
		}
		if !found {
			return fmt.Errorf("no format %q", name)
		}
	}
	return nil
}

func describeScales(p *chip.Program) string {
	var b strings.Builder
	b.WriteString("scales:")
	for _, q := range p.Populations {
		fmt.Fprintf(&b, " %s(r%d u%d e%d bg%d)", q.Name, q.RateExp, q.StateExp, q.ErrorExp, q.BiasGradExp)
	}
	for i, pr := range p.Projections {
		fmt.Fprintf(&b, " p%d(w%d g%d)", i, pr.WeightExp, pr.GradExp)
	}
	return b.String()
}

func saturations(c chip.Counters, prog *chip.Program) string {
	var parts []string
	for _, tc := range c.Tiles {
		if len(tc.Vars) == 0 {
			continue
		}
		pops := map[string]bool{}
		for _, sl := range prog.Tiles[tc.Tile].Slots {
			if sl.Population >= 0 {
				pops[prog.Populations[sl.Population].Name] = true
			}
		}
		var names []string
		for k := range pops {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, v := range tc.Vars {
			parts = append(parts, fmt.Sprintf("%s@%s %d", v.Var, strings.Join(names, "+"), v.Saturations+v.Wraps))
		}
	}
	if c.Host.Saturations > 0 {
		parts = append(parts, fmt.Sprintf("host %d", c.Host.Saturations))
	}
	if len(parts) == 0 {
		return "none"
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// peaks are gle's largest magnitudes during training.
type peaks struct {
	rate, state, err []float64 // per population
	w                []float64 // per projection
}

func newPeaks(g *gle.Net) *peaks {
	n := len(g.Populations)
	return &peaks{rate: make([]float64, n), state: make([]float64, n), err: make([]float64, n), w: make([]float64, len(g.Projections))}
}

func (p *peaks) reset() {
	clear(p.rate)
	clear(p.state)
	clear(p.err)
	clear(p.w)
}

func absMax(m float64, xs []float64) float64 {
	for _, x := range xs {
		m = max(m, math.Abs(x))
	}
	return m
}

func (p *peaks) add(g *gle.Net) {
	for q, pop := range g.Populations {
		p.rate[q] = absMax(p.rate[q], pop.R)
		if pop.Input {
			continue
		}
		p.state[q] = absMax(absMax(p.state[q], pop.U), pop.UBreve)
		p.err[q] = absMax(absMax(absMax(p.err[q], pop.EBreve), pop.V), pop.InstE)
	}
	for i, pr := range g.Projections {
		p.w[i] = absMax(p.w[i], pr.W)
	}
}

// against lists, per population and projection, gle's peak and the largest magnitude
// the program's scale holds (peak/range; a ratio above 1 clips on the chip).
func (p *peaks) against(prog *chip.Program, g *gle.Net) string {
	cfg := &prog.Config
	fmax := func(name string) float64 { v, _ := cfg.Formats.Lookup(name); return v.Format.MaxFloat() }
	var b strings.Builder
	for q, pop := range prog.Populations {
		fmt.Fprintf(&b, " %s[r %.3g/%.3g", pop.Name, p.rate[q], math.Ldexp(fmax("r"), pop.RateExp))
		if pop.Role != chip.RoleInput {
			fmt.Fprintf(&b, " u %.3g/%.3g e %.3g/%.3g", p.state[q], math.Ldexp(fmax("u"), pop.StateExp),
				p.err[q], math.Ldexp(fmax("err_bus"), pop.ErrorExp))
		}
		b.WriteString("]")
	}
	for i, pr := range prog.Projections {
		fmt.Fprintf(&b, " p%d[w %.3g/%.3g]", i, p.w[i], math.Ldexp(fmax("w_mem"), pr.WeightExp))
	}
	return b.String()
}

// trainEpoch trains one epoch (samples in the order of epoch e's permutation, batch C)
// and returns the mean training cross-entropy per step.
func trainEpoch(data *tasks.Sequences, C, e, limit int, step func(x []float64, labels []int, learn bool) ([]float64, error)) (float64, error) {
	N := data.NumTrain()
	perm := rand.New(rand.NewPCG(uint64(e), 42)).Perm(N)
	if limit > 0 && limit < N {
		N = limit
	}
	L := data.Length
	x := make([]float64, C)
	labels := make([]int, C)
	var sum float64
	n := 0
	for b := 0; b+C <= N; b += C {
		for i := range C {
			labels[i] = data.TrainY[perm[b+i]]
		}
		for pos := range L {
			for i := range C {
				x[i] = data.TrainX[perm[b+i]*L+pos]
			}
			out, err := step(x, labels, true)
			if err != nil {
				return 0, err
			}
			for c, l := range labels {
				sum += crossEntropy(out[c*10:(c+1)*10], l)
				n++
			}
		}
	}
	return sum / float64(max(n, 1)), nil
}

func crossEntropy(o []float64, l int) float64 {
	m := math.Inf(-1)
	for _, v := range o {
		m = max(m, v)
	}
	s := 0.0
	for _, v := range o {
		s += math.Exp(v - m)
	}
	return -(o[l] - m - math.Log(s))
}

// testAccuracy runs the test set with learning off and returns the accuracy of the
// argmax of the outputs summed over each sample's steps.
func testAccuracy(data *tasks.Sequences, C int, step func(x []float64, labels []int, learn bool) ([]float64, error)) (float64, error) {
	N := data.NumTest()
	L := data.Length
	x := make([]float64, C)
	labels := make([]int, C)
	sums := make([]float64, C*10)
	right, total := 0, 0
	for b := 0; b+C <= N; b += C {
		clear(sums)
		for i := range C {
			labels[i] = data.TestY[b+i]
		}
		for pos := range L {
			for i := range C {
				x[i] = data.TestX[(b+i)*L+pos]
			}
			out, err := step(x, labels, false)
			if err != nil {
				return 0, err
			}
			for i, v := range out {
				sums[i] += v
			}
		}
		for c, l := range labels {
			best := 0
			for i := range 10 {
				if sums[c*10+i] > sums[c*10+best] {
					best = i
				}
			}
			if best == l {
				right++
			}
			total++
		}
	}
	return float64(right) / float64(max(total, 1)), nil
}

var (
	mnistFidelity   = flag.Int("mnist-fidelity", 0, "batches of the learning-fidelity experiment from -mnist-params (0: skip)")
	mnistChaos      = flag.Bool("mnist-chaos", false, "fidelity baseline: a second gle whose weights start 1e-6 (relative) apart instead of the chip")
	mnistGrad       = flag.String("mnist-grad", "", "fidelity: GradExp overrides after compiling, p=e (projection index) or p=dk (relative), comma separated")
	mnistInitScales = flag.Bool("mnist-init-scales", false, "fidelity: the scales the compiler chooses for the initial parameters, with -mnist-params loaded into them (what a run compiled at the start has when it gets there)")
	mnistLRShift    = flag.Int("mnist-lr-shift", 0, "fidelity: divide the learning rates by 2^k (k = 10: the weights barely move, so the updates compare the gradients without their feedback on the run)")
)

// TestMNIST1DFidelity starts the chip and gle from the same (trained) parameters, runs
// one training batch without learning to fill the state, then -mnist-fidelity batches
// with learning, and compares per projection the weight change of the chip with gle's
// (cosine and norm ratio), and the training losses over those batches. It isolates
// where the chip's learning departs from the float reference at a trained state,
// without the epochs it takes the two runs to part.
func TestMNIST1DFidelity(t *testing.T) {
	if *mnistFidelity == 0 {
		t.Skip("run with -mnist-fidelity n -mnist-params file")
	}
	net, err := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, *mnistSeed)
	if err != nil {
		t.Fatal(err)
	}
	data, err := tasks.NewMNIST1D()
	if err != nil {
		t.Fatal(err)
	}
	const C = 100
	cfg := chip.DefaultConfig()
	if err := setBus(&cfg, *mnistBus); err != nil {
		t.Fatal(err)
	}
	if err := overrideFormats(&cfg, *mnistFormats); err != nil {
		t.Fatal(err)
	}
	var params *network.Params
	if *mnistParams != "" {
		b, err := os.ReadFile(*mnistParams)
		if err != nil {
			t.Fatal(err)
		}
		params = new(network.Params)
		if err := json.Unmarshal(b, params); err != nil {
			t.Fatal(err)
		}
	}
	hints := *mnistHints
	var base *compiler.Result
	if *mnistInitScales {
		if base, err = compiler.Compile(net, compiler.Options{Config: cfg, Contexts: C}); err != nil {
			t.Fatal(err)
		}
		var hs []string
		for _, q := range base.Program.Populations {
			if q.Role == chip.RoleInput {
				hs = append(hs, fmt.Sprintf("%s.rate=%d", q.Name, q.RateExp))
				continue
			}
			hs = append(hs, fmt.Sprintf("%s.rate=%d,%s.state=%d,%s.error=%d", q.Name, q.RateExp, q.Name, q.StateExp, q.Name, q.ErrorExp))
		}
		for i, pr := range base.Program.Projections {
			hs = append(hs, fmt.Sprintf("%d.weight=%d", i, pr.WeightExp))
		}
		if hints != "" {
			hs = append(hs, hints)
		}
		hints = strings.Join(hs, ",")
	}
	res, err := compileHinted(net, cfg, C, params, hints)
	if err != nil {
		t.Fatal(err)
	}
	if base != nil {
		for i := range res.Program.Projections {
			res.Program.Projections[i].GradExp = base.Program.Projections[i].GradExp
		}
		for i := range res.Program.Populations {
			res.Program.Populations[i].BiasGradExp = base.Program.Populations[i].BiasGradExp
		}
	}
	if *mnistGrad != "" {
		for _, kv := range strings.Split(*mnistGrad, ",") {
			ps, val, _ := strings.Cut(kv, "=")
			p, err := strconv.Atoi(ps)
			if err != nil {
				t.Fatal(err)
			}
			rel := strings.HasPrefix(val, "d")
			v, err := strconv.Atoi(strings.TrimPrefix(val, "d"))
			if err != nil {
				t.Fatal(err)
			}
			if rel {
				v += res.Program.Projections[p].GradExp
			}
			res.Program.Projections[p].GradExp = v
		}
	}
	t.Log(describeScales(res.Program))
	c, err := chip.New(res.Program, chip.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g, err := gle.New(net, params, C)
	if err != nil {
		t.Fatal(err)
	}
	var co []float64
	g2 := chaosTwin(t, net, g, C)
	busHist := map[string][]int{} // per population: learning steps per error bus shift
	chipStep := func(x []float64, labels []int, learn bool) ([]float64, error) {
		if g2 != nil {
			g2.Frozen = !learn
			err := g2.StepLabels(x, labels)
			return g2.Out, err
		}
		c.SetLearning(learn)
		if err := c.SetInput(x); err != nil {
			return nil, err
		}
		if err := c.SetLabels(labels); err != nil {
			return nil, err
		}
		if err := c.Step(); err != nil {
			return nil, err
		}
		if learn {
			for _, x := range c.ErrorBusExponents() {
				if busHist[x.Population] == nil {
					busHist[x.Population] = make([]int, 64)
				}
				busHist[x.Population][x.Shift]++
			}
		}
		co = c.Output(co)
		return co, nil
	}
	gleStep := func(x []float64, labels []int, learn bool) ([]float64, error) {
		g.Frozen = !learn
		err := g.StepLabels(x, labels)
		return g.Out, err
	}
	if k := *mnistLRShift; k != 0 {
		l := c.LearningRegisters()
		l.Weights.LR.Exp -= k
		l.Biases.LR.Exp -= k
		if err := c.SetLearningRegisters(l); err != nil {
			t.Fatal(err)
		}
		g.LR = math.Ldexp(g.LR, -k)
		if g2 != nil {
			g2.LR = g.LR
		}
	}
	perm := rand.New(rand.NewPCG(1000, 42)).Perm(data.NumTrain())
	L := data.Length
	batch := func(b int, learn bool) (lc, lg float64, err error) {
		x := make([]float64, C)
		labels := make([]int, C)
		for i := range C {
			labels[i] = data.TrainY[perm[b*C+i]]
		}
		for pos := range L {
			for i := range C {
				x[i] = data.TrainX[perm[b*C+i]*L+pos]
			}
			oc, err := chipStep(x, labels, learn)
			if err != nil {
				return 0, 0, err
			}
			og, err := gleStep(x, labels, learn)
			if err != nil {
				return 0, 0, err
			}
			for i, l := range labels {
				lc += crossEntropy(oc[i*10:(i+1)*10], l)
				lg += crossEntropy(og[i*10:(i+1)*10], l)
			}
		}
		n := float64(C * L)
		return lc / n, lg / n, nil
	}
	if _, _, err := batch(0, false); err != nil {
		t.Fatal(err)
	}
	w0c := make([][]float64, len(net.Projections))
	w0g := make([][]float64, len(net.Projections))
	for p := range net.Projections {
		w0c[p] = weightsOf(c, g2, p)
		w0g[p] = append([]float64(nil), g.Projections[p].W...)
	}
	c.ResetCounters()
	var sc, sg float64
	for b := 1; b <= *mnistFidelity; b++ {
		lc, lg, err := batch(b, true)
		if err != nil {
			t.Fatal(err)
		}
		sc += lc
		sg += lg
	}
	var parts []string
	for p := range net.Projections {
		w1c := weightsOf(c, g2, p)
		var dot, nc, ng float64
		for i, w := range w1c {
			dc, dg := w-w0c[p][i], g.Projections[p].W[i]-w0g[p][i]
			dot += dc * dg
			nc += dc * dc
			ng += dg * dg
		}
		parts = append(parts, fmt.Sprintf("p%d cos %.3f ratio %.2f", p, dot/math.Sqrt(nc*ng), math.Sqrt(nc/ng)))
	}
	k := float64(*mnistFidelity)
	t.Logf("loss chip %.4f gle %.4f over %d batches; Δw: %s", sc/k, sg/k, *mnistFidelity, strings.Join(parts, "; "))
	t.Logf("saturations: %s", saturations(c.Counters(), res.Program))
	for _, q := range res.Program.Populations {
		if h := busHist[q.Name]; h != nil {
			var b strings.Builder
			for s, n := range h {
				if n > 0 {
					fmt.Fprintf(&b, " %d:%d", s, n)
				}
			}
			t.Logf("error bus shifts of %s (ErrorExp %d; shift:steps):%s", q.Name, q.ErrorExp, b.String())
		}
	}
}

func weightsOf(c *chip.Chip, g *gle.Net, p int) []float64 {
	if g != nil {
		return append([]float64(nil), g.Projections[p].W...)
	}
	w, _ := c.Weights(p, nil)
	return w
}

// chaosTwin is, with -mnist-chaos, a second gle net whose weights differ from g's by
// about 1e-6 (a float-vs-float control for the chip-vs-float figures); nil without it.
func chaosTwin(t *testing.T, net *network.Network, g *gle.Net, C int) *gle.Net {
	t.Helper()
	if !*mnistChaos {
		return nil
	}
	p := g.Params.Clone()
	for _, w := range p.Weights {
		for i := range w {
			w[i] *= 1 + 1e-6*math.Sin(float64(i))
		}
	}
	g2, err := gle.New(net, p, C)
	if err != nil {
		t.Fatal(err)
	}
	return g2
}
