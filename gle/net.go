package gle

import (
	"errors"
	"fmt"
	"math"

	"github.com/glemu/glemu/network"
)

// Net is a GLE network running C contexts (a batch) that share one set of parameters.
// All its slices are allocated by New and never replaced: read them, or write into them
// (copy) to set a state, between steps.
type Net struct {
	// Network is the description the Net was built from; do not modify it.
	Network *network.Network
	// Contexts is the number of contexts C.
	Contexts int
	// Populations are indexed like Network.Populations; Layers lists the neuron
	// (non-input) ones in file order, as the trace numbers them.
	Populations []*Population
	Layers      []*Population
	// Projections are indexed like Network.Projections.
	Projections []*Projection

	// Params holds every parameter; the W, B, TauM, TauR slices of the populations and
	// projections alias it.
	Params *network.Params

	// LR is the current learning rate (the optimizer's, changed by the plateau schedule).
	LR float64

	// Steps is the number of steps taken; OptimizerSteps the number of optimizer steps
	// (Adam's bias-correction counter).
	Steps, OptimizerSteps int

	// X is the input of the last step (C × input width); Target its target (C × output
	// width; all zero without one); Out the output reported at the last step, i.e. the
	// output populations' rates committed before it; EStar the output error of the last
	// step; Loss its loss (NaN without a target): the mean of (out − y)² over contexts
	// and outputs for MSE, the cross-entropy summed over contexts for cross-entropy.
	X, Target, Out, EStar []float64
	Loss                  float64
	// Labels of the last step if it was taken with StepLabels, else nil.
	Labels []int

	// Plateau is the reduce-on-plateau schedule's state (nil without one).
	Plateau *PlateauState

	// Frozen suspends learning: while true, Step still computes the gradients but does
	// not step the optimizer (a warm-up without learning).
	Frozen bool

	inWidth, outWidth int
	hasTarget         bool
	labelBuf          []int
	learnW, learnB    bool
	learnTau          bool
	tauMin            float64
	opt               network.Optimizer
	errorsInst        bool
	crossEntropy      bool
	beta              float64
}

// Population is the state of one population. Every state slice is C × Size, row-major
// (context c's neuron i at c·Size + i). An input population only has R (its rate is the
// step's input).
type Population struct {
	Name   string
	Index  int // in Network.Populations
	Layer  int // position among the neuron populations (the trace's layer), −1 for inputs
	Size   int
	Input  bool
	Output bool
	Gamma  float64

	// Committed state (after the last step).
	U, V, R, RPrime []float64
	// Values computed during the last step: ŭ, ĕ, the instantaneous error, u̇.
	UBreve, EBreve, InstE, UDot []float64

	// Parameters (aliases into Net.Params; B is nil without bias).
	B, TauM, TauR []float64
	// Gradients of the last step (mean over contexts): ∂b = −ĕ, ∂τm = ĕ ⊙ u̇. Nil for
	// parameters that do not learn.
	BGrad, TauMGrad []float64
	// Optimizer state of B and TauM (nil for parameters that do not learn).
	BOpt, TauMOpt *Moments

	// Incoming and Outgoing projections, in file order.
	Incoming, Outgoing []*Projection

	act           activation
	inOffset      int // offset of an input population in the input vector
	outOffset     int // offset of an output population in the output vector
	rNext, s, eIn []float64
}

// Projection is one projection's weights, gradient and the error it sends down.
type Projection struct {
	Index          int
	Source, Target *Population
	Plastic        bool
	// W is target×source, row-major (alias into Net.Params).
	W []float64
	// Mask is the projection's mask expanded (network.Network.MaskOf: true where a
	// synapse exists), nil for a dense projection. Masked weights are zero and their
	// gradient is held at zero, so they never learn with any optimizer.
	Mask []bool
	// WGrad is the last step's gradient, −mean over contexts of ĕ_target r_sourceᵀ (nil
	// when W does not learn), zero where Mask has no synapse.
	WGrad []float64
	WOpt  *Moments
	// EBottom is the committed error sent to the source, Wᵀĕ_target computed with W as
	// it was before the last update: C × source size.
	EBottom []float64

	eNext []float64
	wT    []float64 // scratch: Wᵀ for the forward product's fast kernel
}

// Moments is an optimizer's state for one parameter array: Adam's first and second
// moment estimates (M, V), or the momentum buffer (M; V nil). Nil for SGD.
type Moments struct{ M, V []float64 }

