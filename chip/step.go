package chip

import (
	"github.com/glemu/glemu/fixedpoint"
)

// Step advances every tile by one step dt with the input and target last set (SetInput,
// SetTarget, SetLabels, ClearTarget), in the order of docs/chip.md:
//
//  0. the host port: input populations take x_k; the output populations' committed
//     rates are the reported output; e* is formed from them and y_k on the output tile;
//  1. forward: every block forms W·r from the committed rates;
//  2. neurons: every neuron gathers its partial sums, runs its error neuron and its
//     membrane, φ and φ′ (new rates are staged: the emulator writes them over r and
//     r′, which nothing reads again this step, while the rate bus keeps the committed
//     ones until the commit) and puts ĕ on the error bus; with the
//     block error bus (Config.ErrorBus) the population's shift for this step is then
//     fixed from the OR of all its |ĕ| (busExponents) and phaseErrBus puts ĕ on the
//     bus at that shift;
//  3. backward and learning: every block forms Wᵀĕ with its weights as they were, then
//     (learning on) its gradient and optimizer update;
//  4. commit: every neuron gathers its transposed sums into ε_in, commits its rates,
//     and (learning on) updates its bias and τm.
//
// With the neuron split (several workers, fewer than two contexts per part, weights
// learning) the same work runs as three phases of one item per part, and biases and
// τm are updated in the second, before the commit: nothing the commit does reads them,
// so the bits are the same (docs/chip.md, Performance, round 8).
//
// Step does not allocate.
func (c *Chip) Step() error {
	for _, q := range c.pops {
		if q.memoable && q.memoPhi == nil {
			if q.evals += c.contexts * q.size; q.evals > memoAfter {
				c.memoize(q)
			}
		}
	}
	c.hostPort()
	if c.learnOn {
		c.learn.begin(c)
	}
	wLearn := c.learnOn && c.prog.Learning.Weights.On
	if c.nPhases != nil && wLearn {
		// Few contexts, weights learning: every phase splits the neurons (nPhases).
		for j, ph := range c.nPhases {
			c.pool.run(ph, c.parts)
			if j == 0 && c.busAfter >= 0 {
				c.busExponents()
			}
		}
	} else {
		n := len(c.tiles) * c.parts
		for j, ph := range c.phases {
			switch {
			case j == c.learnPhase && !wLearn:
				// phaseLearn would return for every item: no hand-off.
			case c.split[j]:
				c.pool.run(ph, n)
			default:
				for i := range n {
					ph(i)
				}
			}
			if j == c.busAfter {
				c.busExponents()
			}
		}
	}
	if c.parts > 1 {
		c.mergeParts()
	}
	c.steps++
	c.countStep()
	if c.probes != nil {
		return c.probes.record(c)
	}
	return nil
}

// hostPort puts the step's input on the input populations' rate buses (done by
// SetInput), records the reported output and forms the output error e*.
func (c *Chip) hostPort() {
	C := c.contexts
	w := c.outWidth
	for _, q := range c.outputs {
		for k := range C {
			copy(c.out[k*w+q.outOff:k*w+q.outOff+q.size], q.r[k*q.size:(k+1)*q.size])
		}
	}
	for _, q := range c.outputs {
		clear(q.estar)
	}
	if !c.hasTarget || c.prog.Loss.Kind == LossNone {
		return
	}
	out0 := c.outputs[0]
	cnt := &c.tiles[out0.home[0]].cnt
	switch c.prog.Loss.Kind {
	case LossMSE:
		c.estarMSE()
	case LossCrossEntropy:
		c.estarCE(cnt)
	}
}

// estarMSE sets e* = β(y − r_out) into eps_in (per output neuron on its home tile).
func (c *Chip) estarMSE() {
	f := &c.f
	beta := c.prog.Loss.Beta
	w := c.outWidth
	for _, q := range c.outputs {
		// y and r share q's rate format; β·(y − r) into the e domain of q.
		frac := f.beta.Format.Frac - beta.Exp + f.r.Format.Frac - q.rExp + q.eExp
		for k := range c.contexts {
			for i := range q.size {
				d := c.target[k*w+q.outOff+i] - q.r[k*q.size+i]
				cnt := &c.tiles[q.home[i]].cnt[cntEps]
				q.estar[k*q.size+i] = f.eps.Rescale(beta.Raw*d, frac, c.draw(f.eps, q.idx, k, i), cnt)
			}
		}
	}
}

