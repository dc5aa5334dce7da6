package gle

import (
	"fmt"
	"math"
)

// Gradients is the exact gradient of a window's loss.
type Gradients struct {
	// Loss is the window loss L = (1/C)·Σ_k Σ_c β·ℓ(out_k,c, y_k,c), with ℓ = ½‖y − out‖²
	// for MSE and ℓ = logsumexp(out) − y·out (the cross-entropy for a probability
	// vector y) for cross-entropy, so that e* = −C·∂L/∂out exactly.
	Loss float64
	// W[p] is ∂L/∂W of projection p (target × source); B[q] is ∂L/∂b of population q
	// (nil without bias).
	W, B [][]float64
}

// WindowLoss runs the discretised forward network (γ = 0) from n's current state over
// the window's inputs xs[k] (C × input width) and targets ys[k] (C × output width) and
// returns the window loss of Gradients.Loss. n is not changed.
func (n *Net) WindowLoss(xs, ys [][]float64) (float64, error) {
	w, err := n.newWindow(xs, ys)
	if err != nil {
		return 0, err
	}
	return w.forward(), nil
}

// ExactGradients returns the exact gradient of the window loss (see WindowLoss) with
// respect to every weight and bias, by discrete backpropagation through time over the
// recorded window. It requires γ = 0 in every population, so that the forward pass does
// not depend on the errors. n is not changed.
//
// The GLE gradients of Net.Step (∂W = −ĕ r_inᵀ, mean over contexts) summed over the
// same window approximate C-independent ∂L/∂W: for a chain they lag the exact adjoint
// by the pipeline and replace its anti-causal filter I⁺_τm D⁻_τr by the causal D⁺_τm
// I⁻_τr.
func (n *Net) ExactGradients(xs, ys [][]float64) (*Gradients, error) {
	w, err := n.newWindow(xs, ys)
	if err != nil {
		return nil, err
	}
	loss := w.forward()
	g := w.backward()
	g.Loss = loss
	return g, nil
}

// window is a forward pass over a window with what backpropagation needs recorded.
type window struct {
	n      *Net
	xs, ys [][]float64
	u      [][]float64   // per population: current u
	r      [][]float64   // per population: current r
	rk     [][][]float64 // [k][q]: r before step k
	ubk    [][][]float64 // [k][q]: ŭ of step k
	scr    []float64
}

func (n *Net) newWindow(xs, ys [][]float64) (*window, error) {
	for _, p := range n.Layers {
		if p.Gamma != 0 {
			return nil, fmt.Errorf("gle: population %q has γ = %v; exact gradients need γ = 0 (a forward pass independent of the errors)", p.Name, p.Gamma)
		}
	}
	if len(xs) != len(ys) || len(xs) == 0 {
		return nil, fmt.Errorf("gle: window of %d inputs and %d targets; give one target per input step", len(xs), len(ys))
	}
	C := n.Contexts
	for k := range xs {
		if len(xs[k]) != C*n.inWidth || len(ys[k]) != C*n.outWidth {
			return nil, fmt.Errorf("gle: window step %d: %d inputs and %d targets, want %d and %d", k, len(xs[k]), len(ys[k]), C*n.inWidth, C*n.outWidth)
		}
	}
	w := &window{n: n, xs: xs, ys: ys}
	for _, p := range n.Populations {
		w.u = append(w.u, append([]float64(nil), p.U...))
		w.r = append(w.r, append([]float64(nil), p.R...))
	}
	return w, nil
}

// lossAndGrad adds the loss of reported output out against y and, if g is not nil,
// writes ∂(β·ℓ/C)/∂out into g.
func (w *window) lossAndGrad(out, y, g []float64) float64 {
	n := w.n
	C, width := n.Contexts, n.outWidth
	scale := n.beta / float64(C)
	loss := 0.0
	for c := range C {
		o := out[c*width : (c+1)*width]
		t := y[c*width : (c+1)*width]
		if !n.crossEntropy {
			for i := range o {
				d := o[i] - t[i]
				loss += 0.5 * d * d
				if g != nil {
					g[c*width+i] = scale * d
				}
			}
			continue
		}
		lse := logSumExp(o)
		loss += lse
		for i := range o {
			loss -= t[i] * o[i]
			if g != nil {
				g[c*width+i] = scale * (math.Exp(o[i]-lse) - t[i])
			}
		}
	}
	return scale * loss
}

func (w *window) gather(dst []float64, r [][]float64) {
	n := w.n
	width := n.outWidth
	for _, p := range n.Layers {
		if !p.Output {
			continue
		}
		for c := range n.Contexts {
			copy(dst[c*width+p.outOffset:c*width+p.outOffset+p.Size], r[p.Index][c*p.Size:(c+1)*p.Size])
		}
	}
}

