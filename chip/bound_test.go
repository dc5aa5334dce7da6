package chip_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/network"
)

// The one-step bound (docs/chip.md, "Agreement with the float reference"). From an
// identical state (the float state is the chip's, dequantized; the float weights are
// the crossbar cells), one chip step differs from one gle step by at most, per neuron:
//
//	e*      MSE ½L(eps_in); CE β((n+1)δe + ½L(exp_out)) + ½L(eps_in), δe = E(exp) + ½L(exp_in)
//	inst_e  B_inst = |r′|·B_e* + ½L(inst_e)
//	ĕ       B_ĕ = (τm/τr)·B_inst + ½L(τm/τr)·(|Δv| + B_inst) + ½L(e_breve)   (instantaneous: B_inst)
//	v       B_v = (dt/τr)·B_inst + ½L(dt/τr)·(|Δv| + B_inst) + ½L(v)        (instantaneous: B_inst)
//	Δu      B_Δu = L(u) + |γ|·B_ĕ  (s and γĕ each rounded once into u)
//	ŭ       B_ŭ = (τr/τm)·B_Δu + ½L(τr/τm)·(|Δu| + B_Δu) + ½L(u_breve)
//	u       B_u = (dt/τm)·B_Δu + ½L(dt/τm)·(|Δu| + B_Δu) + ½L(u)
//	r       table units: Lip(φ)·(B_ŭ + ½L(phi_in)) + E(φ); identity: B_ŭ + ½L(r)
//	r′      table units: Lip(φ′)·(B_ŭ + ½L(phi_in)) + E(φ′); identity: 0
//	ε_in    Σ_i |W_ij|·(B_ĕ,i + ½L_t(err_bus)) + ½L(eps_in)  (next step's error input;
//	        L_t the step's bus LSB: with the block bus 2^(ErrorExp − F_ĕ + s_t))
//
// L(x) is the value of one LSB of x under its owner's exponent, E(unit) the unit's
// largest error over its whole input range (fixedpoint.LUT.MaxError) and Lip its
// Lipschitz constant. The test draws random states and checks every neuron of every
// context against these bounds.

func lsb(t testing.TB, p *chip.Program, name string, exp int) float64 {
	v, ok := p.Config.Formats.Lookup(name)
	if !ok {
		t.Fatalf("no format %s", name)
	}
	return math.Ldexp(1, exp-v.Format.Frac)
}

// lipschitz returns the Lipschitz constants of φ and φ′.
func lipschitz(f fixedpoint.Func) (float64, float64) {
	switch f {
	case fixedpoint.Tanh:
		return 1, 4 / (3 * math.Sqrt(3))
	case fixedpoint.Sigmoid:
		return 0.25, 0.1
	case fixedpoint.Softplus:
		return 1, 0.25
	}
	return 1, 0
}

var unitErrors = map[[2]int]float64{}

func unitError(t testing.TB, p *chip.Program, f fixedpoint.Func, rExp int) float64 {
	if e, ok := unitErrors[[2]int{int(f), rExp}]; ok {
		return e
	}
	tb := append(fixedpoint.Table(nil), p.Config.Formats...)
	for i := range tb {
		if tb[i].Name == "r" {
			tb[i].Format.Int += rExp
			tb[i].Format.Frac -= rExp
		}
	}
	l, err := fixedpoint.DefaultLUT(tb, f)
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := l.MaxError()
	if err != nil {
		t.Fatal(err)
	}
	unitErrors[[2]int{int(f), rExp}] = e
	return e
}

func TestOneStepBound(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) { oneStepBound(t, v) })
	}
}

