package chip

import (
	"math"
	"math/bits"

	"github.com/glemu/glemu/fixedpoint"
)

// On-chip learning. Every parameter θ (weights in w_mem, biases in b, τm in tau_m)
// learns from a gradient g formed as the mean over contexts of its local product
// (−ĕ r for weights, −ĕ for biases, ĕ·Δu = dt·∂τm for τm), in the grad format under the
// owner's gradient exponent, then the optimizer, all in fixed point:
//
//	g  = round(−S · (1/C))                 S the exact integer sum over contexts; 1/C a decay register
//	sgd:      θ ← θ + round(−lr · g)
//	momentum: m ← g + round(μ · m);        θ ← θ + round(−lr · m)
//	adam:     m ← m + round((1−β1)(g − m));  v ← v + round((1−β2)(g² − v))
//	          θ ← θ + round(−lr_t · ⌊m·2^K / (⌊√v⌋ + ε_t)⌋)
//
// with lr_t = lr·(bc2/bc1) (rounded half-even to lrtExtra more fraction bits than lr), ε_t = ε·bc2, bc1 = 1 − β1^t, bc2 = √(1 − β2^t), the powers
// β^t kept in decay registers (multiplied by β and rounded half-even once per learning
// step), √ the exact integer square root and the quotient the exact (truncating)
// divider: PyTorch's θ ← θ − (lr/bc1)·m/(√v/bc2 + ε), rearranged so that one division
// per parameter suffices. Each round(·) rounds once into the destination's format with
// its rounding (stochastic for w_mem, adam_m, adam_v: keyed by the parameter's declared
// index) and saturates.

// lrtExtra is the number of fraction bits lr_t keeps beyond the lr register's: the
// bias-corrected rate is a 32-bit register when lr is 16 bits.
const lrtExtra = 16

// adamRatioFrac is the number of fraction bits of Adam's ratio m/(√v + ε).
const adamRatioFrac = 24

// Parameter kinds.
const (
	kindW = iota
	kindB
	kindT
)

var kindNames = [3]string{"w", "b", "tau_m"}

// learnState holds the learning registers that change every learning step.
type learnState struct {
	t      uint64   // learning steps taken: Adam's bias-correction counter
	p1, p2 int64    // β1^t, β2^t (decay)
	invC   int64    // 1/C (decay)
	bc2    int64    // √(1 − β2^t) (decay)
	lrt    [3]int64 // per kind: lr_t = lr mantissa × bc2/bc1 rounded half-even to lr.Frac + lrtExtra fraction bits
	keys   [3][4]uint64
}

// key slots of learnState.keys.
const (
	keyTheta = iota
	keyM
	keyV
	keyG
)

func (l *learnState) reset(c *Chip) {
	f := &c.f
	one := int64(1) << f.decy.Format.Frac
	l.t = 0
	l.p1, l.p2 = one, one
	l.invC = divRound(one, int64(c.contexts))
	l.bc2 = one
	for k := range 3 {
		theta := []string{"w_mem", "b", "tau_m"}[k]
		l.keys[k] = [4]uint64{
			fixedpoint.VarID(theta), fixedpoint.VarID("adam_m." + kindNames[k]),
			fixedpoint.VarID("adam_v." + kindNames[k]), fixedpoint.VarID("grad." + kindNames[k]),
		}
	}
	l.setRates(c, one)
}

func (l *learnState) setRates(c *Chip, factor int64) {
	lr := &c.prog.Learning
	for k, pl := range [3]*ParamLearning{&lr.Weights, &lr.Biases, &lr.TauM} {
		l.lrt[k] = roundShift(pl.LR.Raw*factor, c.f.decy.Format.Frac-lrtExtra)
	}
}

