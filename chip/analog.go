package chip

import (
	"github.com/glemu/glemu/fixedpoint"
)

// The analog model. A die's frozen mismatch is drawn once, when a program is loaded,
// from the counter-based generator keyed by the die's seed (Analog.Seed), a variable
// name and the population (owner) and neuron it belongs to; temporal noise is keyed by
// step and context as well. Gaussian draws are integer-only: the sum of twelve 16-bit
// uniforms from three 64-bit draws, centred (an Irwin–Hall approximation of N(0, 1)
// with 16 fraction bits, |z| ≤ 6).

const (
	misFrac  = 30 // fraction bits of the τ mismatch factors
	gainFrac = 20 // fraction bits of the φ gain factor
	zFrac    = 16 // fraction bits of a Gaussian draw
)

// streamKey is the Key.Var of a variable of an owner (population or projection index):
// VarID(name) + owner·0x9E3779B97F4A7C15 (mod 2^64).
func streamKey(name string, owner int) uint64 {
	return fixedpoint.VarID(name) + uint64(owner)*0x9E3779B97F4A7C15
}

// gauss returns an approximately N(0, 1) draw with 16 fraction bits: the sum of the
// twelve 16-bit fields of draws 3·index, 3·index+1, 3·index+2 of s, minus their mean
// 12·(2^16−1)/2.
func gauss(s fixedpoint.Stream, index uint64) int64 {
	var sum int64
	for d := range uint64(3) {
		r := s.Draw(3*index + d)
		sum += int64(r&0xffff) + int64(r>>16&0xffff) + int64(r>>32&0xffff) + int64(r>>48)
	}
	return sum - 6*(1<<16-1)
}

// toFixed converts a configuration value to raw with frac fraction bits, half-even.
// Configuration values are finite and small (Validate).
func toFixed(x float64, frac int) int64 {
	v := fixedpoint.Var{Format: fixedpoint.Q(62-frac, frac), Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate}
	return v.FromFloat(x, 0, nil)
}

// roundShift returns x·2^−n rounded half-even (n ≥ 0).
func roundShift(x int64, n int) int64 {
	if n == 0 {
		return x
	}
	q := x >> n
	rem := x & (1<<n - 1)
	half := int64(1) << (n - 1)
	if rem > half || rem == half && q&1 != 0 {
		q++
	}
	return q
}

// buildAnalog draws the die's frozen mismatch.
func (c *Chip) buildAnalog() {
	a := c.analog
	factor := func(sigma float64, name string, q *pop) []int64 {
		if sigma == 0 {
			return nil
		}
		s := fixedpoint.NewStream(c.aseed, streamKey(name, q.idx), 0, 0)
		sg := toFixed(sigma, misFrac)
		out := make([]int64, q.size)
		for i := range out {
			x := int64(1)<<misFrac + roundShift(sg*gauss(s, uint64(i)), zFrac)
			out[i] = min(max(x, 1<<(misFrac-2)), 2<<misFrac) // within [0.25, 2]
		}
		return out
	}
	for _, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		q.misTauM = factor(a.TauMSigma, "mismatch_tau_m", q)
		q.misTauR = factor(a.TauRSigma, "mismatch_tau_r", q)
		q.misGain, q.misOff = nil, nil
		if a.GainSigma != 0 {
			g := factor(a.GainSigma, "mismatch_gain", q)
			q.misGain = make([]int64, q.size)
			for i, x := range g {
				q.misGain[i] = roundShift(x, misFrac-gainFrac)
			}
		}
		if a.OffsetSigma != 0 {
			s := fixedpoint.NewStream(c.aseed, streamKey("mismatch_offset", q.idx), 0, 0)
			sg := toFixed(a.OffsetSigma, q.inFmt.Frac)
			q.misOff = make([]int64, q.size)
			for i := range q.misOff {
				q.misOff[i] = roundShift(sg*gauss(s, uint64(i)), zFrac)
			}
		}
		if a.UNoiseSigma != 0 {
			q.noiseAmp = toFixed(a.UNoiseSigma, c.f.u.Format.Frac-q.sExp+zFrac)
		}
		q.updatePhiAdjust()
	}
}

// updatePhiAdjust records whether the φ units' input needs the gain, offset or trim
// stage.
func (q *pop) updatePhiAdjust() {
	q.phiAdjust = q.misGain != nil || q.misOff != nil
	for _, t := range q.trimOff {
		if t != 0 {
			q.phiAdjust = true
		}
	}
}

// uNoise adds the temporal noise of step c.steps, context k, neuron i to u.
func (c *Chip) uNoise(q *pop, k, i int, u int64, cnt *fixedpoint.Counters) int64 {
	s := fixedpoint.NewStream(c.aseed, streamKey("u_noise", q.idx), uint64(k), c.steps)
	n := roundShift(q.noiseAmp*gauss(s, uint64(i)), 2*zFrac)
	return c.f.u.Rescale(u+n, c.f.u.Format.Frac, 0, cnt)
}

// phiInput applies the φ unit's input stage of neuron i: x·gain + offset + trim,
// rounded half-even and saturated into the unit's input format.
func (c *Chip) phiInput(q *pop, i int, x int64, cnt *fixedpoint.Counters) int64 {
	in := fixedpoint.Var{Format: q.inFmt, Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate}
	if q.misGain != nil {
		x = in.Rescale(x*q.misGain[i], q.inFmt.Frac+gainFrac, 0, cnt)
	}
	if q.misOff != nil {
		x += q.misOff[i]
	}
	if t := q.trimOff[i]; t != 0 {
		if d := q.inFmt.Frac - c.f.trimOff.Format.Frac; d >= 0 {
			x += t << d
		} else {
			x += roundShift(t, -d)
		}
	}
	return in.Rescale(x, q.inFmt.Frac, 0, cnt)
}