func oneStepBound(t *testing.T, v variant) {
	const C = 3
	net := smallNet(v.loss, v.opt, v.errors, v.tau, v.gamma)
	net.Learning = network.Learning{}
	p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: C})
	if err != nil {
		t.Fatal(err)
	}
	c, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gle.New(net, nil, C)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, uint64(len(v.name))))
	ce := v.loss == network.LossCrossEntropy
	prospective := v.errors == network.ErrorsProspective
	worst := map[string]float64{} // largest |diff|/bound per variable
	for trial := range 30 {
		// Random weights on the crossbar's grid (w_mem values the cells hold exactly).
		for pi := range p.Projections {
			wm, _ := p.Config.Formats.Lookup("w_mem")
			w, _ := p.Config.Formats.Lookup("w")
			step := int64(1) << (wm.Format.Frac - w.Format.Frac)
			raw, _ := c.WeightsRaw(pi, nil)
			scale := 0.6 / math.Sqrt(float64(p.Populations[p.Projections[pi].Source].Size))
			for i := range raw {
				x := math.Ldexp(scale*(2*rng.Float64()-1), wm.Format.Frac-p.Projections[pi].WeightExp)
				raw[i] = int64(math.Round(x/float64(step))) * step
			}
			if err := c.SetWeightsRaw(pi, raw); err != nil {
				t.Fatal(err)
			}
			fw, _ := c.Weights(pi, nil)
			copy(g.Projections[pi].W, fw)
		}
		// Random states.
		for qi, q := range p.Populations {
			if q.Role == chip.RoleInput {
				continue
			}
			n := C * q.Size
			set := func(name string, lo, hi float64) {
				vals := make([]float64, n)
				for i := range vals {
					vals[i] = lo + (hi-lo)*rng.Float64()
				}
				if err := c.SetState(qi, name, vals); err != nil {
					t.Fatal(err)
				}
			}
			set("u", -1.5, 1.5)
			set("v", -0.5, 0.5)
			set("r", -0.9, 0.9)
			set("r_prime", 0, 1)
			hasOut := false
			for _, pr := range p.Projections {
				if pr.Source == qi {
					hasOut = true
				}
			}
			if hasOut {
				set("eps_in", -0.5, 0.5)
			} else {
				set("eps_in", 0, 0)
			}
			if q.Bias {
				b := make([]float64, q.Size)
				for i := range b {
					b[i] = 0.4 * (2*rng.Float64() - 1)
				}
				if err := c.SetState(qi, "b", b); err != nil {
					t.Fatal(err)
				}
			}
			gp := g.Populations[qi]
			for _, s := range []struct {
				name string
				dst  []float64
			}{{"u", gp.U}, {"v", gp.V}, {"r", gp.R}, {"r_prime", gp.RPrime}, {"b", gp.B}, {"tau_m", gp.TauM}, {"tau_r", gp.TauR}} {
				if s.dst == nil {
					continue
				}
				x, err := c.State(qi, s.name, nil)
				if err != nil {
					t.Fatal(err)
				}
				copy(s.dst, x)
			}
			// ε_in: the chip holds the sum; gle holds it per outgoing projection.
			eps, _ := c.State(qi, "eps_in", nil)
			first := true
			for _, pr := range gp.Outgoing {
				if first {
					copy(pr.EBottom, eps)
					first = false
				} else {
					clear(pr.EBottom)
				}
			}
		}
		// Input and target.
		x := make([]float64, C*net.InputWidth())
		for i := range x {
			x[i] = 2 * (2*rng.Float64() - 1)
		}
		if err := c.SetInput(x); err != nil {
			t.Fatal(err)
		}
		xq, _ := c.State(0, "r", nil) // the quantized input gle must see
		labels := make([]int, C)
		var y []float64
		if ce {
			for i := range labels {
				labels[i] = rng.IntN(net.OutputWidth())
			}
			if err := c.SetLabels(labels); err != nil {
				t.Fatal(err)
			}
		} else {
			y = make([]float64, C*net.OutputWidth())
			for i := range y {
				y[i] = 0.5 * (2*rng.Float64() - 1)
			}
			if err := c.SetTarget(y); err != nil {
				t.Fatal(err)
			}
			// gle gets the quantized target.
			rf, _ := p.Config.Formats.Lookup("r")
			R := p.Populations[3].RateExp
			for i := range y {
				y[i] = math.Ldexp(rf.Format.ToFloat(rf.Format.FromFloat(math.Ldexp(y[i], -R))), R)
			}
		}
		// The state before the step, for the bounds.
		type before struct{ u, v, rp, eps []float64 }
		pre := make([]before, len(p.Populations))
		for qi, q := range p.Populations {
			if q.Role == chip.RoleInput {
				continue
			}
			pre[qi].u, _ = c.State(qi, "u", nil)
			pre[qi].v, _ = c.State(qi, "v", nil)
			pre[qi].rp, _ = c.State(qi, "r_prime", nil)
		}
		if err := c.Step(); err != nil {
			t.Fatal(err)
		}
		if ce {
			err = g.StepLabels(xq, labels)
		} else {
			err = g.Step(xq, y)
		}
		if err != nil {
			t.Fatal(err)
		}
		// e* bound.
		beta := net.Loss.Beta
		var bEstar float64
		out := p.Populations[3]
		if ce {
			expLUT, _ := fixedpoint.DefaultLUT(p.Config.Formats, fixedpoint.Exp)
			ee, _, _ := expLUT.MaxError()
			de := ee + 0.5*lsb(t, p, "exp_in", 0)
			bEstar = beta*(float64(net.OutputWidth()+1)*de+0.5*lsb(t, p, "exp_out", 0)) + 0.5*lsb(t, p, "eps_in", out.ErrorExp)
		} else {
			bEstar = 0.5 * lsb(t, p, "eps_in", out.ErrorExp)
		}
		bEB := make([][]float64, len(p.Populations))
		for qi, q := range p.Populations {
			if q.Role == chip.RoleInput {
				continue
			}
			gp := g.Populations[qi]
			E, S, R := q.ErrorExp, q.StateExp, q.RateExp
			gamma := math.Abs(q.Gamma.Float(mustVar(t, p, "gamma")))
			lipPhi, lipPhiP := lipschitz(q.Activation)
			var ePhi, ePhiP float64
			table := q.Activation != fixedpoint.Identity
			if table {
				ePhi, ePhiP = unitError(t, p, q.Activation, R), unitError(t, p, q.Activation+1, 0)
			}
			bEB[qi] = make([]float64, C*q.Size)
			check := func(name string, got []float64, want []float64, bound func(j int) float64) {
				for j := range want {
					b := bound(j)
					d := math.Abs(got[j] - want[j])
					if d > b*(1+1e-9)+1e-12 {
						t.Errorf("trial %d: %s %s[%d]: chip %.9g, gle %.9g, |diff| %.3g > bound %.3g", trial, q.Name, name, j, got[j], want[j], d, b)
					}
					if b > 0 {
						worst[name] = max(worst[name], d/b)
					}
				}
			}
			st := func(name string) []float64 {
				x, err := c.State(qi, name, nil)
				if err != nil {
					t.Fatal(err)
				}
				return x
			}
			bInst := func(j int) float64 {
				be := 0.0
				if q.Role == chip.RoleOutput {
					be = bEstar
				}
				return math.Abs(pre[qi].rp[j])*be + 0.5*lsb(t, p, "inst_e", E)
			}
			i := func(j int) int { return j % q.Size }
			dv := func(j int) float64 { return math.Abs(gp.InstE[j] - pre[qi].v[j]) }
			kMR := func(j int) float64 { return gp.TauM[i(j)] / gp.TauR[i(j)] }
			bEb := func(j int) float64 {
				if !prospective {
					return bInst(j)
				}
				return kMR(j)*bInst(j) + 0.5*lsb(t, p, "tau_m_tau_r", 0)*(dv(j)+bInst(j)) + 0.5*lsb(t, p, "e_breve", E)
			}
			for j := range bEB[qi] {
				bEB[qi][j] = bEb(j)
			}
			check("inst_e", st("inst_e"), gp.InstE, bInst)
			check("e_breve", st("e_breve"), gp.EBreve, bEb)
			check("v", st("v"), gp.V, func(j int) float64 {
				if !prospective {
					return bInst(j)
				}
				dtr := net.Dt / gp.TauR[i(j)]
				return dtr*bInst(j) + 0.5*lsb(t, p, "dt_tau_r", 0)*(dv(j)+bInst(j)) + 0.5*lsb(t, p, "v", E)
			})
			bDu := func(j int) float64 { return lsb(t, p, "u", S) + gamma*bEb(j) }
			du := func(j int) float64 { return math.Abs(gp.UDot[j] * gp.TauM[i(j)]) }
			bUB := func(j int) float64 {
				return gp.TauR[i(j)]/gp.TauM[i(j)]*bDu(j) + 0.5*lsb(t, p, "tau_r_tau_m", 0)*(du(j)+bDu(j)) + 0.5*lsb(t, p, "u_breve", S)
			}
			check("u_breve", st("u_breve"), gp.UBreve, bUB)
			check("u", st("u"), gp.U, func(j int) float64 {
				return net.Dt/gp.TauM[i(j)]*bDu(j) + 0.5*lsb(t, p, "dt_tau_m", 0)*(du(j)+bDu(j)) + 0.5*lsb(t, p, "u", S)
			})
			check("r", st("r"), gp.R, func(j int) float64 {
				if !table {
					return bUB(j) + 0.5*lsb(t, p, "r", R)
				}
				return lipPhi*(bUB(j)+0.5*lsb(t, p, "phi_in", 0)) + ePhi
			})
			check("r_prime", st("r_prime"), gp.RPrime, func(j int) float64 {
				if !table {
					return 0
				}
				return lipPhiP*(bUB(j)+0.5*lsb(t, p, "phi_in", 0)) + ePhiP
			})
		}
		// ε_in of the next step: Σ over outgoing projections of Wᵀĕ (the bus rounds
		// half-even: ½ LSB; stochastically: less than 1 LSB).
		busErr := 0.5
		if mustVar(t, p, "err_bus").Rounding == fixedpoint.Stochastic {
			busErr = 1
		}
		// The bus LSB of the step: the block bus's shift (the static bus: err_bus's LSB).
		busLSB := map[string]float64{}
		for _, x := range c.ErrorBusExponents() {
			busLSB[x.Population] = math.Ldexp(1, x.LSBExp)
		}
		for qi, q := range p.Populations {
			if q.Role == chip.RoleInput {
				continue
			}
			gp := g.Populations[qi]
			want := make([]float64, C*q.Size)
			bound := make([]float64, C*q.Size)
			for _, pr := range gp.Outgoing {
				tq := p.Populations[pr.Target.Index]
				for k := range C {
					for jj := range q.Size {
						want[k*q.Size+jj] += pr.EBottom[k*q.Size+jj]
						for ii := range tq.Size {
							bound[k*q.Size+jj] += math.Abs(pr.W[ii*q.Size+jj]) * (bEB[pr.Target.Index][k*tq.Size+ii] + busErr*busLSB[tq.Name])
						}
					}
				}
			}
			got, _ := c.State(qi, "eps_in", nil)
			for j := range want {
				b := bound[j] + 0.5*lsb(t, p, "eps_in", q.ErrorExp)
				if d := math.Abs(got[j] - want[j]); d > b*(1+1e-9)+1e-12 {
					t.Errorf("trial %d: %s eps_in[%d]: chip %.9g, gle %.9g, |diff| %.3g > bound %.3g", trial, q.Name, j, got[j], want[j], d, b)
				} else if b > 0 {
					worst["eps_in"] = max(worst["eps_in"], d/b)
				}
			}
		}
	}
	t.Logf("largest |chip − gle| as a fraction of its bound: %v", worst)
}

func mustVar(t testing.TB, p *chip.Program, name string) fixedpoint.Var {
	v, ok := p.Config.Formats.Lookup(name)
	if !ok {
		t.Fatalf("no format %s", name)
	}
	return v
}
