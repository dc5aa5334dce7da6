package chip

import "github.com/glemu/glemu/fixedpoint"

// neuronArgs is what the vector neuron kernels (neuron_amd64.s) read: one context's
// row of n neurons of a population run, the formats' shifts, rounding halves
// (2^(d−1) − 1) and ranges, and the saturation counts they add. The assembly addresses
// fields by offset (#define N_<FIELD>, checked by TestKernelArgsLayout).
type neuronArgs struct {
	n                                    int64
	eps, estar, rp, v, mr, dtr, inst, eb *int64
	errS                                 *int16
	base                                 uint64 // the error bus's stream base of this context
	idx0                                 int64  // declared index of the row's first neuron
	errSR                                int64  // ĕ rounds onto the bus stochastically
	epsLo, epsHi                         int64
	instLo, instHi, dInst, hInst         int64
	eBLo, eBHi, dEBP, hEBP, fmr          int64
	vLo, vHi, dV, hV, fdtr               int64
	errLo, errHi, dErr, hErr, srErr      int64
	cEps, cInst, cEB, cV, cErr, cU, cUB  uint64
	cPhi                                 uint64
	acc                                  *int32 // nil: no incoming projection
	b                                    *int64 // nil: no bias
	u, ub, du, x, rm, dtm                *int64
	shift0, biasShift                    int64
	uLo, uHi, dS, hS                     int64
	uBLo, uBHi, dUB, hUB, frm            int64
	dUm, hU, fdtm                        int64
	phiLo, phiHi, dPhi, hPhi, comparator int64
	lanes                                [8]int64
	bsum, tsum                           *int64 // nil, or the gradient sums to add ĕ and ĕ_bus·Δu to
	// With packed (the population's packed φ/φ′ table, pop.memoPacked), the membrane
	// kernel also looks x up: r, r′ into rNext, rpNext (the rows of q.r, q.rp: the
	// new rates replace the old in place), saturations into cR, cRP.
	packed        *uint64
	inMin         int64 // phi_in's minimum: x − inMin indexes packed
	rNext, rpNext *int64
	cR, cRP       uint64
	// With blockBus (the block error bus: phaseErrBus forms err_bus), the error kernel
	// neither rounds ĕ onto the bus nor counts it: it ORs every |ĕ| into ebOr (the
	// population's partial OR, busExponents), and errS is not read.
	blockBus int64
	ebOr     uint64
	// packed32, when not nil, is packed in 32-bit words (pop.memoPacked32), read
	// instead of it: no saturations to count.
	packed32 *uint32
	// With ident (identity units, no table: phiUnits.ident), the membrane kernel
	// forms r = sat(rhe(x, identD)) into rNext (saturations into cR), r′ = one into
	// rpNext; hIdent = 2^(identD−1) − 1, rLo … rHi φ's output range.
	ident, identD, hIdent, rLo, rHi, one int64
	// rows > 1: the kernels run rows consecutive context rows in one call, every
	// per-context pointer advancing by stride elements a row (acc by accStride), the
	// per-neuron ones (mr, dtr, b, rm, dtm, bsum, tsum) not; the error kernel then
	// needs a row-free error bus (blockBus, or half-even), the membrane kernel packed
	// or ident (x is scratch, overwritten row by row). The kernels count rows down.
	rows, stride, accStride int64
}

// busArgs is what busKernel (neuron_amd64.s) reads: one context's row of n values of
// ĕ put on the block error bus at shift s (1 ≤ s ≤ 62 rounding stochastically with
// the draws of neurons idx0 … idx0+n−1 of stream base, or half-even with
// h = 2^(s−1) − 1; s = 0 only saturating), saturated to lo … hi and counted in sats;
// with tsum, tsum += bus·du (the τm gradient sum). Offsets: #define B_<FIELD>.
type busArgs struct {
	n        int64
	eb       *int64
	bus      *int16
	du, tsum *int64
	base     uint64
	idx0     int64
	shift    int64
	srShift  int64 // 64 − s
	h        int64
	mode     int64 // busSat, busSR or busHE
	lo, hi   int64
	lanes    [8]int64
	sats     uint64
}

// The rounding of busArgs.mode.
const (
	busSat = iota // s = 0: saturate only
	busSR         // stochastic
	busHE         // half-even
)

// neuronRowMax is the longest row the kernels take (the φ stage's scratch).
const neuronRowMax = 256

// useNeuronKernel selects the vector neuron kernels where the CPU has them; tests
// switch it off to compare.
var useNeuronKernel = hasNeuronKernel

