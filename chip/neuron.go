package chip

// neurons steps neurons lo…hi−1 of q for contexts k0…k1−1 (part part of the contexts):
// error neuron, membrane, φ, φ′, and ĕ onto the static error bus (the block bus is
// phaseErrBus's). The forward sums are in q.accIn (gatherForward). Every quantity is formed exactly in
// 64 bits and rounded once into its table format (see docs/chip.md, "The neuron").
func (c *Chip) neurons(tl *tile, q *pop, lo, hi, k0, k1, part int) {
	f := &c.f
	cnt := &tl.cnt
	prospective := c.prog.Errors == ErrorsProspective
	rpFrac := f.rp.Format.Frac
	epsFrac := f.eps.Format.Frac
	vFrac := f.v.Format.Frac
	uFrac := f.u.Format.Frac
	fmr, fdtr := f.mr.Format.Frac, f.dtr.Format.Frac
	frm, fdtm := f.rm.Format.Frac, f.dtm.Format.Frac
	// γĕ: γ (gammaFrac) × ĕ (e_breve, exponent E) into u (exponent S).
	geFrac := q.gammaFrac + f.eB.Format.Frac - q.eExp + q.sExp
	sFrac := q.sumFrac + q.sExp
	phiFrac := f.uB.Format.Frac - q.sExp // ŭ's real fraction bits
	errBusSame := f.errBus.Format.Frac == f.eB.Format.Frac
	noise := c.analog.UNoiseSigma != 0
	adjust := q.phiAdjust
	learnTau := c.learnOn && c.prog.Learning.TauM.On
	block := c.busAfter >= 0
	for k := k0; k < k1; k++ {
		off := k * q.size
		for i := lo; i < hi; i++ {
			j := off + i
			// Error neuron.
			eps := q.eps[j]
			if q.estar != nil {
				eps = f.eps.Rescale(eps+q.estar[j], epsFrac, 0, &cnt[cntEps])
			}
			inst := f.inst.Rescale(q.rp[j]*eps, rpFrac+epsFrac, c.draw(f.inst, q.idx, k, i), &cnt[cntInst])
			v := q.v[j]
			var eb, vNew int64
			if prospective {
				dv := inst - v
				eb = f.eB.Rescale(v<<fmr+q.mr[i]*dv, vFrac+fmr, c.draw(f.eB, q.idx, k, i), &cnt[cntEB])
				vNew = f.v.Rescale(v<<fdtr+q.dtr[i]*dv, vFrac+fdtr, c.draw(f.v, q.idx, k, i), &cnt[cntV])
			} else {
				eb = f.eB.Rescale(inst, vFrac, c.draw(f.eB, q.idx, k, i), &cnt[cntEB])
				vNew = f.v.Rescale(inst, vFrac, c.draw(f.v, q.idx, k, i), &cnt[cntV])
			}
			q.inst[j], q.eb[j], q.v[j] = inst, eb, vNew
			if !block { // the block error bus is phaseErrBus's
				var eBus int64
				if errBusSame {
					eBus = f.errBus.Rescale(eb, f.eB.Format.Frac, 0, &cnt[cntErrBus])
				} else {
					eBus = f.errBus.Rescale(eb, f.eB.Format.Frac, c.draw(f.errBus, q.idx, k, i), &cnt[cntErrBus])
				}
				q.errBus[j] = int16(eBus)
			}

			// Membrane: s = Σ W r + b, aligned by left shifts, one rounding into u.
			var sum int64
			for pi, x := range q.in {
				sum += int64(q.accIn[pi][j]) << x.shift
			}
			if q.bias {
				sum += q.b[i] << q.biasShift
			}
			s := f.u.Rescale(sum, sFrac, c.draw(f.u, q.idx, k, i), &cnt[cntU])
			var ge int64
			if q.gamma != 0 {
				ge = f.u.Rescale(q.gamma*eb, geFrac, c.draw(f.u, q.idx, k, i), &cnt[cntU])
			}
			u := q.u[j]
			du := s + ge - u
			ub := f.uB.Rescale(u<<frm+q.rm[i]*du, uFrac+frm, c.draw(f.uB, q.idx, k, i), &cnt[cntUB])
			uNew := f.u.Rescale(u<<fdtm+q.dtm[i]*du, uFrac+fdtm, c.draw(f.u, q.idx, k, i), &cnt[cntU])
			if noise {
				uNew = c.uNoise(q, k, i, uNew, &cnt[cntU])
			}
			q.ub[j], q.u[j], q.du[j] = ub, uNew, uNew-u

			// φ and φ′.
			var x int64
			if q.comparator {
				x = ub
			} else {
				x = f.phiIn.Rescale(ub, phiFrac, c.draw(f.phiIn, q.idx, k, i), &cnt[cntPhiIn])
			}
			if adjust {
				x = c.phiInput(q, i, x, &cnt[cntPhiIn])
			}
			q.r[j] = q.phi.Eval(x, &cnt[cntR]) // r′ of j was read above: in place
			q.rp[j] = q.phiP.Eval(x, &cnt[cntRP])
		}
	}
	switch {
	case block && c.learnOn && c.prog.Learning.Biases.On && q.bias:
		c.neuronGradients(q, lo, hi, k0, k1, q.bSumP[part], nil) // τm: phaseErrBus
	case !block && (learnTau || c.learnOn && c.prog.Learning.Biases.On && q.bias):
		c.neuronGradients(q, lo, hi, k0, k1, q.bSumP[part], q.tSumP[part])
	}
}