// begin advances the bias-correction registers for this learning step.
func (l *learnState) begin(c *Chip) {
	f := &c.f
	df := f.decy.Format.Frac
	one := int64(1) << df
	lr := &c.prog.Learning
	l.t++
	if lr.Optimizer != OptAdam {
		l.setRates(c, one)
		return
	}
	l.p1 = roundShift(l.p1*lr.Beta1, df)
	l.p2 = roundShift(l.p2*lr.Beta2, df)
	bc1 := one - l.p1
	l.bc2 = isqrt((one - l.p2) << df)
	factor := (l.bc2 << df) / bc1
	l.setRates(c, factor)
}

// isqrt returns ⌊√x⌋ exactly (0 for x ≤ 0).
func isqrt(x int64) int64 {
	if x <= 0 {
		return 0
	}
	r := int64(math.Sqrt(float64(x)))
	for r*r > x {
		r--
	}
	for (r+1)*(r+1) <= x {
		r++
	}
	return r
}

// opt is one parameter array's optimizer context for one learning step.
type opt struct {
	kind       int
	theta      fixedpoint.Var
	thetaExp   int
	gExp       int
	lrFmt      fixedpoint.Format // lr_t
	gFmt       fixedpoint.Format // g scaled into θ's units (SGD)
	mFmt       fixedpoint.Format // m scaled into θ's units (momentum)
	ratioFmt   fixedpoint.Format // Adam's ratio scaled into θ's units
	epsT       int64
	sTheta     fixedpoint.Stream
	sM, sV, sG fixedpoint.Stream
	stoch      [4]bool
}

func (c *Chip) newOpt(kind int, theta fixedpoint.Var, thetaExp, gExp, owner int) opt {
	f := &c.f
	l := &c.learn
	pl := [3]*ParamLearning{&c.prog.Learning.Weights, &c.prog.Learning.Biases, &c.prog.Learning.TauM}[kind]
	o := opt{kind: kind, theta: theta, thetaExp: thetaExp, gExp: gExp}
	o.lrFmt = wide(f.lr.Format.Frac + lrtExtra - pl.LR.Exp)
	o.gFmt = wide(f.grad.Format.Frac - gExp + thetaExp)
	o.mFmt = wide(f.am.Format.Frac - gExp + thetaExp)
	o.ratioFmt = wide(adamRatioFrac + thetaExp)
	if c.prog.Learning.Optimizer == OptAdam {
		// ε_t = ε·bc2 in √v's units (fraction bits av.Frac/2 under exponent gExp).
		o.epsT = f.sqrtV.Rescale(pl.Eps.Raw*l.bc2, f.aeps.Format.Frac-pl.Eps.Exp+f.decy.Format.Frac+gExp, 0, nil)
	}
	o.stoch = [4]bool{theta.Rounding == fixedpoint.Stochastic, f.am.Rounding == fixedpoint.Stochastic,
		f.av.Rounding == fixedpoint.Stochastic, f.grad.Rounding == fixedpoint.Stochastic}
	own := uint64(owner) * 0x9E3779B97F4A7C15
	step := c.steps
	k := &l.keys[kind]
	o.sTheta = fixedpoint.NewStream(c.seed, k[keyTheta]+own, 0, step)
	o.sM = fixedpoint.NewStream(c.seed, k[keyM]+own, 0, step)
	o.sV = fixedpoint.NewStream(c.seed, k[keyV]+own, 0, step)
	o.sG = fixedpoint.NewStream(c.seed, k[keyG]+own, 0, step)
	return o
}

// mean returns the gradient g = −sign·S/C in grad format under o.gExp; S has sFrac
// real fraction bits.
func (c *Chip) mean(o *opt, s int64, sFrac int, idx uint64, cnt *fixedpoint.Counters) int64 {
	var rnd uint64
	if o.stoch[keyG] {
		rnd = o.sG.Draw(idx)
	}
	return c.f.grad.Mul(s, wide(sFrac+o.gExp), c.learn.invC, c.f.decy.Format, rnd, cnt)
}