// New builds a Net for net with parameters params (nil: net.InitParams()) and contexts
// contexts. The parameters are copied. Every state starts at zero.
func New(net *network.Network, params *network.Params, contexts int) (*Net, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	if contexts < 1 {
		return nil, fmt.Errorf("gle: %d contexts; run at least 1", contexts)
	}
	if params == nil {
		var err error
		if params, err = net.InitParams(); err != nil {
			return nil, err
		}
	}
	if err := net.CheckParams(params); err != nil {
		return nil, err
	}
	n := &Net{
		Network: net, Contexts: contexts, Params: params.Clone(),
		LR:      net.Learning.Optimizer.LR,
		inWidth: net.InputWidth(), outWidth: net.OutputWidth(),
		learnW: net.Learning.Weights, learnB: net.Learning.Biases, learnTau: net.Learning.TauM,
		tauMin:       net.Learning.TauMMin,
		opt:          net.Learning.Optimizer,
		errorsInst:   net.Errors == network.ErrorsInstantaneous,
		crossEntropy: net.Loss.Kind == network.LossCrossEntropy,
		beta:         net.Loss.Beta,
		Loss:         math.NaN(),
	}
	if !(n.tauMin > 0) {
		n.tauMin = net.Dt
	}
	if p := net.Learning.Plateau; p != nil {
		thr := p.Threshold
		if !(thr >= 0) {
			thr = 1e-4
		}
		n.Plateau = &PlateauState{Factor: p.Factor, Patience: p.Patience, Threshold: thr, Best: math.Inf(1)}
	}
	C := contexts
	f := func(k int) []float64 { return make([]float64, C*k) }
	moments := func(k int) *Moments {
		switch n.opt.Kind {
		case network.OptimizerAdam:
			return &Moments{M: make([]float64, k), V: make([]float64, k)}
		case network.OptimizerMomentum:
			return &Moments{M: make([]float64, k)}
		}
		return nil
	}
	inOff, outOff := 0, 0
	for qi := range net.Populations {
		q := &net.Populations[qi]
		p := &Population{Name: q.Name, Index: qi, Layer: -1, Size: q.Size, Input: q.Input, Output: q.Output, Gamma: q.Gamma}
		p.R = f(q.Size)
		if q.Input {
			p.inOffset = inOff
			inOff += q.Size
		} else {
			act, err := parseActivation(q.Activation)
			if err != nil {
				return nil, err
			}
			p.act = act
			p.Layer = len(n.Layers)
			n.Layers = append(n.Layers, p)
			p.U, p.V, p.RPrime = f(q.Size), f(q.Size), f(q.Size)
			p.UBreve, p.EBreve, p.InstE, p.UDot = f(q.Size), f(q.Size), f(q.Size), f(q.Size)
			p.rNext, p.s, p.eIn = f(q.Size), f(q.Size), f(q.Size)
			p.B, p.TauM, p.TauR = n.Params.Biases[qi], n.Params.TauM[qi], n.Params.TauR[qi]
			if n.learnB && p.B != nil {
				p.BGrad, p.BOpt = make([]float64, q.Size), moments(q.Size)
			}
			if n.learnTau {
				p.TauMGrad, p.TauMOpt = make([]float64, q.Size), moments(q.Size)
			}
			if q.Output {
				p.outOffset = outOff
				outOff += q.Size
			}
		}
		n.Populations = append(n.Populations, p)
	}
	for pi := range net.Projections {
		si, ti := net.Endpoints(pi)
		src, tgt := n.Populations[si], n.Populations[ti]
		pr := &Projection{Index: pi, Source: src, Target: tgt, Plastic: net.Projections[pi].IsPlastic(), W: n.Params.Weights[pi], Mask: net.MaskOf(pi)}
		pr.EBottom, pr.eNext = f(src.Size), f(src.Size)
		if useAVX512 && contexts >= gemmMinRows {
			pr.wT = make([]float64, len(pr.W))
		}
		if n.learnW && pr.Plastic {
			pr.WGrad, pr.WOpt = make([]float64, len(pr.W)), moments(len(pr.W))
		}
		src.Outgoing = append(src.Outgoing, pr)
		tgt.Incoming = append(tgt.Incoming, pr)
		n.Projections = append(n.Projections, pr)
	}
	n.X, n.Target, n.Out, n.EStar = f(n.inWidth), f(n.outWidth), f(n.outWidth), f(n.outWidth)
	n.labelBuf = make([]int, C)
	return n, nil
}

// InputWidth and OutputWidth are the lengths of one context's input and target vectors.
func (n *Net) InputWidth() int  { return n.inWidth }
func (n *Net) OutputWidth() int { return n.outWidth }

// Learns reports whether any parameter learns.
func (n *Net) Learns() bool {
	return n.learnW || n.learnB || n.learnTau
}

// Reset sets every dynamic state (u, v, r, r′, ŭ, ĕ, inst_e, e_bottom and the reported
// output) to zero, as before the first step. Parameters, optimizer state and counters
// are kept.
func (n *Net) Reset() {
	for _, p := range n.Populations {
		for _, s := range [][]float64{p.U, p.V, p.R, p.RPrime, p.UBreve, p.EBreve, p.InstE, p.UDot} {
			clear(s)
		}
	}
	for _, pr := range n.Projections {
		clear(pr.EBottom)
	}
	clear(n.Out)
	clear(n.EStar)
}

