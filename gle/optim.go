package gle

import (
	"math"

	"github.com/glemu/glemu/network"
)

// optimize applies one optimizer step to every learning parameter, then clamps τm.
func (n *Net) optimize() {
	n.OptimizerSteps++
	for _, q := range n.Projections {
		if q.WGrad != nil {
			n.update(q.W, q.WGrad, q.WOpt)
		}
	}
	for _, p := range n.Layers {
		if p.BGrad != nil {
			n.update(p.B, p.BGrad, p.BOpt)
		}
		if p.TauMGrad != nil {
			n.update(p.TauM, p.TauMGrad, p.TauMOpt)
			for i, t := range p.TauM {
				if t < n.tauMin {
					p.TauM[i] = n.tauMin
				}
			}
		}
	}
}

// update applies the optimizer to θ with gradient g:
//
//	sgd:      θ ← θ − lr·g
//	momentum: m ← μ·m + g;  θ ← θ − lr·m                       (PyTorch SGD, dampening 0)
//	adam:     m ← m + (1−β1)(g − m);  v ← β2·v + (1−β2)·g²;
//	          θ ← θ − (lr/(1−β1ᵗ))·m / (√v·(1/√(1−β2ᵗ)) + ε)    (PyTorch Adam, t = OptimizerSteps)
func (n *Net) update(theta, g []float64, m *Moments) {
	lr := n.LR
	switch n.opt.Kind {
	case network.OptimizerSGD:
		for i, gi := range g {
			theta[i] -= lr * gi
		}
	case network.OptimizerMomentum:
		mu := n.opt.Momentum
		for i, gi := range g {
			m.M[i] = mu*m.M[i] + gi
			theta[i] -= lr * m.M[i]
		}
	case network.OptimizerAdam:
		b1, b2, eps := n.opt.Beta1, n.opt.Beta2, n.opt.Eps
		t := float64(n.OptimizerSteps)
		bc1 := 1 - math.Pow(b1, t)
		bc2 := math.Sqrt(1 - math.Pow(b2, t))
		step, invBC2 := lr/bc1, 1/bc2
		mm, vv, th := m.M[:len(g)], m.V[:len(g)], theta[:len(g)]
		for i, gi := range g {
			mi := mm[i] + (1-b1)*(gi-mm[i])
			vi := b2*vv[i] + (1-b2)*gi*gi
			mm[i], vv[i] = mi, vi
			th[i] -= step * mi / (math.Sqrt(vi)*invBC2 + eps)
		}
	}
}

// PlateauState is the reduce-on-plateau schedule (PyTorch's ReduceLROnPlateau in mode
// "min" with a relative threshold and no cooldown). After every epoch, from the first
// on, the epoch's loss L is compared with Best: it is better if L < Best·(1 −
// Threshold). A better loss becomes Best and resets Bad; otherwise Bad counts up, and
// when Bad exceeds Patience the learning rate is multiplied by Factor and Bad restarts
// at 0 (a reduction smaller than 1e-8 is skipped, as PyTorch does).
type PlateauState struct {
	Factor    float64
	Patience  int
	Threshold float64
	// Best is the best loss so far (+Inf before the first epoch); Bad the number of
	// epochs in a row without a better loss; Epochs the number of epochs seen.
	Best   float64
	Bad    int
	Epochs int
}

// EndEpoch tells the schedule an epoch's loss (the test loss, as the spec's MNIST-1D
// runs use). It returns whether the learning rate was reduced. Without a plateau
// schedule it does nothing.
func (n *Net) EndEpoch(loss float64) (reduced bool) {
	s := n.Plateau
	if s == nil {
		return false
	}
	s.Epochs++
	if loss < s.Best*(1-s.Threshold) {
		s.Best = loss
		s.Bad = 0
		return false
	}
	s.Bad++
	if s.Bad > s.Patience {
		s.Bad = 0
		if lr := n.LR * s.Factor; n.LR-lr > 1e-8 { // PyTorch's eps: tiny changes are skipped
			n.LR = lr
			return true
		}
	}
	return false
}