// step applies the optimizer to parameter θ (raw) with gradient g, moments at *m, *v
// (nil for SGD), and returns the new θ.
func (c *Chip) optStep(o *opt, theta, g int64, m, v *int64, idx uint64, cnt *[numCounted]fixedpoint.Counters, cTheta *fixedpoint.Counters) int64 {
	f := &c.f
	lr := &c.prog.Learning
	k := o.kind
	draw := func(slot int, s fixedpoint.Stream) uint64 {
		if o.stoch[slot] {
			return s.Draw(idx)
		}
		return 0
	}
	switch lr.Optimizer {
	case OptSGD:
		return o.theta.MAC(theta, -c.learn.lrt[k], o.lrFmt, g, o.gFmt, draw(keyTheta, o.sTheta), cTheta)
	case OptMomentum:
		gm := f.am.Rescale(g, f.grad.Format.Frac, 0, &cnt[cntAdamM])
		mm := f.am.MAC(gm, lr.Momentum, f.decy.Format, *m, f.am.Format, draw(keyM, o.sM), &cnt[cntAdamM])
		*m = mm
		return o.theta.MAC(theta, -c.learn.lrt[k], o.lrFmt, mm, o.mFmt, draw(keyTheta, o.sTheta), cTheta)
	}
	// Adam.
	one := int64(1) << f.decy.Format.Frac
	gm := f.am.Rescale(g, f.grad.Format.Frac, 0, &cnt[cntAdamM])
	mm := f.am.MAC(*m, one-lr.Beta1, f.decy.Format, gm-*m, wide(f.am.Format.Frac), draw(keyM, o.sM), &cnt[cntAdamM])
	*m = mm
	gf2 := 2 * f.grad.Format.Frac
	vv := f.av.MAC(*v, one-lr.Beta2, f.decy.Format, g*g-*v<<(gf2-f.av.Format.Frac), wide(gf2), draw(keyV, o.sV), &cnt[cntAdamV])
	*v = vv
	den := isqrt(vv) + o.epsT
	if den <= 0 {
		return theta
	}
	ratio := (mm << (adamRatioFrac + f.av.Format.Frac/2 - f.am.Format.Frac)) / den
	return o.theta.MAC(theta, -c.learn.lrt[k], o.lrFmt, ratio, o.ratioFmt, draw(keyTheta, o.sTheta), cTheta)
}