// estarCE sets e* = β(y − softmax(r_out)) over the whole output vector of each context,
// on the output tile: exp of (r − max r) by the exp unit, the sum, and each probability
// p = e/Σe by the exact divider, rounded half-even into exp_out.
func (c *Chip) estarCE(cnt *[numCounted]fixedpoint.Counters) {
	f := &c.f
	beta := c.prog.Loss.Beta
	w := c.outWidth
	rExp := c.outputs[0].rExp
	rFrac := f.r.Format.Frac - rExp
	pFrac := f.expOut.Format.Frac
	// Half-even, saturating formats (the table's) round by sat.rescale, Var.Rescale's
	// twin for shifts within ±62, without a draw.
	heSat := func(v fixedpoint.Var, frac int) bool {
		d := frac - v.Format.Frac
		return v.Rounding == fixedpoint.HalfEven && v.Overflow == fixedpoint.Saturate && d >= -62 && d <= 62 && !c.reference
	}
	fast := heSat(f.expIn, rFrac) && heSat(f.expOut, pFrac)
	for _, q := range c.outputs {
		fast = fast && heSat(f.eps, f.beta.Format.Frac-beta.Exp+max(rFrac, pFrac)+q.eExp)
	}
	if fast {
		c.estarCEFast(cnt, rFrac, pFrac)
		return
	}
	for k := range c.contexts {
		out := c.out[k*w : (k+1)*w]
		y := c.target[k*w : (k+1)*w]
		m := out[0]
		for _, x := range out {
			m = max(m, x)
		}
		var sum int64
		for i, x := range out {
			z := f.expIn.Rescale(x-m, rFrac, 0, &cnt[cntExpIn])
			e := c.expUnit.Eval(z, &cnt[cntExpOut])
			c.ceExp[i] = e
			sum += e
		}
		for _, q := range c.outputs {
			frac := f.beta.Format.Frac - beta.Exp + max(rFrac, pFrac) + q.eExp
			for i := range q.size {
				p := divRound(c.ceExp[q.outOff+i]<<pFrac, sum) // exp_out's fraction bits
				p = f.expOut.Rescale(p, pFrac, 0, &cnt[cntExpOut])
				yy, pp := y[q.outOff+i], p
				if rFrac >= pFrac {
					pp <<= rFrac - pFrac
				} else {
					yy <<= pFrac - rFrac
				}
				q.estar[k*q.size+i] = f.eps.Rescale(beta.Raw*(yy-pp), frac, c.draw(f.eps, q.idx, k, i), &cnt[cntEps])
			}
		}
	}
}

// estarCEFast is estarCE for half-even, saturating exp_in, exp_out and eps_in.
func (c *Chip) estarCEFast(cnt *[numCounted]fixedpoint.Counters, rFrac, pFrac int) {
	f := &c.f
	beta := c.prog.Loss.Beta
	w := c.outWidth
	expIn, expOut, eps := rangeOf(f.expIn), rangeOf(f.expOut), rangeOf(f.eps)
	dIn, dOut := rFrac-f.expIn.Format.Frac, pFrac-f.expOut.Format.Frac
	cIn, cOut, cEps := &cnt[cntExpIn].Saturations, &cnt[cntExpOut].Saturations, &cnt[cntEps].Saturations
	if c.expMemo == nil && expIn.lo >= -1<<16 && expIn.hi >= 0 {
		// z = r − max r ≤ 0: tabulate the unit over [exp_in's minimum, 0].
		n := int(-expIn.lo) + 1
		c.expLo, c.expMemo, c.expSat = expIn.lo, make([]int32, n), make([]uint8, n)
		for j := range n {
			var k fixedpoint.Counters
			c.expMemo[j] = int32(c.expUnit.Eval(expIn.lo+int64(j), &k))
			c.expSat[j] = uint8(k.Saturations)
		}
	}
	var memoSats uint64 // the tabulated exp unit's, into exp_out's counter
	for k := range c.contexts {
		out := c.out[k*w : (k+1)*w]
		y := c.target[k*w : (k+1)*w]
		m := out[0]
		for _, x := range out {
			m = max(m, x)
		}
		var sum int64
		for i, x := range out {
			z := expIn.rs(x-m, dIn, cIn)
			var e int64
			if j := uint64(z - c.expLo); j < uint64(len(c.expMemo)) {
				e = int64(c.expMemo[j])
				memoSats += uint64(c.expSat[j])
			} else {
				e = c.expUnit.Eval(z, &cnt[cntExpOut])
			}
			c.ceExp[i] = e
			sum += e
		}
		inv := 1 / float64(sum)
		for _, q := range c.outputs {
			dE := f.beta.Format.Frac - beta.Exp + max(rFrac, pFrac) + q.eExp - f.eps.Format.Frac
			for i := range q.size {
				p := divRoundInv(c.ceExp[q.outOff+i]<<pFrac, sum, inv)
				p = expOut.rs(p, dOut, cOut)
				yy, pp := y[q.outOff+i], p
				if rFrac >= pFrac {
					pp <<= rFrac - pFrac
				} else {
					yy <<= pFrac - rFrac
				}
				q.estar[k*q.size+i] = eps.rs(beta.Raw*(yy-pp), dE, cEps)
			}
		}
	}
	cnt[cntExpOut].Saturations += memoSats
}