// Output writes the output the network reports at its next step (the output
// populations' committed rates, C × output width) into dst and returns it; dst may be
// nil.
func (n *Net) Output(dst []float64) []float64 {
	if cap(dst) < len(n.Out) {
		dst = make([]float64, len(n.Out))
	}
	dst = dst[:len(n.Out)]
	n.gatherOutput(dst)
	return dst
}

func (n *Net) gatherOutput(dst []float64) {
	w := n.outWidth
	for _, p := range n.Layers {
		if !p.Output {
			continue
		}
		for c := range n.Contexts {
			copy(dst[c*w+p.outOffset:c*w+p.outOffset+p.Size], p.R[c*p.Size:(c+1)*p.Size])
		}
	}
}

// OneHot fills dst (len(labels) × width) with one-hot rows: row c is 1 at labels[c].
func OneHot(dst []float64, labels []int, width int) error {
	if len(dst) != len(labels)*width {
		return fmt.Errorf("gle: one-hot buffer of %d values for %d labels of width %d", len(dst), len(labels), width)
	}
	clear(dst)
	for c, l := range labels {
		if l < 0 || l >= width {
			return fmt.Errorf("gle: label %d of context %d is outside 0…%d", l, c, width-1)
		}
		dst[c*width+l] = 1
	}
	return nil
}

// StepLabels is Step with a one-hot target built from one class label per context
// (cross-entropy training); the trace then records the labels as y.
func (n *Net) StepLabels(x []float64, labels []int) error {
	if len(labels) != n.Contexts {
		return fmt.Errorf("gle: %d labels for %d contexts", len(labels), n.Contexts)
	}
	if err := OneHot(n.Target, labels, n.outWidth); err != nil {
		return err
	}
	copy(n.labelBuf, labels)
	if err := n.step(x, n.Target, true); err != nil {
		return err
	}
	n.Labels = n.labelBuf
	return nil
}

// Step advances every context by one step dt with input x (C × input width, row-major)
// and target y (C × output width, or nil for no target: e* = 0), then applies the
// optimizer if anything learns. It does not allocate.
func (n *Net) Step(x, y []float64) error {
	n.Labels = nil
	return n.step(x, y, y != nil)
}

var errShape = errors.New("gle: wrong input or target length")

func (n *Net) step(x, y []float64, hasTarget bool) error {
	C := n.Contexts
	if len(x) != C*n.inWidth {
		return fmt.Errorf("%w: input has %d values, want %d contexts × %d", errShape, len(x), C, n.inWidth)
	}
	if hasTarget && len(y) != C*n.outWidth {
		return fmt.Errorf("%w: target has %d values, want %d contexts × %d", errShape, len(y), C, n.outWidth)
	}
	n.hasTarget = hasTarget
	dt := n.Network.Dt

	// Inputs: an input population's rate at step k is x_k.
	copy(n.X, x)
	for _, p := range n.Populations {
		if !p.Input {
			continue
		}
		for c := range C {
			copy(p.R[c*p.Size:(c+1)*p.Size], x[c*n.inWidth+p.inOffset:c*n.inWidth+p.inOffset+p.Size])
		}
	}

	// Output reported at this step and the output error from it.
	n.gatherOutput(n.Out)
	if hasTarget {
		if &y[0] != &n.Target[0] {
			copy(n.Target, y)
		}
		n.Loss = n.outputError()
	} else {
		clear(n.Target)
		clear(n.EStar)
		n.Loss = math.NaN()
	}

	for _, p := range n.Layers {
		size := p.Size
		// Error received: the committed e_bottom of every outgoing projection, plus e*.
		clear(p.eIn)
		for _, q := range p.Outgoing {
			for k, e := range q.EBottom {
				p.eIn[k] += e
			}
		}
		if p.Output {
			for c := range C {
				es := n.EStar[c*n.outWidth+p.outOffset : c*n.outWidth+p.outOffset+size]
				ei := p.eIn[c*size : (c+1)*size]
				for i, e := range es {
					ei[i] += e
				}
			}
		}
		// Error neurons.
		p.errorNeurons(C, dt, n.errorsInst)
		// Input drive s = Σ W r_source + b, from committed rates.
		if p.B != nil {
			for c := range C {
				copy(p.s[c*size:(c+1)*size], p.B)
			}
		} else {
			clear(p.s)
		}
		for _, q := range p.Incoming {
			addRWt(p.s, q.Source.R, q.W, q.wT, C, q.Source.Size, size)
		}
		// Representation neurons.
		p.representationNeurons(C, dt)
		p.act.apply(p.UBreve, p.rNext, p.RPrime)
	}

	// Errors sent down, with W as it was before this step's update.
	// (Also into input populations: nobody reads it, but the trace shows it.)
	for _, q := range n.Projections {
		setEW(q.eNext, q.Target.EBreve, q.W, C, q.Target.Size, q.Source.Size)
	}

	// Gradients, mean over contexts, from the rates this step read.
	inv := 1 / float64(C)
	for _, q := range n.Projections {
		if q.WGrad != nil {
			setEtR(q.WGrad, -inv, q.Target.EBreve, q.Source.R, C, q.Target.Size, q.Source.Size)
			for k, keep := range q.Mask {
				if !keep {
					q.WGrad[k] = 0
				}
			}
		}
	}
	for _, p := range n.Layers {
		if p.BGrad != nil {
			meanOverContexts(p.BGrad, p.EBreve, nil, C, -inv)
		}
		if p.TauMGrad != nil {
			meanOverContexts(p.TauMGrad, p.EBreve, p.UDot, C, inv)
		}
	}

	// Commit.
	for _, p := range n.Layers {
		copy(p.R, p.rNext)
	}
	for _, q := range n.Projections {
		copy(q.EBottom, q.eNext)
	}
	n.Steps++
	if n.Learns() && !n.Frozen {
		n.optimize()
	}
	return nil
}

