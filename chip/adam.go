package chip

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/glemu/glemu/fixedpoint"
)

// adamArgs is what the vector Adam kernel (adam_amd64.s) reads: a row of synapses and
// the optimizer's constants for one learning step, with the derived values the kernel
// would otherwise recompute (negated bounds, rounding halves, shift complements). The
// layout is fixed: the assembly addresses fields by offset (TestKernelArgsLayout).
type adamArgs struct {
	theta, gs, m, v *int64 // 0, 8, 16, 24
	n               int64  // 32: synapses in the row
	idx0            uint64 // 40: declared index of the first

	invC, limG, limG2, dG, halfG, gLo, gHi int64 // 48 … 96 (limG2 = 2·limG mod 2^64)

	a1, lim1, lim12, dM, halfM, srM, heM, mLo, mHi int64 // 104 … 168 (lim12 = 2·lim1)

	a2, dV, halfV, srV, heV, sV, vLo, vHi int64 // 176 … 232 (no bound on a2·(g² − v): the kernel forms the product exactly in two limbs)

	epsT, k int64 // 240, 248

	lrt, limT, lrt32, dT, halfT, srT, heT, tLo, tHi int64 // 256 … 320 (lrt32: lrt fits 32 bits)

	sM, sV2, sT uint64 // 328, 336, 344: stream bases of m, v, θ

	lanes [8]int64 // 352: 0 … 7

	wx  *int16 // 416: the row's crossbar cells, nil: no crossbar write
	sX  uint64 // 424: stream base of the crossbar write
	srX int64  // 432: 64 − dX
	dX  int64  // 440: w_mem's fraction bits over w's
	xLo int64  // 448: w's range
	xHi int64  // 456

	ok [adamRowMax / 8]uint8 // 464: per group, the lanes of the row pass A stored (the others declined)

	vSh   int64                 // 496: |dV − 32|
	failB [adamRowMax / 8]uint8 // 504: lanes whose moments are stored but not θ
	upd   [adamRowMax / 8]uint8 // 536: lanes pass C updates
	xs    [adamRowMax]int64     // 568: Adam's ratios
	g32   int64                 // 2616: 1 when g fits an int32 (g² by a 32-bit multiply)
	sPos  int64                 // 2624: 1 when gs holds the sums s themselves, not −s

	// 2632: sats counts the saturations of g, m, v, θ and the crossbar cells per lane
	// (the kernel's vector counters, summed by kernelRow).
	sats [5][8]uint64

	invSh int64 // 2952: log2 invC when invC is a power of two up to 2^dG (then dG, halfG, dGbit are dG − invSh's: no product), else −1
	a132  int64 // 2960: 1 when a1 fits 32 bits (a1·x by vpmuldq; lim1 ≤ 2^31 − 1)
	dGbit int64 // 2968: 2^dG (0 when dG = 0)

	x64 [adamRowMax / 8]uint8 // 2976: lanes of upd whose θ product needs vpmullq

	fastA int64 // 3008: 1 when pass A takes its loop for the chip's configuration (setFast)
	fastC int64 // 3016: 1 when pass C does (setFast)
	a2h   int64 // 3024: a2·2^(32−dV) when dV ≤ 32, else 0 (the fast pass A's high half)
}

// setFast sets a.fastA and a.fastC: passes A and C of the kernel have loops without
// per-group switches for the configuration of the chip's weights, the general loops
// serving the rest; both take the same bits (TestAdamKernelFast). Pass A's: gs holds
// −s; 1/C a power of two up to 2^dG; a1 within 32 bits; g within 32 bits; m and v
// rounded stochastically with shifts of at most 31, so that their draws leave out
// SplitMix's last step; sV = 0 (and a2·2^(32−dV) < 2^30, which adamVector's bound on
// a2 implies, so that its vpmuldq takes it). Of its two loops,
// fastA = 2 takes g = s exactly (1/C = 2^dG) where no s within limG reaches below gLo
// (no rounding, no lower clamp), fastA = 1 the rest. Pass C's: θ rounded
// stochastically; a crossbar, its cells rounded by draws that leave out the last step
// (dX ≤ 31), their range int16's.
func (a *adamArgs) setFast() {
	if a.sPos == 0 && a.invSh >= 0 && a.a132 != 0 && a.g32 != 0 && a.heM == 0 && a.dM <= 31 &&
		a.heV == 0 && a.dV <= 31 && a.sV == 0 {
		a.fastA = 1
		if a.dG == 0 && a.gLo <= -a.limG {
			a.fastA = 2
		}
	} else {
		a.fastA = 0
	}
	a.fastC = b2i(a.heT == 0 && a.wx != nil && a.dX <= 31 && a.xLo == math.MinInt16 && a.xHi == math.MaxInt16)
}

// adamRowMax is the most synapses of one kernel call.
const adamRowMax = 256

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// useAdamKernel selects the vector Adam kernel where the CPU has it; tests switch it
// off to compare.
var useAdamKernel = hasAdamKernel

// adamVector reports whether the vector kernel computes p's Adam step exactly: the
// bounds under which its float square root and division are exact (see
// adam_amd64.s) hold for p's formats.
func (p *optPlan) adamVector() bool {
	if !useAdamKernel || p.kind != OptAdam || !p.ok {
		return false
	}
	mMax := uint64(max(-p.m.lo, p.m.hi))
	return p.v.lo >= 0 && p.v.hi < 1<<62 && p.k >= 0 && p.sV >= 0 && p.sV < 64 &&
		bits.Len64(mMax)+p.k <= 61 && p.a2 >= 0 && p.a2 < 1<<31 && bits.Len64(uint64(p.a2))+63-p.dV <= 61 && p.epsT >= 0 && p.epsT < 1<<30 && p.theta.hi < 1<<62 && p.theta.lo > -(1<<62)
}