// neuronArgsFor fills a with q's constants for neurons lo…hi−1 (row pointers are set
// per context), and reports which kernels apply: the error neuron (prospective errors,
// a row short enough) and the membrane (at most one incoming projection, γ = 0, no u
// noise).
func (c *Chip) neuronArgsFor(a *neuronArgs, q *pop, lo, hi int) (errK, memK bool) {
	p := &q.plan
	n := hi - lo
	if !useNeuronKernel || c.reference || !p.fast || n > neuronRowMax || n < 1 {
		return false, false
	}
	errK = c.prog.Errors == ErrorsProspective
	memK = len(q.in) <= 1 && q.gamma == 0 && c.analog.UNoiseSigma == 0
	h := func(d int) int64 {
		if d < 1 {
			return 0 // no rounding: the kernels skip it
		}
		return 1<<(d-1) - 1
	}
	*a = neuronArgs{
		n: int64(n), idx0: int64(lo),
		epsLo: p.eps.lo, epsHi: p.eps.hi,
		instLo: p.inst.lo, instHi: p.inst.hi, dInst: int64(p.dInst), hInst: h(p.dInst),
		eBLo: p.eB.lo, eBHi: p.eB.hi, dEBP: int64(p.dEBP), hEBP: h(p.dEBP), fmr: int64(p.fmr),
		vLo: p.v.lo, vHi: p.v.hi, dV: int64(p.dV), hV: h(p.dV), fdtr: int64(p.fdtr),
		errLo: p.errBus.lo, errHi: p.errBus.hi, dErr: int64(p.dErr), hErr: h(p.dErr), srErr: int64(64 - p.dErr),
		uLo: p.u.lo, uHi: p.u.hi, dS: int64(p.dS), hS: h(p.dS),
		uBLo: p.uB.lo, uBHi: p.uB.hi, dUB: int64(p.dUB), hUB: h(p.dUB), frm: int64(p.frm),
		dUm: int64(p.dU), hU: h(p.dU), fdtm: int64(p.fdtm),
		phiLo: p.phiIn.lo, phiHi: p.phiIn.hi, dPhi: int64(p.dPhi), biasShift: int64(q.biasShift),
		lanes: [8]int64{0, 1, 2, 3, 4, 5, 6, 7},
	}
	if p.errSR {
		a.errSR = 1
	}
	if c.busAfter >= 0 {
		a.blockBus = 1
	}
	if q.comparator {
		a.comparator = 1
	} else {
		a.hPhi = h(p.dPhi)
	}
	if len(q.in) == 1 {
		a.shift0 = int64(q.in[0].shift)
	}
	// The kernels shift by variable counts within [0, 63]: the plan's shifts are
	// within [1, 62] (plan), the left shifts of the formats' fraction bits below 64.
	for _, s := range []int64{a.fmr, a.fdtr, a.frm, a.fdtm, a.shift0, a.biasShift} {
		if s < 0 || s > 62 {
			return false, false
		}
	}
	return errK, memK
}

// addCounts adds the kernels' saturation counts to the tile's counters.
func (a *neuronArgs) addCounts(cnt *[numCounted]fixedpoint.Counters) {
	cnt[cntEps].Saturations += a.cEps
	cnt[cntInst].Saturations += a.cInst
	cnt[cntEB].Saturations += a.cEB
	cnt[cntV].Saturations += a.cV
	cnt[cntErrBus].Saturations += a.cErr
	cnt[cntU].Saturations += a.cU
	cnt[cntUB].Saturations += a.cUB
	cnt[cntPhiIn].Saturations += a.cPhi
	cnt[cntR].Saturations += a.cR
	cnt[cntRP].Saturations += a.cRP
}

// epsArgs is what epsKernel (neuron_amd64.s) reads: one context's row of n transposed
// sums (int32) gathered into ε_in: eps = sat(rhe(acc·2^sh, d)) (d ≥ 1, h = 2^(d−1) − 1,
// |acc·2^sh| < 2^61) or sat(acc·2^sh) (d = 0, sh ≤ 31), saturations counted in sats.
// Offsets: #define G_<FIELD>.
type epsArgs struct {
	n, sh, d, h int64
	acc         *int32
	eps         *int64
	lo, hi      int64
	sats        uint64
}

// commitArgs is what commitKernel (neuron_amd64.s) reads: one context's row of n
// neurons committing their new rates onto the rate bus, rb = int16(r) (the bus in
// r's format). Offsets: #define C_<FIELD>.
type commitArgs struct {
	n  int64
	r  *int64
	rb *int16
}
