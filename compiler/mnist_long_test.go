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
	var det *fidDetail
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
			if det != nil && learn {
				det.record(t, c, g, pos)
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
	if g2 == nil {
		det = newFidDetail(t, net, c, g, *mnistFidProj)
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
		dcs, dgs := make([]float64, len(w1c)), make([]float64, len(w1c))
		for i, w := range w1c {
			dc, dg := w-w0c[p][i], g.Projections[p].W[i]-w0g[p][i]
			dcs[i], dgs[i] = dc, dg
			dot += dc * dg
			nc += dc * dc
			ng += dg * dg
		}
		if det != nil && det.p == p {
			defer det.report(t, c, dcs, dgs)
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

var mnistFidProj = flag.Int("mnist-fid-proj", -1, "fidelity: decompose projection p's weight change step by step (gradients before Adam, ĕ and r against gle's, Adam on identical gradients); -1: off")

// fidDetail decomposes one projection's weight change in TestMNIST1DFidelity
// (-mnist-fid-proj p): every learning step it forms the gradient the chip's learning
// reads, −mean over contexts of err_bus(target) r(source)ᵀ (the source's rate committed
// the step before, or this step's input, in r's format: the rate bus holds the same
// up to its narrowing), beside gle's WGrad, the gradient from the chip's ĕ before the
// bus, and from one side's ĕ with the other's r; sums each, runs gle's Adam (floats,
// from zero moments, as the probe starts) on each, and the chip's Adam in floats with
// its quantizations switched on and off (fidChipAdam) on the chip's. The report says
// which of them reproduces which weight change, where (synapses by their gradient RMS
// in grad LSBs, source neurons by their mean |r|) the chip's update energy sits, and
// the per-step agreement by position in the sample. Adam only; a diagnostic, slow.
type fidDetail struct {
	p, src, tgt, n, m, C int
	rc, rg               []float64 // source rates committed before this step (C × m)
	sums                 [fdNum][]float64
	adamV                [fdNum]fidAdam // float Adam on each variant's gradients
	r2                   []float64      // per source neuron: Σ r² over steps and contexts (gle)
	emu                  []*fidChipAdam // the chip's Adam on the chip's gradients: all, all but one, one of its quantizations (v's only with √v's: a v rounded to 0 under an exact √v and ε_t = 1e-8 makes ratios of 10⁶)
	maxG, maxM           float64        // largest |g| and |m| of gle's (float Adam on gle's gradients)
	gLSB, mLSB           [3]int         // (step, synapse) pairs with |g|, |m| below 1, 4, 16 grad LSBs
	rAbs, rAbsC, rZeroC  []float64      // per source neuron, over steps and contexts: Σ |r| (gle, chip), chip's r = 0 count
	steps                []fidStepRec
}

// Variants of fidDetail.sums.
const (
	fdGle    = iota // gle's WGrad
	fdChip          // chip: err_bus × r
	fdChipEB        // chip: e_breve (before the bus) × r
	fdEcRg          // chip's err_bus × gle's r
	fdEgRc          // gle's ĕ × chip's r
	fdNum
)

var fdNames = [fdNum]string{"gle", "chip (err_bus·r)", "chip e_breve·r", "chip err_bus·gle r", "gle ĕ·chip r"}

type fidStepRec struct {
	pos                 int
	shift               int
	normG, normC, cos   float64
	cosE, cosEB, cosR   float64
	peakE, medE, zeroEC float64
}

// fidAdam is gle's Adam (gle/optim.go) from zero moments, accumulating the change in d.
type fidAdam struct {
	b1, b2, eps float64
	m, v, d     []float64
}

func newFidAdam(n int, o network.Optimizer) fidAdam {
	return fidAdam{o.Beta1, o.Beta2, o.Eps, make([]float64, n), make([]float64, n), make([]float64, n)}
}

// step is Adam's step t (from 1) on gradient g at rate lr.
func (a *fidAdam) step(g []float64, t int, lr float64) {
	bc1 := 1 - math.Pow(a.b1, float64(t))
	bc2 := math.Sqrt(1 - math.Pow(a.b2, float64(t)))
	for i, gi := range g {
		a.m[i] += (1 - a.b1) * (gi - a.m[i])
		a.v[i] = a.b2*a.v[i] + (1-a.b2)*gi*gi
		a.d[i] -= lr / bc1 * a.m[i] / (math.Sqrt(a.v[i])/bc2 + a.eps)
	}
}

func newFidDetail(t *testing.T, net *network.Network, c *chip.Chip, g *gle.Net, p int) *fidDetail {
	t.Helper()
	if p < 0 {
		return nil
	}
	if p >= len(g.Projections) {
		t.Fatalf("-mnist-fid-proj %d: the network has %d projections", p, len(g.Projections))
	}
	pr := g.Projections[p]
	d := &fidDetail{p: p, src: pr.Source.Index, tgt: pr.Target.Index, n: pr.Target.Size, m: pr.Source.Size, C: g.Contexts}
	for i := range d.sums {
		d.sums[i] = make([]float64, d.n*d.m)
	}
	o := net.Learning.Optimizer
	if o.Kind != network.OptimizerAdam {
		t.Fatalf("-mnist-fid-proj: the decomposition models Adam; the network's optimizer is %v", o.Kind)
	}
	for v := range d.adamV {
		d.adamV[v] = newFidAdam(d.n*d.m, o)
	}
	gExp := c.Program().Projections[p].GradExp
	for _, q := range [][4]bool{{true, true, true, true}, {false, true, true, true}, {true, false, true, true}, {true, true, false, true}, {true, false, false, false}, {false, true, false, false}, {false, false, false, true}} {
		d.emu = append(d.emu, newFidChipAdam(d.n*d.m, gExp, o, q[0], q[1], q[2], q[3]))
	}
	d.rememberRates(t, c, g)
	return d
}

// rememberRates keeps the source rates committed by the last step.
func (d *fidDetail) rememberRates(t *testing.T, c *chip.Chip, g *gle.Net) {
	t.Helper()
	var err error
	if d.rc, err = c.State(d.src, "r", d.rc); err != nil {
		t.Fatal(err)
	}
	d.rg = append(d.rg[:0], g.Populations[d.src].R...)
}

func fdCos(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

func fdNorm(a []float64) float64 {
	var s float64
	for _, x := range a {
		s += x * x
	}
	return math.Sqrt(s)
}

// outer returns −mean over contexts of e rᵀ (n × m).
func (d *fidDetail) outer(dst, e, r []float64) []float64 {
	dst = append(dst[:0], make([]float64, d.n*d.m)...)
	for k := range d.C {
		ek, rk := e[k*d.n:(k+1)*d.n], r[k*d.m:(k+1)*d.m]
		for i, ei := range ek {
			if ei == 0 {
				continue
			}
			row := dst[i*d.m : (i+1)*d.m]
			for j, rj := range rk {
				row[j] -= ei * rj
			}
		}
	}
	for i := range dst {
		dst[i] /= float64(d.C)
	}
	return dst
}

// record takes one learning step's values (after both stepped).
func (d *fidDetail) record(t *testing.T, c *chip.Chip, g *gle.Net, pos int) {
	t.Helper()
	ec, err := c.State(d.tgt, "err_bus", nil)
	if err != nil {
		t.Fatal(err)
	}
	ebc, err := c.State(d.tgt, "e_breve", nil)
	if err != nil {
		t.Fatal(err)
	}
	eg := g.Populations[d.tgt].EBreve
	if g.Populations[d.src].Input { // the learning reads this step's input
		d.rememberRates(t, c, g)
	}
	var grads [fdNum][]float64
	grads[fdGle] = g.Projections[d.p].WGrad
	grads[fdChip] = d.outer(nil, ec, d.rc)
	grads[fdChipEB] = d.outer(nil, ebc, d.rc)
	grads[fdEcRg] = d.outer(nil, ec, d.rg)
	grads[fdEgRc] = d.outer(nil, eg, d.rc)
	for v := range fdNum {
		for i, x := range grads[v] {
			d.sums[v][i] += x
		}
	}
	if d.rAbs == nil {
		d.rAbs, d.r2, d.rAbsC, d.rZeroC = make([]float64, d.m), make([]float64, d.m), make([]float64, d.m), make([]float64, d.m)
	}
	for i, r := range d.rg {
		d.rAbs[i%d.m] += math.Abs(r)
		d.r2[i%d.m] += r * r
		d.rAbsC[i%d.m] += math.Abs(d.rc[i])
		if d.rc[i] == 0 {
			d.rZeroC[i%d.m]++
		}
	}
	k := len(d.steps) + 1
	for v := range fdNum {
		d.adamV[v].step(grads[v], k, g.LR)
	}
	lsb := d.emu[0].lg
	for i, x := range grads[fdGle] {
		x, m := math.Abs(x), math.Abs(d.adamV[fdGle].m[i])
		d.maxG, d.maxM = max(d.maxG, x), max(d.maxM, m)
		for j, l := range [3]float64{1, 4, 16} {
			if x < l*lsb {
				d.gLSB[j]++
			}
			if m < l*lsb {
				d.mLSB[j]++
			}
		}
	}
	for _, e := range d.emu {
		e.step(grads[fdChip], k, g.LR)
	}
	rec := fidStepRec{pos: pos, normG: fdNorm(grads[fdGle]), normC: fdNorm(grads[fdChip]),
		cos: fdCos(grads[fdChip], grads[fdGle]), cosE: fdCos(ec, eg), cosEB: fdCos(ebc, eg), cosR: fdCos(d.rc, d.rg)}
	for _, x := range c.ErrorBusExponents() {
		if x.Population == g.Populations[d.tgt].Name {
			rec.shift = x.Shift
		}
	}
	abs := make([]float64, len(eg))
	zero := 0
	for i, x := range eg {
		abs[i] = math.Abs(x)
		if ec[i] == 0 && x != 0 {
			zero++
		}
	}
	sort.Float64s(abs)
	rec.peakE, rec.medE, rec.zeroEC = abs[len(abs)-1], abs[len(abs)/2], float64(zero)/float64(len(eg))
	d.steps = append(d.steps, rec)
	d.rememberRates(t, c, g)
}

// report logs the decomposition; dc and dg are the chip's and gle's weight changes.
func (d *fidDetail) report(t *testing.T, c *chip.Chip, dc, dg []float64) {
	t.Helper()
	t.Logf("p%d detail over %d learning steps: cosine of the summed gradients (before Adam) with gle's:", d.p, len(d.steps))
	for v := range fdNum {
		t.Logf("  %-22s cos %.3f  norm ratio %.3f; float Adam on them vs gle's Δw: cos %.3f, ratio %.2f", fdNames[v], fdCos(d.sums[v], d.sums[fdGle]), fdNorm(d.sums[v])/fdNorm(d.sums[fdGle]),
			fdCos(d.adamV[v].d, dg), fdNorm(d.adamV[v].d)/fdNorm(dg))
	}
	// Δw weighted by the source's RMS rate: the change of the target's input W r it makes.
	wc, wg := make([]float64, len(dc)), make([]float64, len(dc))
	for i := range dc {
		rms := math.Sqrt(d.r2[i%d.m] / float64(len(d.steps)*d.C))
		wc[i], wg[i] = dc[i]*rms, dg[i]*rms
	}
	t.Logf("  Δw weighted by the source's RMS rate (what it changes in W r): cos %.3f, ratio %.2f", fdCos(wc, wg), fdNorm(wc)/fdNorm(wg))
	t.Logf("  float Adam on gle's gradients vs gle's Δw: cos %.4f; on the chip's gradients vs the chip's Δw: cos %.3f",
		fdCos(d.adamV[fdGle].d, dg), fdCos(d.adamV[fdChip].d, dc))
	nv := float64(len(d.steps) * d.n * d.m)
	t.Logf("  gle's per-step gradients and Adam m in grad LSBs (%.3g, GradExp %d; range ±%.3g): largest |g| %.3g, |m| %.3g; |g| below 1/4/16 LSB: %.2f/%.2f/%.2f, |m|: %.2f/%.2f/%.2f of (step, synapse) pairs",
		d.emu[0].lg, c.Program().Projections[d.p].GradExp, math.Ldexp(1, 7+c.Program().Projections[d.p].GradExp), d.maxG, d.maxM,
		float64(d.gLSB[0])/nv, float64(d.gLSB[1])/nv, float64(d.gLSB[2])/nv, float64(d.mLSB[0])/nv, float64(d.mLSB[1])/nv, float64(d.mLSB[2])/nv)
	for _, e := range d.emu {
		t.Logf("  chip's Adam in floats, quantized: grad %v m %v v %v √v %v (LSBs %.3g, %.3g): cos with the chip's Δw %.3f (ratio %.2f), with gle's %.3f (ratio %.2f); %d updates skipped (√v+ε_t = 0)",
			e.qG, e.qM, e.qV, e.qS, e.lg, e.lv, fdCos(e.d, dc), fdNorm(e.d)/fdNorm(dc), fdCos(e.d, dg), fdNorm(e.d)/fdNorm(dg), e.zeroDen)
	}
	// Where the chip's update energy sits: synapses whose gradient RMS (gle's √v,
	// bias-corrected) is below k grad LSBs, against the rest.
	bc2 := math.Sqrt(1 - math.Pow(0.999, float64(len(d.steps))))
	var eC, eG float64
	for i := range dc {
		eC += dc[i] * dc[i]
		eG += dg[i] * dg[i]
	}
	for _, k := range []float64{1, 4, 16, 64} {
		rows, cols := map[int]bool{}, map[int]bool{}
		var eCs, eGs float64
		var restC, restG []float64
		for i := range dc {
			if math.Sqrt(d.adamV[fdGle].v[i])/bc2 < k*d.emu[0].lg {
				eCs += dc[i] * dc[i]
				eGs += dg[i] * dg[i]
				rows[i/d.m], cols[i%d.m] = true, true
				continue
			}
			restC, restG = append(restC, dc[i]), append(restG, dg[i])
		}
		var cl []string
		for j := range cols {
			n := float64(len(d.steps) * d.C)
			cl = append(cl, fmt.Sprintf("%d (mean |r| %.2g, chip %.2g, 0 in %.0f %%)", j, d.rAbs[j]/n, d.rAbsC[j]/n, 100*d.rZeroC[j]/n))
		}
		sort.Strings(cl)
		if len(cl) > 6 {
			cl = append(cl[:6], "…")
		}
		t.Logf("  synapses with gradient RMS below %2.0f grad LSBs: %4d of %d (%d target rows; source columns %s): %.3f of the chip's Δw energy, %.3f of gle's; the other synapses' Δw: cos %.3f, ratio %.2f",
			k, len(dc)-len(restC), len(dc), len(rows), strings.Join(cl, ", "), eCs/eC, eGs/eG, fdCos(restC, restG), fdNorm(restC)/fdNorm(restG))
	}
	// Elementwise: how much of the Adam disagreement sits in synapses whose summed
	// gradient is small against the chip's per-step noise.
	var agreeBig, nBig, agreeSmall, nSmall int
	gs := d.sums[fdGle]
	abs := make([]float64, len(gs))
	for i, x := range gs {
		abs[i] = math.Abs(x)
	}
	sort.Float64s(abs)
	med := abs[len(abs)/2]
	for i, x := range gs {
		same := (x > 0) == (d.sums[fdChip][i] > 0)
		if math.Abs(x) >= med {
			nBig++
			if same {
				agreeBig++
			}
		} else {
			nSmall++
			if same {
				agreeSmall++
			}
		}
	}
	t.Logf("  sign agreement of the summed gradients: %d/%d above gle's median |Σg| (%.3g), %d/%d below; largest |Σg| %.3g",
		agreeBig, nBig, med, agreeSmall, nSmall, abs[len(abs)-1])
	// Per position in the sample: the gradient energy and agreement.
	type bucket struct {
		lo, hi int
		eG     float64
		dot    float64
		nc, ng float64
	}
	bs := []bucket{{0, 1, 0, 0, 0, 0}, {1, 5, 0, 0, 0, 0}, {5, 20, 0, 0, 0, 0}, {20, 60, 0, 0, 0, 0}, {60, 360, 0, 0, 0, 0}}
	var total float64
	for _, s := range d.steps {
		total += s.normG * s.normG
	}
	for _, s := range d.steps {
		for i := range bs {
			if s.pos >= bs[i].lo && s.pos < bs[i].hi {
				bs[i].eG += s.normG * s.normG / total
				bs[i].dot += s.cos * s.normC * s.normG
				bs[i].nc += s.normC * s.normC
				bs[i].ng += s.normG * s.normG
			}
		}
	}
	for _, b := range bs {
		t.Logf("  steps %3d–%3d of each sample: %.3f of gle's per-step gradient energy, per-step cos (energy-weighted) %.3f, norm ratio chip/gle %.3f",
			b.lo, b.hi-1, b.eG, b.dot/math.Sqrt(b.nc*b.ng), math.Sqrt(b.nc/b.ng))
	}
	// The steps with the largest gle gradients.
	idx := make([]int, len(d.steps))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return d.steps[idx[a]].normG > d.steps[idx[b]].normG })
	for _, i := range idx[:min(12, len(idx))] {
		s := d.steps[i]
		t.Logf("  step %4d (pos %3d): |g| gle %.3g chip %.3g cos %.3f; ĕ cos bus %.3f pre-bus %.3f; r cos %.4f; bus shift %d; |ĕ| peak %.3g median %.3g; ĕ zeroed by the bus %.2f",
			i, s.pos, s.normG, s.normC, s.cos, s.cosE, s.cosEB, s.cosR, s.shift, s.peakE, s.medE, s.zeroEC)
	}
}

// fidChipAdam is the chip's Adam (chip/learn.go's optStep) in floats, each of its
// quantizations switchable: the gradient rounded half-even to grad's LSB under gExp
// (qG), m and v rounded stochastically to adam_m's and adam_v's LSBs (qM, qV), √v
// floored to adam_sqrt_v's LSB (qS); ε_t = ε·bc2 rounded to that LSB (0 for ε = 1e-8
// at the gradient exponents here), and no update where √v + ε_t is 0, as on the chip.
type fidChipAdam struct {
	qG, qM, qV, qS bool
	lg, lv         float64 // LSBs of grad (and adam_m, √v) and adam_v
	rnd            *rand.Rand
	fidAdam
	zeroDen int // updates skipped for √v + ε_t = 0
}

func newFidChipAdam(n, gExp int, o network.Optimizer, qG, qM, qV, qS bool) *fidChipAdam {
	return &fidChipAdam{qG: qG, qM: qM, qV: qV, qS: qS, lg: math.Ldexp(1, gExp-24), lv: math.Ldexp(1, 2*gExp-48),
		rnd: rand.New(rand.NewPCG(7, uint64(gExp))), fidAdam: newFidAdam(n, o)}
}

func (a *fidChipAdam) stoch(x, lsb float64) float64 {
	q := x / lsb
	f := math.Floor(q)
	if a.rnd.Float64() < q-f {
		f++
	}
	return f * lsb
}

func (a *fidChipAdam) step(g []float64, t int, lr float64) {
	bc1 := 1 - math.Pow(a.b1, float64(t))
	bc2 := math.Sqrt(1 - math.Pow(a.b2, float64(t)))
	eps := a.eps * bc2
	if a.qS {
		eps = math.RoundToEven(eps/a.lg) * a.lg
	}
	for i, gi := range g {
		if a.qG {
			gi = math.RoundToEven(gi/a.lg) * a.lg
		}
		m := a.m[i] + (1-a.b1)*(gi-a.m[i])
		v := a.v[i] + (1-a.b2)*(gi*gi-a.v[i])
		if a.qM {
			m = a.stoch(m, a.lg)
		}
		if a.qV {
			v = a.stoch(v, a.lv)
		}
		a.m[i], a.v[i] = m, v
		s := math.Sqrt(v)
		if a.qS {
			s = math.Floor(s/a.lg) * a.lg
		}
		if s+eps <= 0 {
			a.zeroDen++
			continue
		}
		a.d[i] -= lr * bc2 / bc1 * m / (s + eps)
	}
}
