package chip

import (
	"math/bits"

	"github.com/glemu/glemu/fixedpoint"
)

// The block error bus (Config.ErrorBus = ErrorBusBlock, see docs/chip.md, "The error
// bus"). At every step each population p puts its ĕ on the bus as
//
//	err_bus = round(ĕ_raw · 2^−s_t)        (ĕ_raw: e_breve's raw value)
//
// with one shift s_t shared by all its neurons and contexts: the smallest s in
// 0 … sMax (sMax = width(e_breve) − width(err_bus)) with |ĕ_raw|>>s within the bus's
// magnitude bits, found from the OR of every |ĕ_raw| (a leading-zero count per neuron,
// an OR tree per population): order-free, so any placement, part split or worker count
// gives the same s_t. The bus values then carry eB.Frac − s_t fraction bits (before the
// population's ErrorExp) instead of err_bus's; with s_t = eB.Frac − errBus.Frac it is
// the static bus. Everything that reads the bus (the transposed sums' binary point,
// the weight and τm gradients) reads q.busShift, fixed once per step by busExponents
// between the neuron phase and the encode phase (phaseErrBus).

// blockShift returns the block exponent for a population whose |ĕ_raw| OR to m: the
// smallest s in [0, sMax] with m>>s below 2^(busBits−1) (every |ĕ_raw|>>s fits a signed
// busBits-bit word). Rounding may still carry a value at the edge one LSB over
// (saturated and counted, an error of at most one LSB).
func blockShift(m uint64, busBits, sMax int) int {
	s := bits.Len64(m) - (busBits - 1)
	return min(max(s, 0), max(sMax, 0))
}

// staticShift is the shift of the static bus: e_breve's fraction bits over err_bus's.
func (c *Chip) staticShift() int { return c.f.eB.Format.Frac - c.f.errBus.Format.Frac }

// blockBus reports whether the chip's error bus takes a block exponent per step.
func (c *Chip) blockBus() bool { return c.cfg.ErrorBus == ErrorBusBlock }

// busFrac returns the fraction bits (before the exponent ErrorExp) of q's error bus
// values at this step.
func (c *Chip) busFrac(q *pop) int { return c.f.eB.Format.Frac - q.busShift }

// busOr ORs |ĕ_raw| of neurons lo…hi−1 of q, contexts k0…k1−1, into phase item i's
// partial (the neuron phase; busExponents reduces the partials).
func (q *pop) busOr(i, lo, hi, k0, k1 int) {
	var m uint64
	for k := k0; k < k1; k++ {
		for _, e := range q.eb[k*q.size+lo : k*q.size+hi] {
			m |= uint64(e) ^ uint64(e>>63) - uint64(e>>63) // |e|
		}
	}
	q.ebOr[i] |= m
}

// busExponents fixes every population's block exponent for this step from the phase
// items' partial ORs (clearing them) and the scales that depend on it. It runs once,
// serially, between the neuron phase and phaseErrBus.
func (c *Chip) busExponents() {
	busBits := c.f.errBus.Format.Width()
	sMax := c.f.eB.Format.Width() - busBits
	for _, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		var m uint64
		for i, x := range q.ebOr {
			m |= x
			q.ebOr[i] = 0
		}
		s := blockShift(m, busBits, sMax)
		q.busShift = s
		if !q.busSeen || s < q.busMin {
			q.busMin = s
		}
		if !q.busSeen || s > q.busMax {
			q.busMax = s
		}
		q.busSeen = true
	}
	c.busScales()
}

// busScales sets the binary point of every transposed partial sum from its target's
// current bus shift, and each source's common point, alignment shifts and ε_in
// rounding (neuronPlan.dBack, fastBack). The one place these are derived: at build
// (the static shift) and whenever the block bus's shifts change.
func (c *Chip) busScales() {
	f := &c.f
	for _, x := range c.projs {
		x.tsumFrac = f.w.Format.Frac + c.busFrac(x.tgt) - x.wExp - x.tgt.eExp
	}
	heEps := f.eps.Rounding == fixedpoint.HalfEven && f.eps.Overflow == fixedpoint.Saturate
	for _, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		q.tsumFrac = -1 << 30
		for _, x := range q.out {
			q.tsumFrac = max(q.tsumFrac, x.tsumFrac)
		}
		for _, x := range q.out {
			x.tshift = q.tsumFrac - x.tsumFrac
		}
		q.plan.dBack = q.tsumFrac + q.eExp - f.eps.Format.Frac
		q.plan.fastBack = heEps && q.plan.dBack >= -62 && q.plan.dBack <= 62
	}
}

// phaseErrBus (block error bus only): every neuron run of the item's tile rounds its ĕ
// onto the bus at its population's shift of this step, the item's part of the
// contexts, with the bus's rounding (stochastic draws keyed by population, context,
// step and neuron, as the neuron loops' were); with τm learning on it sums the τm
// gradients ĕ_bus·Δu on the way (the bias sums, of ĕ, are the neuron phase's).
func (c *Chip) phaseErrBus(i int) {
	tl, p := c.item(i)
	k0, k1 := span(c.contexts, p, c.parts)
	if k0 == k1 {
		return
	}
	learnT := c.learnOn && c.prog.Learning.TauM.On
	for _, r := range tl.runs {
		q := r.p
		if q.role == RoleInput {
			continue
		}
		var ts []int64
		if learnT {
			ts = q.tSumP[p]
		}
		c.errBusRun(tl, q, r.lo, r.hi, k0, k1, ts)
	}
}