// errorNeurons sets inst_e = r′ ⊙ ε_in and steps the error neurons: prospective,
//
//	v̇ = (inst_e − v)/τr;  ĕ = v + τm·v̇;  v ← v + dt·v̇,
//
// or instantaneous (ĕ = v = inst_e). Per context on slices of exactly one context, so
// that the compiler drops the bounds checks; the arithmetic is the spec's, in its order.
func (p *Population) errorNeurons(C int, dt float64, instantaneous bool) {
	size := p.Size
	tauR, tauM := p.TauR[:size], p.TauM[:size]
	for c := range C {
		off := c * size
		ein, rp := p.eIn[off:off+size], p.RPrime[off:off+size]
		ie, v, eb := p.InstE[off:off+size], p.V[off:off+size], p.EBreve[off:off+size]
		if instantaneous {
			for i, e := range ein {
				x := rp[i] * e
				ie[i], eb[i], v[i] = x, x, x
			}
			continue
		}
		for i, e := range ein {
			x := rp[i] * e
			ie[i] = x
			vdot := (x - v[i]) / tauR[i]
			eb[i] = v[i] + tauM[i]*vdot
			v[i] += dt * vdot
		}
	}
}

// representationNeurons steps the membranes from the drive s:
//
//	u̇ = (s + γĕ − u)/τm;  ŭ = u + τr·u̇;  u ← u + dt·u̇.
func (p *Population) representationNeurons(C int, dt float64) {
	size := p.Size
	tauR, tauM := p.TauR[:size], p.TauM[:size]
	g := p.Gamma
	for c := range C {
		off := c * size
		s, eb, u := p.s[off:off+size], p.EBreve[off:off+size], p.U[off:off+size]
		ud, ub := p.UDot[off:off+size], p.UBreve[off:off+size]
		for i, si := range s {
			udot := (si + g*eb[i] - u[i]) / tauM[i]
			ud[i] = udot
			ub[i] = u[i] + tauR[i]*udot
			u[i] += dt * udot
		}
	}
}

// meanOverContexts sets g[i] = alpha·Σ_c a[c][i]·b[c][i] (b nil: 1).
func meanOverContexts(g, a, b []float64, C int, alpha float64) {
	size := len(g)
	clear(g)
	for c := range C {
		ac := a[c*size : (c+1)*size]
		if b == nil {
			for i, x := range ac {
				g[i] += x
			}
			continue
		}
		bc := b[c*size : (c+1)*size]
		for i, x := range ac {
			g[i] += x * bc[i]
		}
	}
	for i := range g {
		g[i] *= alpha
	}
}

// outputError sets EStar from Out and Target and returns the loss.
func (n *Net) outputError() float64 {
	w := n.outWidth
	loss := 0.0
	if !n.crossEntropy {
		for k, o := range n.Out {
			d := n.Target[k] - o
			n.EStar[k] = n.beta * d
			loss += d * d
		}
		return loss / float64(len(n.Out))
	}
	for c := range n.Contexts {
		out := n.Out[c*w : (c+1)*w]
		y := n.Target[c*w : (c+1)*w]
		es := n.EStar[c*w : (c+1)*w]
		lse := logSumExp(out)
		for i, o := range out {
			p := math.Exp(o - lse)
			es[i] = n.beta * (y[i] - p)
			if y[i] != 0 {
				loss -= y[i] * (o - lse)
			}
		}
	}
	return loss
}

func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}