// phaseForward: every block of the item's tile forms its partial row sums W·r_in per
// context (of the item's part of the contexts; with fwdByBlock, the item's part of the
// blocks for every context).
func (c *Chip) phaseForward(i int) {
	C := c.contexts
	tl, p := c.item(i)
	k0, k1 := span(C, p, c.parts)
	if c.fwdByBlock {
		k0, k1 = 0, C
	}
	if k0 == k1 {
		return
	}
	for _, b := range tl.blocks {
		if c.fwdByBlock && b.fwdPart != p {
			continue
		}
		b.forward(0, b.rows, k0, k1, C)
	}
}

// forward forms b's partial row sums W·r_in of rows i0…i1−1 (relative to row0) for
// contexts k0…k1−1 of C into b.fwd.
func (b *block) forward(i0, i1, k0, k1, C int) {
	src := b.p.src
	w := b.wX[i0*b.cols : i1*b.cols]
	if C > 1 {
		// All contexts at once: each weight loaded once (sums wrap alike).
		wm := fixedpoint.Mat{Data: w, Rows: i1 - i0, Cols: b.cols, Stride: b.cols}
		x := fixedpoint.Mat{Data: src.rateBus[k0*src.size+b.col0:], Rows: k1 - k0, Cols: b.cols, Stride: src.size}
		fixedpoint.MatMat(b.fwd[k0*b.rows+i0:], b.rows, wm, x)
		return
	}
	for k := k0; k < k1; k++ {
		x := src.rateBus[k*src.size+b.col0 : k*src.size+b.col0+b.cols]
		fixedpoint.MatVec(b.fwd[k*b.rows+i0:k*b.rows+i1], w, b.cols, x)
	}
}

// phaseNeurons: every neuron run of the item's tile gathers its forward sums and steps
// (the item's part of the contexts).
func (c *Chip) phaseNeurons(i int) {
	tl, p := c.item(i)
	k0, k1 := span(c.contexts, p, c.parts)
	if k0 == k1 {
		return
	}
	for _, r := range tl.runs {
		if r.p.role == RoleInput {
			continue
		}
		c.neuronRun(tl, r.p, r.lo, r.hi, k0, k1, p, i)
	}
}

// neuronRun steps neurons lo…hi−1 of q on tile tl (or its shadow), contexts k0…k1−1:
// the forward sums gathered, then the neuron loops or kernels; the gradient sums go to
// q's part sums of part, the OR of |ĕ| (block error bus) to q.ebOr[or].
func (c *Chip) neuronRun(tl *tile, q *pop, lo, hi, k0, k1, part, or int) {
	if c.fwdDirect(q, lo, hi) == nil {
		c.gatherForward(q, lo, hi, k0, k1)
	}
	// With the block error bus the neuron loops leave err_bus to phaseErrBus and
	// the OR of every |ĕ| in the item's partial (busExponents).
	if q.plan.fast && !c.reference {
		m := c.neuronsFast(tl, q, lo, hi, k0, k1, part)
		if c.busAfter >= 0 {
			q.ebOr[or] |= m
		}
	} else {
		c.neurons(tl, q, lo, hi, k0, k1, part)
		if c.busAfter >= 0 {
			q.busOr(or, lo, hi, k0, k1)
		}
	}
}