// errBusRun rounds ĕ of neurons lo…hi−1 of q, contexts k0…k1−1, onto the bus
// (phaseErrBus; counters into tl's), summing the τm gradients of those neurons into
// tSum[lo:hi] when tSum is not nil.
func (c *Chip) errBusRun(tl *tile, q *pop, lo, hi, k0, k1 int, tSum []int64) {
	f := &c.f
	cnt := &tl.cnt[cntErrBus]
	s := q.busShift
	frac := f.errBus.Format.Frac + s
	sr := f.errBus.Rounding == fixedpoint.Stochastic && s > 0
	key := streamKey(f.errBus.Name, q.idx)
	// Saturating stochastic or half-even rounding by a shift of 0…62 is inlined
	// (Var.Rescale's bits: (x + draw>>(64−s))>>s, rhe), or runs in busKernel;
	// other policies take Rescale.
	inline := f.errBus.Overflow == fixedpoint.Saturate && s <= 62 && !c.reference &&
		(sr || s == 0 || f.errBus.Rounding == fixedpoint.HalfEven)
	bus16 := rangeOf(f.errBus)
	n := hi - lo
	var tsum []int64
	if tSum != nil {
		tsum = tSum[lo:hi]
		clear(tsum)
	}
	var ba busArgs
	kernel := inline && useNeuronKernel && n > 0
	if kernel {
		ba = busArgs{n: int64(n), idx0: int64(lo), shift: int64(s), srShift: int64(64 - s),
			lo: bus16.lo, hi: bus16.hi, lanes: [8]int64{0, 1, 2, 3, 4, 5, 6, 7}}
		switch {
		case sr:
			ba.mode = busSR
		case s == 0:
			ba.mode = busSat
		default:
			ba.mode, ba.h = busHE, 1<<(s-1)-1
		}
		if tsum != nil {
			ba.tsum = &tsum[0]
		}
	}
	var sats uint64
	for k := k0; k < k1; k++ {
		var st fixedpoint.Stream
		if sr {
			st = fixedpoint.NewStream(c.seed, key, uint64(k), c.steps)
		}
		off := k * q.size
		eb, bus := q.eb[off+lo:off+hi], q.errBus[off+lo:off+hi]
		bus = bus[:len(eb)]
		du := q.du[off+lo : off+hi]
		if kernel {
			ba.eb, ba.bus, ba.du, ba.base = &eb[0], &bus[0], &du[0], uint64(st)
			busKernel(&ba)
			continue
		}
		switch {
		case inline && sr:
			us, top := uint(s), uint(64-s)
			for j, e := range eb {
				bus[j] = int16(bus16.clamp((e+int64(st.Draw(uint64(lo+j))>>top))>>us, &sats))
			}
		case inline && s == 0:
			for j, e := range eb {
				bus[j] = int16(bus16.clamp(e, &sats))
			}
		case inline:
			us := uint(s)
			for j, e := range eb {
				bus[j] = int16(bus16.clamp(rhe(e, us), &sats))
			}
		default:
			for j, e := range eb {
				var d uint64
				if sr {
					d = st.Draw(uint64(lo + j))
				}
				bus[j] = int16(f.errBus.Rescale(e, frac, d, cnt))
			}
		}
		if tsum != nil {
			du = du[:len(bus)]
			tsum = tsum[:len(bus)]
			for j, b := range bus {
				tsum[j] += int64(b) * du[j]
			}
		}
	}
	cnt.Saturations += sats + ba.sats
}

// BusExponent is one population's error bus exponent: the shift s_t of ĕ's raw value
// onto the bus (in LSBs of e_breve) at the last step and its range since the counters
// were reset. A bus value b stands for b·2^LSBExp (LSBExp = ErrorExp − e_breve's
// fraction bits + Shift). With ErrorBusStatic every step uses e_breve's fraction bits
// minus err_bus's.
type BusExponent struct {
	Population         string
	Shift              int
	LSBExp             int
	MinShift, MaxShift int
}

// ErrorBusExponents returns, for every non-input population in program order, its
// error bus exponent (BusExponent); Shift, MinShift and MaxShift are the static shift
// before the first step.
func (c *Chip) ErrorBusExponents() []BusExponent {
	var out []BusExponent
	for _, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		lo, hi := q.busMin, q.busMax
		if !q.busSeen {
			lo, hi = q.busShift, q.busShift
		}
		out = append(out, BusExponent{Population: q.name, Shift: q.busShift,
			LSBExp: q.eExp - c.f.eB.Format.Frac + q.busShift, MinShift: lo, MaxShift: hi})
	}
	return out
}