// learnBlock forms the gradient of block b's rows i0…i1−1 (the exact sum over contexts
// of ĕ_bus r_bus, then the mean) and applies the optimizer to their synapses; cells
// whose weight memory changed are rewritten. ea and rb are the part's scratch (C × rows,
// C × cols).
func (c *Chip) learnBlock(tl *tile, b *block, i0, i1 int, ea, rb []int16) {
	f := &c.f
	C := c.contexts
	tgt, src := b.p.tgt, b.p.src
	nr := i1 - i0
	for k := range C {
		e := tgt.errBus[k*tgt.size+b.row0:]
		copy(ea[k*nr:(k+1)*nr], e[i0:i1])
		copy(rb[k*b.cols:(k+1)*b.cols], src.rateBus[k*src.size+b.col0:k*src.size+b.col0+b.cols])
	}
	gs := b.gsum
	fixedpoint.OuterSum(gs[i0*b.cols:i1*b.cols], b.cols, ea[:C*nr], rb[:C*b.cols], C)
	sFrac := c.busFrac(tgt) - tgt.eExp + f.rateBus.Format.Frac - src.rExp
	o := c.newOpt(kindW, f.wMem, b.p.wExp, b.p.gExp, b.p.idx)
	pl := c.optPlan(&o, sFrac)
	fast := pl.ok && !c.reference
	cnt := &tl.cnt
	sx := fixedpoint.NewStream(c.seed, streamKey("w", b.p.idx), 0, c.steps)
	stochX := f.w.Rounding == fixedpoint.Stochastic
	// The crossbar write inlined: stochastic rounding of w_mem into w, no analog effects.
	dX := uint(f.wMem.Format.Frac - f.w.Format.Frac)
	fastX := stochX && f.w.Overflow == fixedpoint.Saturate && dX >= 1 && dX <= 62 && !c.reference &&
		c.analog.WeightBits == 0 && c.analog.WeightWriteSigma == 0
	wSat := rangeOf(f.w)
	ssize := uint64(src.size)
	if fast && pl.kind == OptAdam && b.opt.m != nil && b.opt.v != nil {
		c.learnBlockAdam(tl, b, i0, i1, &pl, &o, sx, fastX, dX)
		return
	}
	var mp, vp *int64
	var rT, rM, rV uint64
	for i := i0; i < i1; i++ {
		base := uint64(b.row0+i)*ssize + uint64(b.col0)
		for j := range b.cols {
			k := i*b.cols + j
			idx := base + uint64(j)
			if b.opt.m != nil {
				mp = &b.opt.m[k]
			}
			if b.opt.v != nil {
				vp = &b.opt.v[k]
			}
			var w int64
			if fast {
				if !pl.heT {
					rT = o.sTheta.Draw(idx)
				}
				if mp != nil && !pl.heM {
					rM = o.sM.Draw(idx)
				}
				if vp != nil && !pl.heV {
					rV = o.sV.Draw(idx)
				}
				w = pl.step(b.wMem[k], -gs[k], mp, vp, rT, rM, rV, cnt, &cnt[cntWMem].Saturations)
			} else {
				g := c.mean(&o, -gs[k], sFrac, idx, &cnt[cntGrad])
				w = c.optStep(&o, b.wMem[k], g, mp, vp, idx, cnt, &cnt[cntWMem])
			}
			if w == b.wMem[k] {
				continue
			}
			b.wMem[k] = w
			if fastX {
				b.wX[k] = int16(wSat.clamp((w+int64(sx.Draw(idx)>>(64-dX)))>>dX, &cnt[cntW].Saturations))
				continue
			}
			var rnd uint64
			if stochX {
				rnd = sx.Draw(idx)
			}
			x := f.w.Rescale(w, f.wMem.Format.Frac, rnd, &cnt[cntW])
			b.wX[k] = int16(c.analogWrite(b, k, x, c.steps, &cnt[cntW]))
		}
	}
}