func (w *window) forward() float64 {
	n := w.n
	C, dt := n.Contexts, n.Network.Dt
	out := make([]float64, C*n.outWidth)
	s := make([][]float64, len(n.Populations))
	rp := make([]float64, 0)
	loss := 0.0
	for k, x := range w.xs {
		for _, p := range n.Populations {
			if p.Input {
				for c := range C {
					copy(w.r[p.Index][c*p.Size:(c+1)*p.Size], x[c*n.inWidth+p.inOffset:c*n.inWidth+p.inOffset+p.Size])
				}
			}
		}
		w.gather(out, w.r)
		loss += w.lossAndGrad(out, w.ys[k], nil)
		rk := make([][]float64, len(n.Populations))
		ubk := make([][]float64, len(n.Populations))
		for _, p := range n.Populations {
			rk[p.Index] = append([]float64(nil), w.r[p.Index]...)
		}
		for _, p := range n.Layers {
			q := p.Index
			s[q] = make([]float64, C*p.Size)
			if p.B != nil {
				for c := range C {
					copy(s[q][c*p.Size:], p.B)
				}
			}
			for _, pr := range p.Incoming {
				addRWtLoop(s[q], rk[pr.Source.Index], pr.W, C, pr.Source.Size, p.Size)
			}
			ub := make([]float64, C*p.Size)
			u := w.u[q]
			for c := range C {
				for i := range p.Size {
					j := c*p.Size + i
					udot := (s[q][j] - u[j]) / p.TauM[i]
					ub[j] = u[j] + p.TauR[i]*udot
					u[j] += dt * udot
				}
			}
			ubk[q] = ub
			if cap(rp) < len(ub) {
				rp = make([]float64, len(ub))
			}
			p.act.apply(ub, w.r[q], rp[:len(ub)])
		}
		w.rk = append(w.rk, rk)
		w.ubk = append(w.ubk, ubk)
	}
	return loss
}

func (w *window) backward() *Gradients {
	n := w.n
	C, dt := n.Contexts, n.Network.Dt
	g := &Gradients{W: make([][]float64, len(n.Projections)), B: make([][]float64, len(n.Populations))}
	for _, pr := range n.Projections {
		g.W[pr.Index] = make([]float64, len(pr.W))
	}
	for _, p := range n.Layers {
		if p.B != nil {
			g.B[p.Index] = make([]float64, p.Size)
		}
	}
	gu := make([][]float64, len(n.Populations))
	gr := make([][]float64, len(n.Populations))
	for _, p := range n.Populations {
		gu[p.Index] = make([]float64, C*p.Size)
		gr[p.Index] = make([]float64, C*p.Size)
	}
	gs := make([][]float64, len(n.Populations))
	grPrev := make([][]float64, len(n.Populations))
	for _, p := range n.Populations {
		gs[p.Index] = make([]float64, C*p.Size)
		grPrev[p.Index] = make([]float64, C*p.Size)
	}
	gOut := make([]float64, C*n.outWidth)
	out := make([]float64, C*n.outWidth)
	gW := make([]float64, 0)
	for k := len(w.xs) - 1; k >= 0; k-- {
		// Through the neuron update of step k: (u^k, s^k) → (u^{k+1}, r^{k+1}).
		for _, p := range n.Layers {
			q := p.Index
			ub := w.ubk[k][q]
			r := make([]float64, len(ub))
			rp := make([]float64, len(ub))
			p.act.apply(ub, r, rp)
			for c := range C {
				for i := range p.Size {
					j := c*p.Size + i
					gub := gr[q][j] * rp[j]
					a, b := dt/p.TauM[i], p.TauR[i]/p.TauM[i]
					gs[q][j] = a*gu[q][j] + b*gub
					gu[q][j] = (1-a)*gu[q][j] + (1-b)*gub
				}
			}
		}
		// Through s^k = Σ W r^k + b.
		for _, p := range n.Populations {
			clear(grPrev[p.Index])
		}
		for _, pr := range n.Projections {
			src, tgt := pr.Source, pr.Target
			if cap(gW) < len(pr.W) {
				gW = make([]float64, len(pr.W))
			}
			setEtRLoop(gW[:len(pr.W)], 1, gs[tgt.Index], w.rk[k][src.Index], C, tgt.Size, src.Size)
			for i, v := range gW[:len(pr.W)] {
				if pr.Mask == nil || pr.Mask[i] {
					g.W[pr.Index][i] += v // a masked weight is no parameter
				}
			}
			if !src.Input {
				tmp := make([]float64, C*src.Size)
				setEWLoop(tmp, gs[tgt.Index], pr.W, C, tgt.Size, src.Size)
				for i, v := range tmp {
					grPrev[src.Index][i] += v
				}
			}
		}
		for _, p := range n.Layers {
			if b := g.B[p.Index]; b != nil {
				for c := range C {
					for i := range p.Size {
						b[i] += gs[p.Index][c*p.Size+i]
					}
				}
			}
		}
		// The loss at step k reads the output committed before it, r^k.
		w.gather(out, w.rk[k])
		w.lossAndGrad(out, w.ys[k], gOut)
		for _, p := range n.Layers {
			if !p.Output {
				continue
			}
			for c := range C {
				for i := range p.Size {
					grPrev[p.Index][c*p.Size+i] += gOut[c*n.outWidth+p.outOffset+i]
				}
			}
		}
		gr, grPrev = grPrev, gr
	}
	return g
}
