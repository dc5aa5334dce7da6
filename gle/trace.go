package gle

import (
	"strconv"

	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/trace"
)

// Emit receives trace records; trace.CSVWriter.Write is one.
type Emit func(trace.Record) error

// TraceParams emits every parameter (W, b, tau_m, tau_r) as records of the given step;
// use step −1 for the initial parameters, as the trace format does.
func (n *Net) TraceParams(step int, emit Emit) error {
	for _, p := range n.Layers {
		if err := n.traceParamsOf(p, step, emit, true); err != nil {
			return err
		}
	}
	return nil
}

// TraceStep emits the full trace of the step just taken, in the golden files' order:
// network-level values (x, y, out, e_star, loss or loss_sum), then per layer the state
// (u, v, r, r_prime, e_bottom, u_breve, e_breve, inst_e), then per layer the parameters
// after the optimizer step (W, b, tau_m), their gradients (W_grad, b_grad, tau_m_grad)
// and optimizer state (*_adam_m and *_adam_v for Adam, *_momentum for momentum).
//
// A layer's W and e_bottom concatenate its incoming projections in file order: column j
// runs over the first projection's source neurons, then the second's, and so on.
func (n *Net) TraceStep(emit Emit) error {
	step := n.Steps - 1
	if step < 0 {
		return nil
	}
	C := n.Contexts
	rec := trace.Record{Step: step, Layer: trace.NetworkLayer, J: -1}
	vec := func(name string, v []float64, width int) error {
		rec.Var = name
		for c := range C {
			for i := range width {
				rec.B, rec.I, rec.Value = c, i, v[c*width+i]
				if err := emit(rec); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := vec("x", n.X, n.inWidth); err != nil {
		return err
	}
	if n.hasTarget {
		if n.Labels != nil {
			rec.Var = "y"
			for c, l := range n.Labels {
				rec.B, rec.I, rec.Value = c, 0, float64(l)
				if err := emit(rec); err != nil {
					return err
				}
			}
		} else if err := vec("y", n.Target, n.outWidth); err != nil {
			return err
		}
	}
	if err := vec("out", n.Out, n.outWidth); err != nil {
		return err
	}
	if err := vec("e_star", n.EStar, n.outWidth); err != nil {
		return err
	}
	if n.hasTarget {
		rec.Var, rec.B, rec.I, rec.Value = "loss", -1, -1, n.Loss
		if n.crossEntropy {
			rec.Var = "loss_sum"
		}
		if err := emit(rec); err != nil {
			return err
		}
	}
	for _, p := range n.Layers {
		rec := trace.Record{Step: step, Layer: p.Layer, LayerName: p.Name, J: -1}
		state := func(name string, v []float64, width int) error {
			rec.Var = name
			for c := range C {
				for i := range width {
					rec.B, rec.I, rec.Value = c, i, v[c*width+i]
					if err := emit(rec); err != nil {
						return err
					}
				}
			}
			return nil
		}
		for _, s := range []struct {
			name string
			v    []float64
		}{{"u", p.U}, {"v", p.V}, {"r", p.R}, {"r_prime", p.RPrime}} {
			if err := state(s.name, s.v, p.Size); err != nil {
				return err
			}
		}
		// e_bottom: the incoming projections' errors side by side.
		rec.Var = "e_bottom"
		for c := range C {
			off := 0
			for _, q := range p.Incoming {
				w := q.Source.Size
				for j := range w {
					rec.B, rec.I, rec.Value = c, off+j, q.EBottom[c*w+j]
					if err := emit(rec); err != nil {
						return err
					}
				}
				off += w
			}
		}
		for _, s := range []struct {
			name string
			v    []float64
		}{{"u_breve", p.UBreve}, {"e_breve", p.EBreve}, {"inst_e", p.InstE}} {
			if err := state(s.name, s.v, p.Size); err != nil {
				return err
			}
		}
	}
	for _, p := range n.Layers {
		if err := n.traceParamsOf(p, step, emit, false); err != nil {
			return err
		}
	}
	return nil
}

// traceParamsOf emits a layer's parameters and, after a step, their gradients and
// optimizer state. τr, which never changes, is emitted only with initial.
func (n *Net) traceParamsOf(p *Population, step int, emit Emit, initial bool) error {
	rec := trace.Record{Step: step, Layer: p.Layer, LayerName: p.Name, B: -1}
	matrix := func(name string, pick func(q *Projection) []float64) error {
		rec.Var = name
		off := 0
		for _, q := range p.Incoming {
			w := q.Source.Size
			m := pick(q)
			for i := range p.Size {
				for j := range w {
					rec.I, rec.J = i, off+j
					rec.Value = 0
					if m != nil {
						rec.Value = m[i*w+j]
					}
					if err := emit(rec); err != nil {
						return err
					}
				}
			}
			off += w
		}
		return nil
	}
	vector := func(name string, v []float64) error {
		if v == nil {
			return nil
		}
		rec.Var, rec.J = name, -1
		for i, x := range v {
			rec.I, rec.Value = i, x
			if err := emit(rec); err != nil {
				return err
			}
		}
		return nil
	}
	if err := matrix("W", func(q *Projection) []float64 { return q.W }); err != nil {
		return err
	}
	if err := vector("b", p.B); err != nil {
		return err
	}
	if err := vector("tau_m", p.TauM); err != nil {
		return err
	}
	if initial {
		return vector("tau_r", p.TauR)
	}
	learnsW := false
	for _, q := range p.Incoming {
		learnsW = learnsW || q.WGrad != nil
	}
	if learnsW {
		if err := matrix("W_grad", func(q *Projection) []float64 { return q.WGrad }); err != nil {
			return err
		}
	}
	if err := vector("b_grad", p.BGrad); err != nil {
		return err
	}
	if err := vector("tau_m_grad", p.TauMGrad); err != nil {
		return err
	}
	switch n.opt.Kind {
	case network.OptimizerAdam:
		if learnsW {
			if err := matrix("W_adam_m", func(q *Projection) []float64 { return momentsOf(q.WOpt, false) }); err != nil {
				return err
			}
			if err := matrix("W_adam_v", func(q *Projection) []float64 { return momentsOf(q.WOpt, true) }); err != nil {
				return err
			}
		}
		for _, s := range []struct {
			name string
			m    *Moments
		}{{"b", p.BOpt}, {"tau_m", p.TauMOpt}} {
			if s.m == nil {
				continue
			}
			if err := vector(s.name+"_adam_m", s.m.M); err != nil {
				return err
			}
			if err := vector(s.name+"_adam_v", s.m.V); err != nil {
				return err
			}
		}
	case network.OptimizerMomentum:
		if learnsW {
			if err := matrix("W_momentum", func(q *Projection) []float64 { return momentsOf(q.WOpt, false) }); err != nil {
				return err
			}
		}
		if p.BOpt != nil {
			if err := vector("b_momentum", p.BOpt.M); err != nil {
				return err
			}
		}
		if p.TauMOpt != nil {
			if err := vector("tau_m_momentum", p.TauMOpt.M); err != nil {
				return err
			}
		}
	}
	return nil
}

func momentsOf(m *Moments, second bool) []float64 {
	if m == nil {
		return nil
	}
	if second {
		return m.V
	}
	return m.M
}

// VCDVars declares on v one variable per value of the reported output and of every
// layer's u, r and ĕ (context 0 … C−1) and returns a function that samples them after
// each step.
func (n *Net) VCDVars(v *trace.VCDWriter) (sample func() error, err error) {
	type src struct{ v []float64 }
	var srcs []src
	declare := func(scope, name string, vals []float64, width int) error {
		for c := range n.Contexts {
			for i := range width {
				label := name + "[" + strconv.Itoa(i) + "]"
				if n.Contexts > 1 {
					label = name + "_c" + strconv.Itoa(c) + "[" + strconv.Itoa(i) + "]"
				}
				if _, err := v.Var(scope, label); err != nil {
					return err
				}
			}
		}
		srcs = append(srcs, src{vals})
		return nil
	}
	if err := declare("network", "out", n.Out, n.outWidth); err != nil {
		return nil, err
	}
	for _, p := range n.Layers {
		for _, s := range []struct {
			name string
			v    []float64
		}{{"u", p.U}, {"r", p.R}, {"e_breve", p.EBreve}} {
			if err := declare(p.Name, s.name, s.v, p.Size); err != nil {
				return nil, err
			}
		}
	}
	var buf []float64
	for _, s := range srcs {
		buf = append(buf, make([]float64, len(s.v))...)
	}
	return func() error {
		k := 0
		for _, s := range srcs {
			k += copy(buf[k:], s.v)
		}
		return v.Sample(n.Steps-1, buf)
	}, nil
}