// learnBlockAdam is learnBlock's fast path for Adam on rows i0…i1−1: the vector kernel
// (kernelRow) a row at a time, or adamRow on rows of 64, then the crossbar cells of the
// synapses whose weight memory changed are rewritten.
func (c *Chip) learnBlockAdam(tl *tile, b *block, i0, i1 int, pl *optPlan, o *opt, sx fixedpoint.Stream, fastX bool, dX uint) {
	f := &c.f
	cnt := &tl.cnt
	cT := &cnt[cntWMem].Saturations
	var old [adamRowMax]int64
	var den [64]int64
	wSat := rangeOf(f.w)
	ssize := uint64(b.p.src.size)
	// write rewrites cell k of the block (declared index idx) for weight memory w.
	write := func(k int, idx uint64, w int64) {
		if fastX {
			b.wX[k] = int16(wSat.clamp((w+int64(sx.Draw(idx)>>(64-dX)))>>dX, &cnt[cntW].Saturations))
			return
		}
		var rnd uint64
		if f.w.Rounding == fixedpoint.Stochastic {
			rnd = sx.Draw(idx)
		}
		x := f.w.Rescale(w, f.wMem.Format.Frac, rnd, &cnt[cntW])
		b.wX[k] = int16(c.analogWrite(b, k, x, c.steps, &cnt[cntW]))
	}
	if pl.adamVector() && !c.reference {
		var args adamArgs
		pl.args(&args, o.sTheta, o.sM, o.sV)
		if fastX {
			args.sX, args.dX, args.srX, args.xLo, args.xHi = uint64(sx), int64(dX), int64(64-dX), wSat.lo, wSat.hi
		}
		// A block as wide as its source's rate bus has consecutive declared indices
		// across its rows (row·size + column): its rows run as one, in calls of
		// adamRowMax synapses rather than one short call per row.
		rows, cols := i1-i0, b.cols
		if uint64(b.cols) == ssize && b.col0 == 0 {
			rows, cols = 1, (i1-i0)*b.cols
		}
		for r := range rows {
			i := i0 + r
			base := uint64(b.row0+i)*ssize + uint64(b.col0)
			for j0 := 0; j0 < cols; j0 += adamRowMax {
				n := min(adamRowMax, cols-j0)
				k0 := i*b.cols + j0
				idx0 := base + uint64(j0)
				th, gs, m, v := b.wMem[k0:k0+n], b.gsum[k0:k0+n], b.opt.m[k0:k0+n], b.opt.v[k0:k0+n]
				args.wx = nil
				if fastX {
					args.wx = &b.wX[k0]
				} else {
					copy(old[:n], th)
				}
				fail, failB := pl.kernelRow(&args, th, gs, m, v, idx0, cnt, cT)
				for g := range (n + 7) / 8 {
					for fb := fail[g] | failB[g]; fb != 0; fb &= fb - 1 {
						j := 8*g + bits.TrailingZeros8(fb)
						w, idx := th[j], idx0+uint64(j)
						if fail[g]&(1<<(j%8)) != 0 {
							pl.adamRow(th[j:j+1], gs[j:j+1], m[j:j+1], v[j:j+1], den[:1], idx, o.sTheta, o.sM, o.sV, cnt, cT)
						} else {
							pl.adamTheta(th[j:j+1], m[j:j+1], v[j:j+1], den[:1], idx, o.sTheta, cT)
						}
						if fastX && th[j] != w {
							write(k0+j, idx, th[j])
						}
					}
				}
				if !fastX {
					for j, w := range th {
						if w != old[j] {
							write(k0+j, idx0+uint64(j), w)
						}
					}
				}
			}
		}
		return
	}
	for i := i0; i < i1; i++ {
		base := uint64(b.row0+i)*ssize + uint64(b.col0)
		for j0 := 0; j0 < b.cols; j0 += 64 {
			n := min(64, b.cols-j0)
			k0 := i*b.cols + j0
			idx0 := base + uint64(j0)
			th := b.wMem[k0 : k0+n]
			copy(old[:n], th)
			pl.adamRow(th, b.gsum[k0:k0+n], b.opt.m[k0:k0+n], b.opt.v[k0:k0+n], den[:n], idx0, o.sTheta, o.sM, o.sV, cnt, cT)
			for j, w := range th {
				if w != old[j] {
					write(k0+j, idx0+uint64(j), w)
				}
			}
		}
	}
}

// neuronGradients sums, over contexts k0…k1−1, the bias and τm gradient products of
// neurons lo…hi−1 of q into bSum, tSum: Σ ĕ (full precision) and Σ ĕ_bus·Δu.
func (c *Chip) neuronGradients(q *pop, lo, hi, k0, k1 int, bSum, tSum []int64) {
	if tSum == nil { // the block error bus: phaseErrBus sums the τm gradients
		clear(bSum[lo:hi])
		for k := k0; k < k1; k++ {
			off := k * q.size
			for i := lo; i < hi; i++ {
				bSum[i] += q.eb[off+i]
			}
		}
		return
	}
	for i := lo; i < hi; i++ {
		bSum[i], tSum[i] = 0, 0
	}
	for k := k0; k < k1; k++ {
		off := k * q.size
		for i := lo; i < hi; i++ {
			bSum[i] += q.eb[off+i]
			tSum[i] += int64(q.errBus[off+i]) * q.du[off+i]
		}
	}
}

