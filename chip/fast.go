package chip

import (
	"math"
	"math/bits"

	"github.com/glemu/glemu/fixedpoint"
)

// Fast twins of the hot loops. neurons (neuron.go) and optStep (learn.go) express every
// rounding with fixedpoint's Var arithmetic, for any table; the twins below inline the
// same arithmetic for the default policies (half-even and saturate in the neuron,
// stochastic rounding in the optimizer) and are used when the table has them. Tests
// (fast_test.go) check that each twin agrees with its reference bit for bit, counters
// included, on random and extreme states.

// sat is a saturating range with its counter.
type sat struct{ lo, hi int64 }

// rhe returns x·2^−d rounded half-even (d ≥ 1), x·2^−d exactly (d ≤ 0, |x·2^−d| < 2^63
// assumed by the caller's format checks is not: see shl), saturated to s.
func (s sat) rescale(x int64, d int, c *uint64) int64 {
	switch {
	case d > 0:
		q := x >> d
		rem := x & (1<<d - 1)
		half := int64(1) << (d - 1)
		if rem > half || rem == half && q&1 != 0 {
			q++
		}
		x = q
	case d < 0:
		sh := -d
		if x > s.hi>>sh || x < -((-s.lo)>>sh) {
			*c++
			if x > 0 {
				return s.hi
			}
			return s.lo
		}
		return x << sh
	}
	if x > s.hi {
		*c++
		return s.hi
	}
	if x < s.lo {
		*c++
		return s.lo
	}
	return x
}

// rhe returns x·2^−d rounded half-even, d ≥ 1, |x| < 2^62.
func rhe(x int64, d uint) int64 { return (x + 1<<(d-1) - 1 + (x>>d)&1) >> d }

// clamp saturates x to s, counting in c.
func (s sat) clamp(x int64, c *uint64) int64 {
	if x > s.hi {
		*c++
		return s.hi
	}
	if x < s.lo {
		*c++
		return s.lo
	}
	return x
}

// rs is rescale with its common case (1 ≤ d ≤ 62, |x| < 2^62: rhe's domain) written
// out; the rest goes to rescale, so rs equals rescale for every input. (Go does not
// inline it: loops that need that hoist the check and call rhe themselves.)
func (s sat) rs(x int64, d int, c *uint64) int64 {
	if d > 0 && d <= 62 && x < 1<<62 && x > -1<<62 {
		return s.clamp(rhe(x, uint(d)), c)
	}
	return s.rescale(x, d, c)
}

func rangeOf(v fixedpoint.Var) sat { return sat{v.Format.Min(), v.Format.Max()} }

// neuronPlan holds what neuronsFast needs of the formats; fast reports whether the
// table's policies allow the fast path.
type neuronPlan struct {
	fast                                   bool
	eps, inst, eB, v, u, uB, phiIn, errBus sat
	dInst, dEBP, dV, dEBI, dVI, dErr       int
	dS, dGE, dUB, dU, dPhi                 int
	errSR                                  bool // ĕ rounds onto the bus stochastically
	dBack                                  int  // Σ Wᵀĕ into eps_in
	fastBack                               bool // |dBack| ≤ 62 and eps_in half-even, saturating
	fmr, fdtr, frm, fdtm                   int
}