// fwdDirect returns the one block holding all the forward sums of neurons lo…hi−1
// of q when the membrane kernel reads them there instead of from q.accIn (one
// incoming projection, one block covering the run, the kernel's conditions), else nil.
func (c *Chip) fwdDirect(q *pop, lo, hi int) *block {
	if len(q.in) != 1 || len(q.in[0].blocks) != 1 {
		return nil
	}
	b := q.in[0].blocks[0]
	if b.row0 > lo || b.row0+b.rows < hi {
		return nil
	}
	var a neuronArgs
	if _, memK := c.neuronArgsFor(&a, q, lo, hi); !memK {
		return nil
	}
	return b
}

// gatherForward adds, in wrapping int32, the partial sums of every block of every
// incoming projection into neurons lo…hi−1 of q, contexts k0…k1−1.
func (c *Chip) gatherForward(q *pop, lo, hi, k0, k1 int) {
	for pi, x := range q.in {
		acc := q.accIn[pi]
		for k := k0; k < k1; k++ {
			clear(acc[k*q.size+lo : k*q.size+hi])
		}
		for _, b := range x.blocks {
			a, e := max(lo, b.row0), min(hi, b.row0+b.rows)
			if a >= e {
				continue
			}
			for k := k0; k < k1; k++ {
				dst := acc[k*q.size+a : k*q.size+e]
				src := b.fwd[k*b.rows+a-b.row0 : k*b.rows+e-b.row0]
				for i, v := range src {
					dst[i] += v
				}
			}
		}
	}
}

// phaseBackward: every block of the item's tile forms its transposed partial sums with
// its weights as they were (the item's part of the contexts); with one part, it then
// learns (phaseLearn).
func (c *Chip) phaseBackward(i int) {
	C := c.contexts
	tl, p := c.item(i)
	k0, k1 := span(C, p, c.parts)
	for _, b := range tl.blocks {
		if !b.p.backward || k0 == k1 {
			continue
		}
		b.transposed(b.bwd, 0, b.rows, k0, k1, C)
	}
	if c.parts == 1 {
		c.phaseLearn(i)
	}
}

// transposed forms b's transposed partial sums Wᵀ·ĕ over rows i0…i1−1 (relative to
// row0) for contexts k0…k1−1 of C into dst (b.cols a context), weights as they are.
func (b *block) transposed(dst []int32, i0, i1, k0, k1, C int) {
	tgt := b.p.tgt
	w := b.wX[i0*b.cols : i1*b.cols]
	if C > 1 {
		wm := fixedpoint.Mat{Data: w, Rows: i1 - i0, Cols: b.cols, Stride: b.cols}
		e := fixedpoint.Mat{Data: tgt.errBus[k0*tgt.size+b.row0+i0:], Rows: k1 - k0, Cols: i1 - i0, Stride: tgt.size}
		fixedpoint.MatTMat(dst[k0*b.cols:], b.cols, wm, e)
		return
	}
	for k := k0; k < k1; k++ {
		e := tgt.errBus[k*tgt.size+b.row0+i0 : k*tgt.size+b.row0+i1]
		fixedpoint.MatTVec(dst[k*b.cols:(k+1)*b.cols], w, b.cols, e)
	}
}

// phaseLearn: every plastic block of the item's tile learns (learning on), the item's
// part of its rows.
func (c *Chip) phaseLearn(i int) {
	if !c.learnOn || !c.prog.Learning.Weights.On {
		return
	}
	tl, p := c.item(i)
	for _, b := range tl.blocks {
		if !b.plastic {
			continue
		}
		i0, i1 := span(b.rows, p, c.parts)
		if i0 == i1 {
			continue
		}
		ea, rb := b.ea, b.rb
		if p > 0 {
			ea, rb = b.eaP[p-1], b.rbP[p-1]
		}
		c.learnBlock(tl, b, i0, i1, ea, rb)
	}
}