// deriveConstants recomputes dt/τm, dt/τr, τr/τm and τm/τr of neurons lo…hi−1 of q
// from τm, τr, the mismatch factors and the τ trims, with the exact divider (quotients
// rounded half-even, then saturated into their formats). cnt may be nil.
func (c *Chip) deriveConstants(q *pop, lo, hi int, cnt *[numCounted]fixedpoint.Counters) {
	f := &c.f
	tf := f.tau.Format.Frac
	one := int64(1) << f.trimTau.Format.Frac
	var cd *fixedpoint.Counters
	if cnt != nil {
		cd = &cnt[cntDerived]
	}
	for i := lo; i < hi; i++ {
		tm, tr := q.tauM[i], q.tauR[i]
		if q.misTauM != nil {
			tm = divRound(tm<<misFrac, q.misTauM[i])
		}
		if t := q.trimTau[i]; t != 0 {
			tm = divRound(tm*one, one+t)
		}
		if q.misTauR != nil {
			tr = divRound(tr<<misFrac, q.misTauR[i])
		}
		tm, tr = max(tm, 1), max(tr, 1)
		q.dtm[i] = f.dtm.Rescale(divRound(int64(1)<<(tf+f.dtm.Format.Frac), tm), f.dtm.Format.Frac, 0, cd)
		q.dtr[i] = f.dtr.Rescale(divRound(int64(1)<<(tf+f.dtr.Format.Frac), tr), f.dtr.Format.Frac, 0, cd)
		q.rm[i] = f.rm.Rescale(divRound(tr<<f.rm.Format.Frac, tm), f.rm.Format.Frac, 0, cd)
		q.mr[i] = f.mr.Rescale(divRound(tm<<f.mr.Format.Frac, tr), f.mr.Format.Frac, 0, cd)
	}
}

// divRound is the chip's exact divider: num/den rounded half-even, den > 0.
func divRound(num, den int64) int64 {
	q, r := num/den, num%den
	if r < 0 {
		q--
		r += den
	}
	if t := 2 * r; t > den || t == den && q&1 != 0 {
		q++
	}
	return q
}

// divRoundInv is divRound with the quotient estimated by a multiply with inv =
// 1/den (float64) and corrected to the exact floor by the remainder, when
// 0 ≤ num < 2^52 and 0 < den < 2^52 (the estimate is then within one of it); else
// divRound.
func divRoundInv(num, den int64, inv float64) int64 {
	if num < 0 || num >= 1<<52 || den <= 0 || den >= 1<<52 {
		return divRound(num, den)
	}
	q := int64(float64(num) * inv)
	r := num - q*den
	for r < 0 {
		q--
		r += den
	}
	for r >= den {
		q++
		r -= den
	}
	if t := 2 * r; t > den || t == den && q&1 != 0 {
		q++
	}
	return q
}

// writeCrossbar writes the crossbar cells k ∈ [lo, hi) of block b from its weight
// memory at step: w_mem rounded into w with w's rounding (stochastic by default, keyed
// by the synapse's index in the declared matrix), then the die's resolution limit and
// write noise.
func (c *Chip) writeCrossbar(b *block, lo, hi int, step uint64, cnt *fixedpoint.Counters) {
	f := &c.f
	s := fixedpoint.NewStream(c.seed, streamKey("w", b.p.idx), 0, step)
	stoch := f.w.Rounding == fixedpoint.Stochastic
	ssize := uint64(b.p.src.size)
	for k := lo; k < hi; k++ {
		var rnd uint64
		if stoch {
			i, j := k/b.cols, k%b.cols
			rnd = s.Draw(uint64(b.row0+i)*ssize + uint64(b.col0+j))
		}
		x := f.w.Rescale(b.wMem[k], f.wMem.Format.Frac, rnd, cnt)
		b.wX[k] = int16(c.analogWrite(b, k, x, step, cnt))
	}
}

// analogWrite applies the die's resolution limit and write noise to a cell value.
func (c *Chip) analogWrite(b *block, k int, x int64, step uint64, cnt *fixedpoint.Counters) int64 {
	a := &c.analog
	if a.WeightBits == 0 && a.WeightWriteSigma == 0 {
		return x
	}
	f := &c.f
	if a.WeightBits != 0 {
		d := f.w.Format.Width() - a.WeightBits
		x = roundShift(x, d) << d
	}
	if a.WeightWriteSigma != 0 {
		s := fixedpoint.NewStream(c.aseed, streamKey("w_write_noise", b.p.idx), 0, step)
		i, j := k/b.cols, k%b.cols
		z := gauss(s, uint64(b.row0+i)*uint64(b.p.src.size)+uint64(b.col0+j))
		x += roundShift(c.writeNoise*z, 2*zFrac)
	}
	hi, lo := f.w.Format.Max(), f.w.Format.Min()
	if a.WeightBits != 0 {
		d := f.w.Format.Width() - a.WeightBits
		hi = hi >> d << d
	}
	if x > hi || x < lo {
		if cnt != nil {
			cnt.Saturations++
		}
		x = min(max(x, lo), hi)
	}
	return x
}