func (c *Chip) plan(q *pop) neuronPlan {
	f := &c.f
	he := func(vs ...fixedpoint.Var) bool {
		for _, v := range vs {
			if v.Rounding != fixedpoint.HalfEven || v.Overflow != fixedpoint.Saturate {
				return false
			}
		}
		return true
	}
	p := neuronPlan{fast: he(f.eps, f.inst, f.eB, f.v, f.u, f.uB, f.phiIn)}
	// The error bus may round half-even or stochastically.
	p.errSR = f.errBus.Rounding == fixedpoint.Stochastic
	if f.errBus.Overflow != fixedpoint.Saturate || !p.errSR && f.errBus.Rounding != fixedpoint.HalfEven {
		p.fast = false
	}
	p.eps, p.inst, p.eB, p.v = rangeOf(f.eps), rangeOf(f.inst), rangeOf(f.eB), rangeOf(f.v)
	p.u, p.uB, p.phiIn, p.errBus = rangeOf(f.u), rangeOf(f.uB), rangeOf(f.phiIn), rangeOf(f.errBus)
	p.fmr, p.fdtr, p.frm, p.fdtm = f.mr.Format.Frac, f.dtr.Format.Frac, f.rm.Format.Frac, f.dtm.Format.Frac
	vFrac, uFrac := f.v.Format.Frac, f.u.Format.Frac
	p.dInst = f.rp.Format.Frac + f.eps.Format.Frac - f.inst.Format.Frac
	p.dEBP = vFrac + p.fmr - f.eB.Format.Frac
	p.dV = vFrac + p.fdtr - vFrac
	p.dEBI = vFrac - f.eB.Format.Frac
	p.dVI = 0
	p.dErr = f.eB.Format.Frac - f.errBus.Format.Frac
	p.dS = q.sumFrac + q.sExp - uFrac
	p.dGE = q.gammaFrac + f.eB.Format.Frac - q.eExp + q.sExp - uFrac
	p.dUB = uFrac + p.frm - f.uB.Format.Frac
	p.dU = uFrac + p.fdtm - uFrac
	p.dPhi = f.uB.Format.Frac - q.sExp - f.phiIn.Format.Frac
	// The fast loop inlines right shifts only.
	for _, d := range []int{p.dInst, p.dEBP, p.dV, p.dErr, p.dUB, p.dU} {
		if d < 1 || d > 62 {
			p.fast = false
		}
	}
	// s may need no rounding (dS = 0: the compiler's scales can line Σ W r up with u).
	if p.dS < 0 || p.dS > 62 {
		p.fast = false
	}
	if q.gamma != 0 && (p.dGE < 1 || p.dGE > 62) || !q.comparator && (p.dPhi < 1 || p.dPhi > 62) || p.dEBI != 0 {
		p.fast = false
	}
	return p
}