// phaseCommit: every neuron run of the item's tile gathers its transposed sums into
// ε_in and commits its new rates (the item's part of the contexts); learning updates
// biases and τm (part 0, after adding up the parts' gradient sums: integers, wrapping
// alike in any order).
func (c *Chip) phaseCommit(i int) {
	tl, p := c.item(i)
	k0, k1 := span(c.contexts, p, c.parts)
	for _, r := range tl.runs {
		q := r.p
		if q.role == RoleInput {
			continue
		}
		lo, hi := r.lo, r.hi
		c.commitRun(tl, q, lo, hi, k0, k1)
		if c.learnOn && p == 0 {
			if c.parts > 1 && c.neuronGrads(q) {
				if a, b := span(c.contexts, 0, c.parts); a == b {
					clear(q.bSum[lo:hi]) // part 0 had no contexts
					clear(q.tSum[lo:hi])
				}
				for pp := 1; pp < c.parts; pp++ {
					if a, b := span(c.contexts, pp, c.parts); a == b {
						continue // no contexts: the part did not sum
					}
					bs, ts := q.bSumP[pp], q.tSumP[pp]
					for i := lo; i < hi; i++ {
						q.bSum[i] += bs[i]
						q.tSum[i] += ts[i]
					}
				}
			}
			if c.learnNeurons(tl, q, lo, hi) {
				tl.stats.divides += uint64(4 * (hi - lo))
			}
		}
	}
}

// commitRun gathers the transposed sums of neurons lo…hi−1 of q into ε_in and puts
// their new rates on the rate bus, contexts k0…k1−1 (counters into tl's).
func (c *Chip) commitRun(tl *tile, q *pop, lo, hi, k0, k1 int) {
	f := &c.f
	if len(q.out) > 0 && q.hasBackward() && k0 < k1 {
		c.gatherBackward(tl, q, lo, hi, k0, k1)
	}
	// The new rates are in q.r (the neuron phase): onto the rate bus.
	sameBus := f.rateBus.Format == f.r.Format
	commitK := sameBus && useNeuronKernel && hi > lo
	for k := k0; k < k1; k++ {
		off := k * q.size
		if commitK {
			commitKernel(&commitArgs{n: int64(hi - lo), r: &q.r[off+lo], rb: &q.rateBus[off+lo]})
			continue
		}
		if sameBus {
			r, rb := q.r[off+lo:off+hi], q.rateBus[off+lo:off+hi]
			rb = rb[:len(r)]
			for i, x := range r {
				rb[i] = int16(x)
			}
			continue
		}
		for i := lo; i < hi; i++ {
			x := f.rateBus.Rescale(q.r[off+i], f.r.Format.Frac, c.draw(f.rateBus, q.idx, k, i), &tl.cnt[cntRateBus])
			q.rateBus[off+i] = int16(x)
		}
	}
}

// neuronGrads reports whether q's neurons sum bias or τm gradients this step.
func (c *Chip) neuronGrads(q *pop) bool {
	l := &c.prog.Learning
	return c.learnOn && (l.Biases.On && q.bias || l.TauM.On)
}

func (q *pop) hasBackward() bool {
	for _, x := range q.out {
		if x.backward {
			return true
		}
	}
	return false
}

// gatherBackward combines the transposed partial sums of q's outgoing projections into
// the committed ε_in of neurons lo…hi−1: a wrapping int32 sum per projection, aligned
// by left shifts, one rounding into eps_in.
func (c *Chip) gatherBackward(tl *tile, q *pop, lo, hi, k0, k1 int) {
	f := &c.f
	if q.plan.fastBack && !c.reference && len(q.out) == 1 {
		if bs := q.out[0].blocks; len(bs) == 1 && bs[0].col0 <= lo && bs[0].col0+bs[0].cols >= hi {
			c.gatherBackwardFast(tl, q, lo, hi, k0, k1, bs[0])
			return
		}
	}
	for pi, x := range q.out {
		acc := q.accOut[pi]
		for k := k0; k < k1; k++ {
			clear(acc[k*q.size+lo : k*q.size+hi])
		}
		for _, b := range x.blocks {
			a, e := max(lo, b.col0), min(hi, b.col0+b.cols)
			if a >= e {
				continue
			}
			for k := k0; k < k1; k++ {
				dst := acc[k*q.size+a : k*q.size+e]
				src := b.bwd[k*b.cols+a-b.col0 : k*b.cols+e-b.col0]
				for i, v := range src {
					dst[i] += v
				}
			}
		}
	}
	frac := q.tsumFrac + q.eExp
	fast := q.plan.fastBack && !c.reference
	p := &q.plan
	if fast && len(q.out) == 1 {
		c.gatherBackwardFast(tl, q, lo, hi, k0, k1, nil)
		return
	}
	for k := k0; k < k1; k++ {
		for i := lo; i < hi; i++ {
			j := k*q.size + i
			var s int64
			for pi, x := range q.out {
				s += int64(q.accOut[pi][j]) << x.tshift
			}
			if fast {
				q.eps[j] = p.eps.rs(s, p.dBack, &tl.cnt[cntEps].Saturations)
			} else {
				q.eps[j] = f.eps.Rescale(s, frac, c.draw(f.eps, q.idx, k, i), &tl.cnt[cntEps])
			}
		}
	}
}