// args fills a with p's constants (the row fields are set per row).
//
// Where a1 fits 32 bits, the kernel multiplies a1·(g − m) by vpmuldq and, unless a1
// is 0 (a product of 0 whatever the operand), the bound of g − m is lowered to
// 2^31 − 1: a lane beyond it is declined (Go's adamRow steps it, the same bits),
// which in training does not happen (g and m would be 64 units of grad apart, each
// near its format's edge). Where lr_t fits 32 bits, pass C multiplies by vpmuldq the
// groups whose ratios all fit 32 bits (x64 marks the others).
func (p *optPlan) args(a *adamArgs, sT, sM, sV fixedpoint.Stream) {
	fits32 := func(x int64) bool { return x >= math.MinInt32 && x <= math.MaxInt32 }
	lim1 := p.lim1
	if fits32(p.a1) && p.a1 != 0 {
		lim1 = min(lim1, math.MaxInt32)
	}
	// g = rhe(invC·s, dG): when invC = 2^sh, sh ≤ dG, it is rhe(s, dG − sh), the same
	// bits (the sum's low sh bits are 0 and cannot carry); for sh = dG, s itself
	// (rhe(x, 0) = x: halfG and dGbit 0, nothing added, a shift of 0; MNIST-1D at one
	// context, 1/C = 2^31 and dG = 31).
	invSh, dG := int64(-1), p.dG
	if sh := bits.TrailingZeros64(uint64(p.invC)); p.invC > 0 && p.invC&(p.invC-1) == 0 && sh <= dG {
		invSh, dG = int64(sh), dG-sh
	}
	// a2h: a2·2^(32−dV) < 2^30 (adamVector: bits.Len64(a2) + 63 − dV ≤ 61).
	a2h := int64(0)
	if p.dV <= 32 {
		a2h = p.a2 << (32 - p.dV)
	}
	halfG, dGbit := int64(0), int64(0)
	if dG > 0 {
		halfG, dGbit = 1<<(dG-1)-1, 1<<dG
	}
	*a = adamArgs{
		invC: p.invC, limG: p.limG, limG2: int64(2 * uint64(p.limG)), dG: int64(dG), halfG: halfG, gLo: p.grad.lo, gHi: p.grad.hi,
		a1: p.a1, lim1: lim1, lim12: int64(2 * uint64(lim1)), dM: int64(p.dM), halfM: 1<<(p.dM-1) - 1, srM: int64(64 - p.dM), heM: b2i(p.heM), mLo: p.m.lo, mHi: p.m.hi,
		a2: p.a2, dV: int64(p.dV), halfV: 1<<(p.dV-1) - 1, srV: int64(64 - p.dV), heV: b2i(p.heV), sV: int64(p.sV), vLo: p.v.lo, vHi: p.v.hi,
		epsT: p.epsT, k: int64(p.k),
		lrt: p.lrt, limT: p.limT, lrt32: b2i(fits32(p.lrt)), dT: int64(p.dT), halfT: 1<<(p.dT-1) - 1, srT: int64(64 - p.dT), heT: b2i(p.heT), tLo: p.theta.lo, tHi: p.theta.hi,
		sM: uint64(sM), sV2: uint64(sV), sT: uint64(sT),
		lanes: [8]int64{0, 1, 2, 3, 4, 5, 6, 7},
		vSh:   int64(max(p.dV-32, 32-p.dV)),
		g32:   b2i(p.grad.lo >= math.MinInt32 && p.grad.hi <= math.MaxInt32),
		invSh: invSh, a132: b2i(fits32(p.a1)), dGbit: dGbit,
		a2h: a2h,
	}
}

// kernelRow runs the vector kernel on a row of at most adamRowMax synapses (a.wx set
// by the caller: the row's crossbar cells, or nil) and adds its saturation counts.
// It returns the lanes it declined, a bit per synapse: in fail, untouched (the caller
// runs adamRow on them); in failB, moments stored but θ not (the caller runs
// adamTheta).
func (p *optPlan) kernelRow(a *adamArgs, theta, gs, m, v []int64, idx0 uint64, cnt *[numCounted]fixedpoint.Counters, cT *uint64) (fail, failB [adamRowMax / 8]uint8) {
	n := len(theta)
	gs, m, v = gs[:n], m[:n], v[:n]
	a.theta, a.gs, a.m, a.v = &theta[0], &gs[0], &m[0], &v[0]
	a.n, a.idx0 = int64(n), idx0
	a.setFast()
	adamKernel(a)
	// Each count summed in a register (a loop adding into an array in memory made a
	// chain of store-to-load forwards, 8 % of a 256-synapse call).
	var c [5]uint64
	for i := range c {
		s := &a.sats[i]
		c[i] = (s[0] + s[1]) + (s[2] + s[3]) + (s[4] + s[5]) + (s[6] + s[7])
	}
	cnt[cntGrad].Saturations += c[0]
	cnt[cntAdamM].Saturations += c[1]
	cnt[cntAdamV].Saturations += c[2]
	*cT += c[3]
	cnt[cntW].Saturations += c[4]
	// fail = ¬ok within the row, eight groups a word.
	for w := 0; 64*w < n; w++ {
		x := ^binary.LittleEndian.Uint64(a.ok[8*w:])
		if r := n - 64*w; r < 64 {
			x &= 1<<r - 1
		}
		binary.LittleEndian.PutUint64(fail[8*w:], x)
	}
	return fail, a.failB
}