// neuronsFast is neurons for half-even, saturating formats, contexts k0…k1−1. Each
// context runs two
// passes over the neurons, the error neuron and then the membrane with φ and φ′, with
// the formats' shifts and ranges in locals and the saturation counts summed locally.
// With the block error bus it does not form err_bus (phaseErrBus does) and returns the
// OR of every |ĕ| it formed (busOr's value), else 0.
func (c *Chip) neuronsFast(tl *tile, q *pop, lo, hi, k0, k1, part int) uint64 {
	p := &q.plan
	cnt := &tl.cnt
	prospective := c.prog.Errors == ErrorsProspective
	noise := c.analog.UNoiseSigma != 0
	adjust := q.phiAdjust
	gamma := q.gamma
	n := hi - lo
	// Per-neuron constants and per-context slices of exactly n values, indexed from 0,
	// so that the compiler drops the bounds checks.
	mrN, dtrN, rmN, dtmN := q.mr[lo:hi], q.dtr[lo:hi], q.rm[lo:hi], q.dtm[lo:hi]
	var bN []int64
	if q.bias {
		bN = q.b[lo:hi]
	}
	nIn := len(q.in)
	packed := q.memoPacked
	inMin := c.f.phiIn.Format.Min()
	units := phiUnits{
		packed: packed, memo: q.memoPhi, memoP: q.memoPhiP, memoSat: q.memoSat, inMin: inMin,
		ident: q.act == fixedpoint.Identity && q.identD >= 1 && q.identD <= 62, identD: uint(q.identD),
		rSat: sat{q.phi.Out.Min(), q.phi.Out.Max()}, one: int64(1) << c.f.rp.Format.Frac,
		phi: q.phi, phiP: q.phiP, cR: &cnt[cntR], cRP: &cnt[cntRP],
	}
	errKey := streamKey(c.f.errBus.Name, q.idx)
	var shift0 int
	if nIn > 0 {
		shift0 = q.in[0].shift
	}
	biasShift := q.biasShift
	errSR := p.errSR
	epsR, instR, eBR, vR, uR, uBR, phiR, errR := p.eps, p.inst, p.eB, p.v, p.u, p.uB, p.phiIn, p.errBus
	dInst, dEBP, dV, dErr := uint(p.dInst), uint(p.dEBP), uint(p.dV), uint(p.dErr)
	dS, dGE, dUB, dU, dPhi := uint(p.dS), uint(p.dGE), uint(p.dUB), uint(p.dU), uint(p.dPhi)
	fmr, fdtr, frm, fdtm := uint(p.fmr), uint(p.fdtr), uint(p.frm), uint(p.fdtm)
	srShift := uint(64 - p.dErr)
	comparator := q.comparator
	var sEps, sInst, sEB, sV, sU, sUB, sPhi, sErr, sR, sRP uint64
	var na neuronArgs
	errK, memK := c.neuronArgsFor(&na, q, lo, hi)
	var xs [neuronRowMax]int64
	// The gradient sums over contexts: added by the kernels when both run, else by
	// neuronGradients after the loop, into the part's sums. With the block error bus
	// the τm sums (of the bus) are phaseErrBus's.
	blockBus := c.busAfter >= 0
	var ebOr uint64
	learnB := c.learnOn && c.prog.Learning.Biases.On && q.bias
	learnT := c.learnOn && c.prog.Learning.TauM.On && !blockBus
	fused := errK && memK && (learnB || learnT)
	if fused {
		clear(q.bSumP[part][lo:hi])
		clear(q.tSumP[part][lo:hi])
	}
	var fwd *block // the forward sums' block, read in place (fwdDirect)
	if memK {
		fwd = c.fwdDirect(q, lo, hi)
	}
	var bsum, tsum *int64
	if fused && learnB {
		bsum = &q.bSumP[part][lo]
	}
	if fused && learnT {
		tsum = &q.tSumP[part][lo]
	}
	// All the contexts' rows in one call of each kernel when neither needs a row's own
	// stream or the Go units between them (neuronArgs.rows): the error neuron of every
	// row first, then the membranes, which overwrite r′ in place after it was read.
	unitsK := packed != nil || units.memo == nil && units.ident
	kRow := k0 // the first context the row loop below steps
	if errK && memK && !adjust && unitsK && (!errSR || blockBus) && k1-k0 > 1 {
		off := k0*q.size + lo
		na.eps, na.rp, na.v, na.mr, na.dtr = &q.eps[off], &q.rp[off], &q.v[off], &mrN[0], &dtrN[0]
		na.inst, na.eb, na.errS, na.estar = &q.inst[off], &q.eb[off], &q.errBus[off], nil
		if q.estar != nil {
			na.estar = &q.estar[off]
		}
		na.base, na.bsum = 0, bsum
		na.rows, na.stride = int64(k1-k0), int64(q.size)
		neuronErrorKernel(&na)
		na.acc, na.b, na.accStride = nil, nil, 0
		switch {
		case fwd != nil:
			na.acc, na.accStride = &fwd.fwd[k0*fwd.rows+lo-fwd.row0], int64(fwd.rows)
		case nIn > 0:
			na.acc, na.accStride = &q.accIn[0][off], int64(q.size)
		}
		if bN != nil {
			na.b = &bN[0]
		}
		na.u, na.ub, na.du, na.x, na.rm, na.dtm = &q.u[off], &q.ub[off], &q.du[off], &xs[0], &rmN[0], &dtmN[0]
		na.tsum, na.errS = tsum, &q.errBus[off]
		na.packed, na.packed32, na.ident, na.rNext, na.rpNext = nil, nil, 0, &q.r[off], &q.rp[off]
		if packed != nil {
			na.packed, na.inMin = &packed[0], inMin
			if q.memoPacked32 != nil {
				na.packed32 = &q.memoPacked32[0]
			}
		} else {
			na.ident, na.identD, na.hIdent = 1, int64(units.identD), 1<<(units.identD-1)-1
			na.rLo, na.rHi, na.one = units.rSat.lo, units.rSat.hi, units.one
		}
		na.rows = int64(k1 - k0)
		neuronMembraneKernel(&na)
		kRow = k1
	}
	for k := kRow; k < k1; k++ {
		off := k*q.size + lo
		var errStream fixedpoint.Stream
		if errSR && !blockBus {
			errStream = fixedpoint.NewStream(c.seed, errKey, uint64(k), c.steps)
		}
		eps := q.eps[off : off+n]
		rp := q.rp[off : off+n]
		vs := q.v[off : off+n]
		instS, ebS, errS := q.inst[off:off+n], q.eb[off:off+n], q.errBus[off:off+n]

		// Error neuron.
		var estar []int64
		if q.estar != nil {
			estar = q.estar[off : off+n]
		}
		if errK {
			na.eps, na.rp, na.v, na.mr, na.dtr = &eps[0], &rp[0], &vs[0], &mrN[0], &dtrN[0]
			na.inst, na.eb, na.errS, na.estar = &instS[0], &ebS[0], &errS[0], nil
			if estar != nil {
				na.estar = &estar[0]
			}
			na.base = uint64(errStream)
			na.bsum = bsum
			neuronErrorKernel(&na)
		}
		for ii := range n {
			if errK {
				break
			}
			e := eps[ii]
			if estar != nil {
				e = epsR.clamp(e+estar[ii], &sEps)
			}
			inst := instR.clamp(rhe(rp[ii]*e, dInst), &sInst)
			v := vs[ii]
			var eb, vNew int64
			if prospective {
				dv := inst - v
				eb = eBR.clamp(rhe(v<<fmr+mrN[ii]*dv, dEBP), &sEB)
				vNew = vR.clamp(rhe(v<<fdtr+dtrN[ii]*dv, dV), &sV)
			} else {
				eb = eBR.clamp(inst, &sEB)
				vNew = vR.clamp(inst, &sV)
			}
			instS[ii], ebS[ii], vs[ii] = inst, eb, vNew
			if blockBus {
				ebOr |= uint64(eb) ^ uint64(eb>>63) - uint64(eb>>63) // |ĕ|
			} else if errSR {
				errS[ii] = int16(errR.clamp((eb+int64(errStream.Draw(uint64(lo+ii))>>srShift))>>dErr, &sErr))
			} else {
				errS[ii] = int16(errR.clamp(rhe(eb, dErr), &sErr))
			}
		}

		// Membrane: s = Σ W r + b, aligned by left shifts, one rounding into u; φ, φ′.
		us := q.u[off : off+n]
		ubS, duS := q.ub[off:off+n], q.du[off:off+n]
		// The new rates in place: the row's r′ was read by the error neuron above.
		rNext, rpNext := q.r[off:off+n], q.rp[off:off+n]
		var acc0i []int32
		if nIn > 0 && fwd == nil {
			acc0i = q.accIn[0][off : off+n]
		}
		if memK {
			na.acc, na.b = nil, nil
			if fwd != nil {
				na.acc = &fwd.fwd[k*fwd.rows+lo-fwd.row0]
			} else if acc0i != nil {
				na.acc = &acc0i[0]
			}
			if bN != nil {
				na.b = &bN[0]
			}
			na.u, na.ub, na.du, na.x, na.rm, na.dtm = &us[0], &ubS[0], &duS[0], &xs[0], &rmN[0], &dtmN[0]
			na.tsum, na.errS = tsum, &errS[0]
			na.packed, na.packed32, na.ident = nil, nil, 0
			switch {
			case adjust:
			case packed != nil:
				na.packed, na.inMin, na.rNext, na.rpNext = &packed[0], inMin, &rNext[0], &rpNext[0]
				if q.memoPacked32 != nil {
					na.packed32 = &q.memoPacked32[0]
				}
			case units.memo == nil && units.ident:
				na.ident, na.identD, na.hIdent = 1, int64(units.identD), 1<<(units.identD-1)-1
				na.rLo, na.rHi, na.one = units.rSat.lo, units.rSat.hi, units.one
				na.rNext, na.rpNext = &rNext[0], &rpNext[0]
			}
			neuronMembraneKernel(&na)
			if na.packed != nil || na.ident != 0 {
				continue
			}
			for ii, x := range xs[:n] {
				if adjust {
					x = c.phiInput(q, lo+ii, x, &cnt[cntPhiIn])
				}
				rNext[ii], rpNext[ii] = units.eval(x, &sR, &sRP)
			}
			continue
		}
		for ii := range n {
			var sum int64
			switch nIn {
			case 0:
			case 1:
				sum = int64(acc0i[ii]) << shift0
			default:
				for pi, x := range q.in {
					sum += int64(q.accIn[pi][off+ii]) << x.shift
				}
			}
			if bN != nil {
				sum += bN[ii] << biasShift
			}
			s := sum
			if dS > 0 {
				s = rhe(sum, dS)
			}
			s = uR.clamp(s, &sU)
			if gamma != 0 {
				s += uR.clamp(rhe(gamma*ebS[ii], dGE), &sU)
			}
			u := us[ii]
			du := s - u
			ub := uBR.clamp(rhe(u<<frm+rmN[ii]*du, dUB), &sUB)
			uNew := uR.clamp(rhe(u<<fdtm+dtmN[ii]*du, dU), &sU)
			if noise {
				uNew = c.uNoise(q, k, lo+ii, uNew, &cnt[cntU])
			}
			ubS[ii], us[ii], duS[ii] = ub, uNew, uNew-u

			x := ub
			if !comparator {
				x = phiR.clamp(rhe(ub, dPhi), &sPhi)
			}
			if adjust {
				x = c.phiInput(q, lo+ii, x, &cnt[cntPhiIn])
			}
			rNext[ii], rpNext[ii] = units.eval(x, &sR, &sRP)
		}
	}
	na.addCounts(cnt)
	cnt[cntEps].Saturations += sEps
	cnt[cntInst].Saturations += sInst
	cnt[cntEB].Saturations += sEB
	cnt[cntV].Saturations += sV
	cnt[cntU].Saturations += sU
	cnt[cntUB].Saturations += sUB
	cnt[cntPhiIn].Saturations += sPhi
	cnt[cntErrBus].Saturations += sErr
	cnt[cntR].Saturations += sR
	cnt[cntRP].Saturations += sRP
	switch {
	case fused || !learnB && !learnT:
	case blockBus:
		c.neuronGradients(q, lo, hi, k0, k1, q.bSumP[part], nil)
	default:
		c.neuronGradients(q, lo, hi, k0, k1, q.bSumP[part], q.tSumP[part])
	}
	return ebOr | na.ebOr
}