// learnNeurons updates the biases and τm of neurons lo…hi−1 of q (learning on); it
// reports whether a τm changed (the caller counts the run's divisions).
func (c *Chip) learnNeurons(tl *tile, q *pop, lo, hi int) (changed bool) {
	f := &c.f
	lr := &c.prog.Learning
	cnt := &tl.cnt
	if lr.Biases.On && q.bias {
		o := c.newOpt(kindB, f.b, q.sExp, q.gbExp, q.idx)
		sFrac := f.eB.Format.Frac - q.eExp
		pl := c.optPlan(&o, sFrac)
		vec := c.adamParams(&pl, &o, q.b, q.bSum, true, q.bOpt.m, q.bOpt.v, lo, hi, cnt, &cnt[cntB].Saturations)
		for i := lo; i < hi && !vec; i++ {
			if pl.ok && !c.reference {
				q.b[i] = pl.stepAt(&o, q.b[i], -q.bSum[i], at(q.bOpt.m, i), at(q.bOpt.v, i), uint64(i), cnt, &cnt[cntB].Saturations)
				continue
			}
			g := c.mean(&o, -q.bSum[i], sFrac, uint64(i), &cnt[cntGrad])
			q.b[i] = c.optStep(&o, q.b[i], g, at(q.bOpt.m, i), at(q.bOpt.v, i), uint64(i), cnt, &cnt[cntB])
		}
	}
	if lr.TauM.On {
		o := c.newOpt(kindT, f.tau, 0, q.gtExp, q.idx)
		sFrac := c.busFrac(q) - q.eExp + f.u.Format.Frac - q.sExp
		pl := c.optPlan(&o, sFrac)
		var old [adamRowMax]int64
		rest := lo // the first τm the vector kernel did not step
		for j0 := lo; j0 < hi; j0 += adamRowMax {
			j1 := min(j0+adamRowMax, hi)
			copy(old[:j1-j0], q.tauM[j0:j1])
			if !c.adamParams(&pl, &o, q.tauM, q.tSum, false, q.tOpt.m, q.tOpt.v, j0, j1, cnt, &cnt[cntTau].Saturations) {
				break
			}
			for i := j0; i < j1; i++ {
				t := max(q.tauM[i], lr.TauMMin)
				q.tauM[i] = t
				if t != old[i-j0] {
					c.deriveConstants(q, i, i+1, cnt)
					changed = true
				}
			}
			rest = j1
		}
		for i := rest; i < hi; i++ {
			var t int64
			if pl.ok && !c.reference {
				t = pl.stepAt(&o, q.tauM[i], q.tSum[i], at(q.tOpt.m, i), at(q.tOpt.v, i), uint64(i), cnt, &cnt[cntTau].Saturations)
			} else {
				g := c.mean(&o, q.tSum[i], sFrac, uint64(i), &cnt[cntGrad])
				t = c.optStep(&o, q.tauM[i], g, at(q.tOpt.m, i), at(q.tOpt.v, i), uint64(i), cnt, &cnt[cntTau])
			}
			t = max(t, lr.TauMMin)
			if t != q.tauM[i] {
				q.tauM[i] = t
				c.deriveConstants(q, i, i+1, cnt)
				changed = true
			}
		}
	}
	return changed
}

// stepAt is step with the draws of parameter idx taken from o's streams where the
// rounding is stochastic; s is the gradient sum with the sign of −∂θ.
func (p *optPlan) stepAt(o *opt, theta, s int64, m, v *int64, idx uint64, cnt *[numCounted]fixedpoint.Counters, cT *uint64) int64 {
	var rT, rM, rV uint64
	if !p.heT {
		rT = o.sTheta.Draw(idx)
	}
	if m != nil && !p.heM {
		rM = o.sM.Draw(idx)
	}
	if v != nil && !p.heV {
		rV = o.sV.Draw(idx)
	}
	return p.step(theta, s, m, v, rT, rM, rV, cnt, cT)
}

func at(s []int64, i int) *int64 {
	if s == nil {
		return nil
	}
	return &s[i]
}