// gatherBackwardFast is gatherBackward's fast path for one outgoing projection: its
// sums (in q.accOut, or read in place from blk, the one block covering the run) are
// shifted and rounded once into ε_in, contexts k0…k1−1.
func (c *Chip) gatherBackwardFast(tl *tile, q *pop, lo, hi, k0, k1 int, blk *block) {
	p := &q.plan
	// One outgoing projection: shift, one rounding, per context slices. When
	// ε_in keeps every bit (dBack ≤ 0), the int32 sum shifted left exactly (at most
	// 62 places: no overflow) and saturated is rescale's result.
	sh, d := q.out[0].tshift, p.dBack
	var sats uint64
	epsR := p.eps
	// The vector row (epsKernel) takes the two inlined cases.
	var ga epsArgs
	kernel := useNeuronKernel && hi > lo
	switch {
	case d <= 0 && sh-d <= 31:
		ga = epsArgs{sh: int64(sh - d)}
	case d >= 1 && d <= 62 && sh <= 30:
		ga = epsArgs{sh: int64(sh), d: int64(d), h: 1<<(d-1) - 1}
	default:
		kernel = false
	}
	ga.n, ga.lo, ga.hi = int64(hi-lo), epsR.lo, epsR.hi
	for k := k0; k < k1; k++ {
		off := k*q.size + lo
		var acc []int32
		if blk != nil {
			o := k*blk.cols + lo - blk.col0
			acc = blk.bwd[o : o+hi-lo]
		} else {
			acc = q.accOut[0][off : off+hi-lo]
		}
		eps := q.eps[off : off+hi-lo]
		eps = eps[:len(acc)]
		if kernel {
			ga.acc, ga.eps = &acc[0], &eps[0]
			epsKernel(&ga)
			continue
		}
		if d <= 0 && sh-d <= 31 {
			tot := uint(sh - d)
			for i, a := range acc {
				eps[i] = epsR.clamp(int64(a)<<tot, &sats)
			}
			continue
		}
		if d >= 1 && d <= 62 && sh <= 30 { // |a·2^sh| < 2^61: rhe applies
			ud := uint(d)
			for i, a := range acc {
				eps[i] = epsR.clamp(rhe(int64(a)<<sh, ud), &sats)
			}
			continue
		}
		for i, a := range acc {
			eps[i] = epsR.rs(int64(a)<<sh, d, &sats)
		}
	}
	tl.cnt[cntEps].Saturations += sats + ga.sats
}

// The neuron split (Chip.nPhases): with fewer contexts than splitContexts per part,
// while weights learn, each of the step's three pool phases gives part p a stretch of
// every population's neurons (pop.nSplit; the learning phase cuts them by its own
// weights) for all the contexts, and the rows of every block whose target neurons
// those are. Part p's forward sums,
// neurons, bus values, transposed partial sums, bias and τm updates and weight rows are
// then its own: nothing another part writes in the same phase is read, so the three
// phases need only two barriers besides the block bus's busExponents. The transposed
// sums of a block are added up over the parts (wrapping int32: any order alike) by
// the commit of their source neurons.

// partTile returns tile t for part p (its shadow for p ≥ 1: the part's counters).
func (c *Chip) partTile(t, p int) *tile {
	if p == 0 {
		return c.tiles[t]
	}
	return c.shadow[p-1][t]
}

// nRange clips lo…hi−1 of q to part p's neurons in cut s.
func (q *pop) nRange(s, lo, hi, p int) (int, int) {
	return max(lo, q.nSplit[s][p]), min(hi, q.nSplit[s][p+1])
}