// mulShiftQ is mulShift without branches on the operands: the signed 128-bit product
// by one unsigned multiply and two corrections, the rounding increment added, an
// arithmetic shift, and a check that the result fits (1 ≤ d ≤ 62).
func mulShiftQ(a, b int64, d int, rnd uint64, he bool) (int64, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	hi -= uint64(a>>63)&uint64(b) + uint64(b>>63)&uint64(a)
	var inc uint64
	if he {
		inc = 1<<(d-1) - 1 + (lo>>d)&1
	} else {
		inc = rnd >> (64 - d)
	}
	lo, c := bits.Add64(lo, inc, 0)
	hi += c
	q := int64(lo>>d | hi<<(64-d))
	if int64(hi)>>d != q>>63 {
		if int64(hi) < 0 {
			return -1, false
		}
		return 1, false
	}
	return q, true
}

// mulShift returns ⌊(a·b + ⌊rnd/2^(64−d)⌋)/2^d⌋ for 1 ≤ d ≤ 62 (stochastic rounding of
// the exact 128-bit product), or a·b·2^−d rounded half-even when he is set. ok is false
// when the result does not fit an int64; q is then ±1, the result's sign.
func mulShift(a, b int64, d int, rnd uint64, he bool) (q int64, ok bool) {
	neg := (a < 0) != (b < 0)
	ua, ub := uint64(a), uint64(b)
	if a < 0 {
		ua = -ua
	}
	if b < 0 {
		ub = -ub
	}
	hi, lo := bits.Mul64(ua, ub)
	if neg { // two's complement of the 128-bit product
		lo = -lo
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	// Now (hi, lo) is the signed product. Add the rounding increment below bit d.
	var inc uint64
	if he {
		inc = 1<<(d-1) - 1
		// ties to even: add one more when bit d of the product is 1
		if (lo>>d)&1 == 1 {
			inc++
		}
	} else {
		inc = rnd >> (64 - d)
	}
	lo2, carry := bits.Add64(lo, inc, 0)
	hi2 := hi + carry
	// Arithmetic shift right by d of (hi2, lo2).
	rlo := lo2>>d | hi2<<(64-d)
	rhi := uint64(int64(hi2) >> d)
	if rhi != uint64(int64(rlo)>>63) {
		if int64(rhi) < 0 {
			return -1, false
		}
		return 1, false
	}
	return int64(rlo), true
}

// optPlan is the fast optimizer's view of one parameter array for one learning step.
type optPlan struct {
	ok                 bool // the fast path applies
	kind               OptimizerKind
	grad, m, v, theta  sat
	heG, heM, heV, heT bool // half-even (else stochastic)
	invC               int64
	dG                 int   // g = S·invC·2^−dG
	dM                 int   // m ← m + (1−β1)(g − m)·2^−dM; momentum: μ·m·2^−dM
	dV                 int   // v ← v + (1−β2)(g² − v·2^sV)·2^−dV
	sV                 int   // alignment of v to g²
	k                  int   // Adam ratio = m·2^k / den
	dT                 int   // θ ← θ − lr_t·x·2^−dT
	lrt                int64 // −lr_t
	a1, a2             int64 // Adam: 1−β1, 1−β2; momentum: μ
	epsT               int64
	// Operand bounds of the 64-bit paths of mulShiftS: |invC·s|, |a1·x|, |a2·x|,
	// |lrt·x| ≤ 2^62 when |s|, |x| are within them.
	limG, lim1, lim2, limT int64
}

// mulLimit returns the largest b such that |a·b| ≤ 2^62 for every |b'| ≤ b.
func mulLimit(a int64) int64 {
	if a == 0 {
		return math.MaxInt64
	}
	if a < 0 {
		if a == math.MinInt64 {
			return 0
		}
		a = -a
	}
	return (1 << 62) / a
}

// mulShiftS is mulShiftQ (1 ≤ d ≤ 62) with the common case inlined: when |b| ≤ lim =
// mulLimit(a), |a·b| ≤ 2^62 and the rounding increment (below 2^d ≤ 2^62) cannot
// overflow an int64, so the 128-bit product is not needed and the result fits.
func mulShiftS(a, b, lim int64, d uint, rnd uint64, he bool) (int64, bool) {
	if b > lim || b < -lim {
		return mulShiftQ(a, b, int(d), rnd, he)
	}
	return shr64(a*b, d, rnd, he), true
}

// shr64 is x·2^−d rounded half-even (he) or stochastically with draw rnd, for
// 1 ≤ d ≤ 62 and |x| ≤ 2^62.
func shr64(x int64, d uint, rnd uint64, he bool) int64 {
	inc := int64(rnd >> (64 - d))
	if he {
		inc = 1<<(d-1) - 1 + (x>>d)&1
	}
	return (x + inc) >> d
}

// plan prepares the fast path of o, whose gradient sums have sFrac fraction bits.
func (c *Chip) optPlan(o *opt, sFrac int) optPlan {
	f := &c.f
	lr := &c.prog.Learning
	df := f.decy.Format.Frac
	one := int64(1) << df
	stochOrHE := func(v fixedpoint.Var) (he, ok bool) {
		if v.Overflow != fixedpoint.Saturate {
			return false, false
		}
		switch v.Rounding {
		case fixedpoint.HalfEven:
			return true, true
		case fixedpoint.Stochastic:
			return false, true
		}
		return false, false
	}
	p := optPlan{kind: lr.Optimizer, grad: rangeOf(f.grad), m: rangeOf(f.am), v: rangeOf(f.av), theta: rangeOf(o.theta)}
	var ok [4]bool
	p.heG, ok[0] = stochOrHE(f.grad)
	p.heM, ok[1] = stochOrHE(f.am)
	p.heV, ok[2] = stochOrHE(f.av)
	p.heT, ok[3] = stochOrHE(o.theta)
	// The fast step rounds g half-even (a stochastic grad takes the reference loop).
	p.ok = ok[0] && p.heG && ok[1] && ok[2] && ok[3] && f.am.Format.Frac == f.grad.Format.Frac
	p.invC = c.learn.invC
	p.dG = sFrac + o.gExp + df - f.grad.Format.Frac
	p.lrt = -c.learn.lrt[o.kind]
	p.epsT = o.epsT
	var xFrac int
	switch lr.Optimizer {
	case OptSGD:
		xFrac = o.gFmt.Frac
	case OptMomentum:
		p.dM, p.a1 = df, lr.Momentum
		xFrac = o.mFmt.Frac
	case OptAdam:
		p.a1, p.a2 = one-lr.Beta1, one-lr.Beta2
		p.dM = df
		gf2 := 2 * f.grad.Format.Frac
		p.sV = gf2 - f.av.Format.Frac
		p.dV = df + gf2 - f.av.Format.Frac
		p.k = adamRatioFrac + f.av.Format.Frac/2 - f.am.Format.Frac
		xFrac = o.ratioFmt.Frac
	}
	p.dT = o.lrFmt.Frac + xFrac - o.theta.Format.Frac
	for _, d := range []int{p.dG, p.dT} {
		if d < 1 || d > 62 {
			p.ok = false
		}
	}
	if lr.Optimizer != OptSGD && (p.dM < 1 || p.dM > 62) || lr.Optimizer == OptAdam && (p.dV < 1 || p.dV > 62) {
		p.ok = false
	}
	p.limG, p.lim1, p.lim2, p.limT = mulLimit(p.invC), mulLimit(p.a1), mulLimit(p.a2), mulLimit(p.lrt)
	return p
}

// add returns x + y saturated to s, counting in c. When !okY, y only carries the sign
// of a value beyond int64 (mulShift).
func (s sat) add(x int64, y int64, okY bool, c *uint64) int64 {
	if !okY || y > 1<<62 || y < -(1<<62) {
		*c++
		if y > 0 {
			return s.hi
		}
		return s.lo
	}
	z := x + y
	if z > s.hi {
		*c++
		return s.hi
	}
	if z < s.lo {
		*c++
		return s.lo
	}
	return z
}

// step is optStep's fast twin. rT, rM, rV are the synapse's draws for θ, m, v (read
// only where the rounding is stochastic).
func (p *optPlan) step(theta, s int64, m, v *int64, rT, rM, rV uint64, cnt *[numCounted]fixedpoint.Counters, cT *uint64) int64 {
	g, ok := mulShiftS(p.invC, s, p.limG, uint(p.dG), 0, true)
	if !ok || g > p.grad.hi || g < p.grad.lo {
		cnt[cntGrad].Saturations++
		if ok && g < 0 || !ok && (s < 0) {
			g = p.grad.lo
		} else {
			g = p.grad.hi
		}
	}
	var x int64
	switch p.kind {
	case OptSGD:
		x = g
	case OptMomentum:
		t, ok := mulShiftS(p.a1, *m, p.lim1, uint(p.dM), rM, p.heM)
		mm := p.m.add(g, t, ok, &cnt[cntAdamM].Saturations)
		*m = mm
		x = mm
	case OptAdam:
		t, ok := mulShiftS(p.a1, g-*m, p.lim1, uint(p.dM), rM, p.heM)
		mm := p.m.add(*m, t, ok, &cnt[cntAdamM].Saturations)
		*m = mm
		t, ok = mulShiftS(p.a2, g*g-*v<<p.sV, p.lim2, uint(p.dV), rV, p.heV)
		vv := p.v.add(*v, t, ok, &cnt[cntAdamV].Saturations)
		*v = vv
		den := isqrt(vv) + p.epsT
		if den <= 0 {
			return theta
		}
		x = (mm << p.k) / den
	}
	t, ok := mulShiftS(p.lrt, x, p.limT, uint(p.dT), rT, p.heT)
	return p.theta.add(theta, t, ok, cT)
}

// adamRow is step for Adam over one row of a block's synapses (k0 … k0+n−1, declared
// indices idx0 … idx0+n−1), in three passes so that the square roots and divisions of
// neighbouring synapses overlap: the moments, then ⌊√v⌋ + ε_t, then the ratio and θ.
// It returns θ's new values in theta (which holds the old ones on entry); den is
// scratch of at least n values.
func (p *optPlan) adamRow(theta, gs, m, v, den []int64, idx0 uint64, sT, sM, sV fixedpoint.Stream, cnt *[numCounted]fixedpoint.Counters, cT *uint64) {
	n := len(theta)
	gs, m, v, den = gs[:n], m[:n], v[:n], den[:n]
	gLo, gHi := p.grad.lo, p.grad.hi
	invC, limG, dG := p.invC, p.limG, uint(p.dG)
	a1, lim1, dM, heM := p.a1, p.lim1, uint(p.dM), p.heM
	a2, lim2, dV, heV, sV2 := p.a2, p.lim2, uint(p.dV), p.heV, uint(p.sV)
	var sG, sAM, sAV uint64
	for j := range n {
		s := -gs[j]
		g, ok := int64(0), true
		if s <= limG && s >= -limG {
			g = shr64(invC*s, dG, 0, true)
		} else {
			g, ok = mulShiftQ(invC, s, int(dG), 0, true)
		}
		if !ok || g > gHi || g < gLo {
			sG++
			if ok && g < 0 || !ok && (s < 0) {
				g = gLo
			} else {
				g = gHi
			}
		}
		idx := idx0 + uint64(j)
		var rM, rV uint64
		if !heM {
			rM = sM.Draw(idx)
		}
		if !heV {
			rV = sV.Draw(idx)
		}
		mj := m[j]
		t, ok := int64(0), true
		if x := g - mj; x <= lim1 && x >= -lim1 {
			t = shr64(a1*x, dM, rM, heM)
		} else {
			t, ok = mulShiftQ(a1, x, int(dM), rM, heM)
		}
		m[j] = p.m.add(mj, t, ok, &sAM)
		vj := v[j]
		ok = true
		if x := g*g - vj<<sV2; x <= lim2 && x >= -lim2 {
			t = shr64(a2*x, dV, rV, heV)
		} else {
			t, ok = mulShiftQ(a2, x, int(dV), rV, heV)
		}
		v[j] = p.v.add(vj, t, ok, &sAV)
	}
	cnt[cntGrad].Saturations += sG
	cnt[cntAdamM].Saturations += sAM
	cnt[cntAdamV].Saturations += sAV
	p.adamTheta(theta, m, v, den, idx0, sT, cT)
}

// adamTheta is adamRow's last two passes: θ from the new moments m, v.
func (p *optPlan) adamTheta(theta, m, v, den []int64, idx0 uint64, sT fixedpoint.Stream, cT *uint64) {
	n := len(theta)
	m, v, den = m[:n], v[:n], den[:n]
	epsT := p.epsT
	for j, vv := range v {
		den[j] = isqrt(vv) + epsT
	}
	k := uint(p.k)
	lrt, limT, dT, heT := p.lrt, p.limT, uint(p.dT), p.heT
	for j, d := range den {
		if d <= 0 {
			continue
		}
		x := (m[j] << k) / d
		var rT uint64
		if !heT {
			rT = sT.Draw(idx0 + uint64(j))
		}
		t, ok := int64(0), true
		if x <= limT && x >= -limT {
			t = shr64(lrt*x, dT, rT, heT)
		} else {
			t, ok = mulShiftQ(lrt, x, int(dT), rT, heT)
		}
		theta[j] = p.theta.add(theta[j], t, ok, cT)
	}
}

// phiUnits is a population's φ and φ′ units as the Go loops read them: the packed
// table (φ, φ′ and saturation bits in one word), else the memo tables, else the
// identity's shift, else the interpolating LUTs. Saturations of the tables are added
// to *sR and *sRP (the caller's local counts); the LUTs count on their own counters.
type phiUnits struct {
	packed      []uint64
	memo, memoP []int32
	memoSat     []uint8
	inMin       int64
	ident       bool
	identD      uint
	rSat        sat
	one         int64
	phi, phiP   *fixedpoint.LUT
	cR, cRP     *fixedpoint.Counters
}

func (u *phiUnits) eval(x int64, sR, sRP *uint64) (r, rp int64) {
	switch {
	case u.packed != nil:
		e := u.packed[x-u.inMin]
		if e>>62 != 0 {
			*sR += e >> 62 & 1
			*sRP += e >> 63
		}
		return int64(int32(e)), int64(e >> 32 & (1<<30 - 1))
	case u.memo != nil:
		m := x - u.inMin
		if s := u.memoSat[m]; s != 0 {
			*sR += uint64(s & 1)
			*sRP += uint64(s >> 1)
		}
		return int64(u.memo[m]), int64(u.memoP[m])
	case u.ident:
		return u.rSat.clamp(rhe(x, u.identD), sR), u.one
	default:
		return u.phi.Eval(x, u.cR), u.phiP.Eval(x, u.cRP)
	}
}