// nRows returns part p's rows of block b (relative to row0) in cut s: those whose
// target neurons are the part's.
func (b *block) nRows(s, p int) (int, int) {
	a, e := b.p.tgt.nRange(s, b.row0, b.row0+b.rows, p)
	if a >= e {
		return 0, 0
	}
	return a - b.row0, e - b.row0
}

// nPhaseNeurons: part p's rows of every block's forward read, then its neurons.
func (c *Chip) nPhaseNeurons(p int) {
	C := c.contexts
	for _, tl := range c.tiles {
		for _, b := range tl.blocks {
			i0, i1 := b.nRows(splitNeurons, p)
			if i0 == i1 {
				continue
			}
			b.forward(i0, i1, 0, C, C)
		}
	}
	for t := range c.tiles {
		tl := c.partTile(t, p)
		for _, r := range tl.runs {
			if r.p.role == RoleInput {
				continue
			}
			if lo, hi := r.p.nRange(splitNeurons, r.lo, r.hi, p); lo < hi {
				c.neuronRun(tl, r.p, lo, hi, 0, C, 0, p)
			}
		}
	}
}

// nPhaseLearn: part p's neurons put ĕ on the block error bus, its rows of every
// block form their transposed partial sums (weights as they were) and learn, and its
// neurons update their biases and τm. Step runs the neuron split's phases only while
// weights learn, so learning is on here.
func (c *Chip) nPhaseLearn(p int) {
	C := c.contexts
	learnT := c.prog.Learning.TauM.On
	for t := range c.tiles {
		tl := c.partTile(t, p)
		for ri, r := range tl.runs {
			q := r.p
			if q.role == RoleInput {
				continue
			}
			lo, hi := q.nRange(splitLearn, r.lo, r.hi, p)
			if lo >= hi {
				continue
			}
			if c.busAfter >= 0 {
				var ts []int64
				if learnT {
					ts = q.tSum
				}
				c.errBusRun(tl, q, lo, hi, 0, C, ts)
			}
			if c.learnNeurons(tl, q, lo, hi) {
				tl.tauChanged[ri] = true
			}
		}
	}
	for _, tl := range c.tiles {
		for _, b := range tl.blocks {
			if !b.p.backward {
				continue
			}
			dst := b.bwd
			if p > 0 {
				dst = b.bwdP[p-1]
			}
			i0, i1 := b.nRows(splitLearn, p)
			if i0 == i1 {
				clear(dst[:C*b.cols])
				continue
			}
			b.transposed(dst, i0, i1, 0, C, C)
		}
	}
	for t, tl := range c.tiles {
		for _, b := range tl.blocks {
			if !b.plastic {
				continue
			}
			i0, i1 := b.nRows(splitLearn, p)
			if i0 == i1 {
				continue
			}
			ea, rb := b.ea, b.rb
			if p > 0 {
				ea, rb = b.eaP[p-1], b.rbP[p-1]
			}
			c.learnBlock(c.partTile(t, p), b, i0, i1, ea, rb)
		}
	}
}

// nPhaseCommit: part p's neurons add up their transposed partial sums, gather them
// into ε_in and commit their rates.
func (c *Chip) nPhaseCommit(p int) {
	C := c.contexts
	for t := range c.tiles {
		tl := c.partTile(t, p)
		for _, r := range tl.runs {
			q := r.p
			if q.role == RoleInput {
				continue
			}
			lo, hi := q.nRange(splitNeurons, r.lo, r.hi, p)
			if lo >= hi {
				continue
			}
			for _, x := range q.out {
				if !x.backward {
					continue
				}
				for _, b := range x.blocks {
					a, e := max(lo, b.col0), min(hi, b.col0+b.cols)
					if a >= e {
						continue
					}
					for _, part := range b.bwdP {
						for k := range C {
							dst := b.bwd[k*b.cols+a-b.col0 : k*b.cols+e-b.col0]
							src := part[k*b.cols+a-b.col0 : k*b.cols+e-b.col0]
							src = src[:len(dst)]
							for j, v := range src {
								dst[j] += v
							}
						}
					}
				}
			}
			c.commitRun(tl, q, lo, hi, 0, C)
		}
	}
}
