package chip

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/glemu/glemu/fixedpoint"
)

// TestKernelArgsLayout: every offset the assembly defines (#define O_<FIELD> of
// adamArgs in adam_amd64.s, N_<FIELD> of neuronArgs in neuron_amd64.s) is its field's.
func TestKernelArgsLayout(t *testing.T) {
	for _, c := range []struct {
		file, prefix string
		typ          reflect.Type
	}{
		{"adam_amd64.s", "O_", reflect.TypeFor[adamArgs]()},
		{"neuron_amd64.s", "N_", reflect.TypeFor[neuronArgs]()},
		{"neuron_amd64.s", "B_", reflect.TypeFor[busArgs]()},
		{"neuron_amd64.s", "G_", reflect.TypeFor[epsArgs]()},
		{"neuron_amd64.s", "C_", reflect.TypeFor[commitArgs]()},
	} {
		src, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		offsets := map[string]uintptr{}
		for i := range c.typ.NumField() {
			f := c.typ.Field(i)
			offsets[strings.ToUpper(f.Name)] = f.Offset
		}
		n := 0
		for _, line := range strings.Split(string(src), "\n") {
			var name string
			var off uintptr
			if k, _ := fmt.Sscanf(line, "#define "+c.prefix+"%s %d", &name, &off); k != 2 {
				continue
			}
			n++
			if want, ok := offsets[name]; !ok {
				t.Errorf("%s: %s%s names no field of %v", c.file, c.prefix, name, c.typ)
			} else if want != off {
				t.Errorf("%s: %s%s = %d, the field is at %d", c.file, c.prefix, name, off, want)
			}
		}
		if n < min(20, c.typ.NumField()) {
			t.Errorf("%s: only %d offsets found", c.file, n)
		}
	}
}

// adamPlan is an Adam plan with the default table's formats (w_mem Q2.29, grad and
// adam_m Q7.24, adam_v UQ8.48), for C contexts, with the given roundings.
func adamPlan(C int64, heM, heV, heT bool, lrt, epsT int64) optPlan {
	f := fixedpoint.DefaultTable()
	get := func(n string) sat { v, _ := f.Lookup(n); return rangeOf(v) }
	df := 31
	one := int64(1) << df
	p := optPlan{ok: true, kind: OptAdam, grad: get("grad"), m: get("adam_m"), v: get("adam_v"), theta: get("w_mem"),
		heG: true, heM: heM, heV: heV, heT: heT, invC: (one + C/2) / C, dG: 24 + 31 - 24 + 5, dM: df, dV: df + 48 - 48,
		sV: 0, k: 24 + 24 - 24, dT: 31 + 24 - 29, lrt: -lrt, a1: one - 1932735283, a2: one - 2145336164, epsT: epsT}
	p.limG, p.lim1, p.lim2, p.limT = mulLimit(p.invC), mulLimit(p.a1), mulLimit(p.a2), mulLimit(p.lrt)
	return p
}

// TestAdamKernel: the vector Adam kernel (with adamRow on the groups it declines)
// gives adamRow's bits, counters included, on random rows with ordinary, tiny, huge
// and saturating gradients and moments, for every rounding choice, and it does take
// most groups.
func TestAdamKernel(t *testing.T) {
	if !hasAdamKernel {
		t.Skip("no AVX-512 DQ")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	pick := func(scale int) int64 {
		x := int64(rng.Uint64() >> (64 - scale))
		if rng.IntN(2) == 0 {
			x = -x
		}
		return x
	}
	var declined, lanes [2]int
	declinedB := 0
	for trial := range 3000 {
		he := trial % 8
		p := adamPlan(int64(1+rng.IntN(256)), he&1 != 0, he&2 != 0, he&4 != 0, int64(rng.IntN(1<<31)), int64(rng.IntN(1<<20)))
		if !p.adamVector() {
			t.Fatal("the default formats should take the vector kernel")
		}
		n := 1 + rng.IntN(adamRowMax)
		gs, m, v, theta := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		// Even trials: magnitudes of training (gradient sums below 2^30, moments of
		// their size); odd ones: anything, to reach the declined lanes and saturation.
		ordinary := trial%2 == 0
		scale := []int{8, 20, 32, 40, 50, 62}[trial%6]
		for j := range n {
			gs[j] = pick(scale)
			m[j] = max(p.m.lo, min(p.m.hi, pick(1+rng.IntN(32))))
			v[j] = int64(rng.Uint64() >> (64 - 1 - rng.IntN(56)))
			if ordinary {
				gs[j] = pick(1 + rng.IntN(30))
				m[j] = pick(1 + rng.IntN(20))
				v[j] = m[j]*m[j] + int64(rng.Uint64()>>(64-1-rng.IntN(40)))
			}
			theta[j] = max(p.theta.lo, min(p.theta.hi, pick(1+rng.IntN(32))))
			switch rng.IntN(20) {
			case 0:
				v[j] = 0
			case 1:
				m[j] = p.m.hi
			case 2:
				theta[j] = p.theta.lo
			}
		}
		dA, dB := checkKernelRow(t, fmt.Sprintf("trial %d (roundings %03b)", trial, he), &p, theta, gs, m, v, 16, rng)
		declined[trial%2] += dA + dB
		declinedB += dB
		lanes[trial%2] += n
	}
	if declined[0] > lanes[0]/20 || declined[1] == 0 || declinedB == 0 {
		t.Errorf("the kernel declined %d of %d ordinary synapses and %d of %d extreme ones", declined[0], lanes[0], declined[1], lanes[1])
	}
	t.Logf("the kernel declined %d of %d ordinary synapses and %d of %d extreme ones (%d after their moments)", declined[0], lanes[0], declined[1], lanes[1], declinedB)
}

// checkKernelRow runs the kernel (with adamRow and adamTheta on the lanes it declines,
// and the crossbar write: w Q2.13 from w_mem Q2.29, stochastic) and adamRow on copies
// of one row with random streams and failing the test on any difference of m, v, θ,
// w or the counters; it returns the lanes declined before and after their moments.
func checkKernelRow(t *testing.T, name string, p *optPlan, theta, gs, m, v []int64, dX int, rng *rand.Rand) (declinedA, declinedB int) {
	t.Helper()
	sT, sM, sV := fixedpoint.Stream(rng.Uint64()), fixedpoint.Stream(rng.Uint64()), fixedpoint.Stream(rng.Uint64())
	return checkKernelStreams(t, name, p, theta, gs, m, v, dX, rng.Uint64()>>20, sT, sM, sV, fixedpoint.Stream(rng.Uint64()))
}

// checkKernelStreams is checkKernelRow with the declared index of the first synapse
// and the streams given.
func checkKernelStreams(t *testing.T, name string, p *optPlan, theta, gs, m, v []int64, dX int, idx0 uint64, sT, sM, sV, sX fixedpoint.Stream) (declinedA, declinedB int) {
	t.Helper()
	declinedA, declinedB, _ = checkKernelArgs(t, name, p, theta, gs, m, v, dX, idx0, sT, sM, sV, sX, kernelOpts{})
	return declinedA, declinedB
}

// kernelOpts are checkKernelArgs's variations: the kernel given the sums s = −gs
// themselves (adamArgs.sPos), no crossbar (wx nil), crossbar cells of another range
// than int16's.
type kernelOpts struct {
	sPos, noX bool
	wLo, wHi  int64 // the cells' range, 0: int16's
}

// checkKernelArgs is checkKernelStreams with o, returning also the kernel's choice of
// loops (adamArgs.fastA, fastC).
func checkKernelArgs(t *testing.T, name string, p *optPlan, theta, gs, m, v []int64, dX int, idx0 uint64, sT, sM, sV, sX fixedpoint.Stream, o kernelOpts) (declinedA, declinedB int, fast [2]int64) {
	t.Helper()
	n := len(theta)
	m2, v2, th2 := slices.Clone(m), slices.Clone(v), slices.Clone(theta)
	wx1, wx2 := make([]int16, n), make([]int16, n)
	for j := range wx1 {
		wx1[j] = int16(j * 977)
		wx2[j] = wx1[j]
	}
	wSat := sat{-1 << 15, 1<<15 - 1}
	if o.wLo != 0 {
		wSat.lo = o.wLo
	}
	if o.wHi != 0 {
		wSat.hi = o.wHi
	}
	var c1, c2 [numCounted]fixedpoint.Counters
	var t1, t2 uint64
	den := make([]int64, n)
	old := slices.Clone(theta)
	p.adamRow(theta, gs, m, v, den, idx0, sT, sM, sV, &c1, &t1)
	for j := range theta {
		if theta[j] != old[j] && !o.noX {
			wx1[j] = int16(wSat.clamp((theta[j]+int64(sX.Draw(idx0+uint64(j))>>(64-dX)))>>dX, &c1[cntW].Saturations))
		}
	}
	var a adamArgs
	p.args(&a, sT, sM, sV)
	a.sX, a.dX, a.srX, a.xLo, a.xHi, a.wx = uint64(sX), int64(dX), int64(64-dX), wSat.lo, wSat.hi, &wx2[0]
	if o.noX {
		a.wx = nil
	}
	kgs := gs
	if o.sPos {
		a.sPos = 1
		kgs = make([]int64, n)
		for j, x := range gs {
			kgs[j] = -x
		}
	}
	fail, failB := p.kernelRow(&a, th2, kgs, m2, v2, idx0, &c2, &t2)
	for g := range (n + 7) / 8 {
		for fb := fail[g] | failB[g]; fb != 0; fb &= fb - 1 {
			j := 8*g + bits.TrailingZeros8(fb)
			w := th2[j]
			if fail[g]&(1<<(j%8)) != 0 {
				declinedA++
				p.adamRow(th2[j:j+1], gs[j:j+1], m2[j:j+1], v2[j:j+1], den, idx0+uint64(j), sT, sM, sV, &c2, &t2)
			} else {
				declinedB++
				p.adamTheta(th2[j:j+1], m2[j:j+1], v2[j:j+1], den, idx0+uint64(j), sT, &t2)
			}
			if th2[j] != w && !o.noX {
				wx2[j] = int16(wSat.clamp((th2[j]+int64(sX.Draw(idx0+uint64(j))>>(64-dX)))>>dX, &c2[cntW].Saturations))
			}
		}
	}
	for j := range n {
		if m[j] != m2[j] || v[j] != v2[j] || theta[j] != th2[j] || wx1[j] != wx2[j] {
			t.Fatalf("%s, synapse %d of %d: kernel m %d v %d θ %d w %d, adamRow m %d v %d θ %d w %d",
				name, j, n, m2[j], v2[j], th2[j], wx2[j], m[j], v[j], theta[j], wx1[j])
		}
	}
	if c1 != c2 || t1 != t2 {
		t.Fatalf("%s: counters: kernel %v %d, adamRow %v %d", name, c2, t2, c1, t1)
	}
	return declinedA, declinedB, [2]int64{a.fastA, a.fastC}
}

// TestAdamKernelProducts: the kernel's choices of multiply and draw, each way of each
// bound, against adamRow (bits and counters): g's product left out (1/C = 2^sh, sh ≤
// dG: C = 1, 2, 4, 256, sh = dG − 1 and sh = dG, g = s) or vpmullq (C = 3, 100, and
// sh = dG + 1); the draws' last mixing step left out (a shift of 64 − d ≥ 33: d = 31
// for m, v, θ and the crossbar) or not (d = 32); a1·(g − m) by vpmuldq (a1 < 2^31,
// |g − m| ≤ 2^31 − 1; beyond, the lane is declined) or vpmullq (a1 = 2^31, β1 = 0); the θ
// product by vpmuldq (lr_t < 2^31 and every ratio of the group within 2^31 − 1) or
// vpmullq (a ratio of ±2^31 in the group, or lr_t ≥ 2^31). The ratio x is m itself
// (k = 0, v = 1, ε_t = 0: den = 1), a1 = a2 = 0 keeping the moments where x is set.
func TestAdamKernelProducts(t *testing.T) {
	if !hasAdamKernel {
		t.Skip("no AVX-512 DQ")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	const b31 = 1 << 31
	for _, c := range []struct {
		name string
		C    int64
		a1   int64 // 0: adamPlan's
		lrt  int64
		x    []int64 // ratios (a1 = 0, k = 0, v = 1) when set; else g − m
		gm   []int64 // g − m targets when set
		dG   int     // g's shift when set (C = 1: 1/C = 2^31)
		d    int     // dM, dV, dT and the crossbar's shift when set
	}{
		{name: "1/C shift, dG = 32", C: 1, lrt: 1 << 20, dG: 32},
		{name: "1/C shift, dG = 31 (g = s)", C: 1, lrt: 1 << 20, dG: 31},
		{name: "1/C multiply, dG = 30", C: 1, lrt: 1 << 20, dG: 30},
		{name: "draws without the last step, d = 31", C: 1, lrt: 1 << 12, d: 31},
		{name: "draws with the last step, d = 32", C: 1, lrt: 1 << 12, d: 32},
		{name: "1/C shift C=1", C: 1, lrt: 1 << 20},
		{name: "1/C shift C=2", C: 2, lrt: 1 << 20},
		{name: "1/C shift C=4", C: 4, lrt: 1 << 20},
		{name: "1/C shift C=256", C: 256, lrt: 1 << 20},
		{name: "1/C multiply C=3", C: 3, lrt: 1 << 20},
		{name: "1/C multiply C=100", C: 100, lrt: 1 << 20},
		{name: "a1 vpmuldq, g−m within", C: 1, lrt: 1 << 20, gm: []int64{b31 - 1, -(b31 - 1), b31 - 2, 0, 1, -1}},
		{name: "a1 vpmuldq, g−m beyond (declined)", C: 1, lrt: 1 << 20, gm: []int64{b31, -b31, b31 + 1, -(b31 + 1)}},
		{name: "a1 = 2^31 vpmullq", C: 1, a1: b31, lrt: 1 << 20, gm: []int64{b31 - 1, -b31, b31, 1 << 32}},
		{name: "θ vpmuldq, |x| < 2^31", C: 1, lrt: 1<<31 - 1, x: []int64{b31 - 1, -(b31 - 1), 12345, -1}},
		{name: "θ vpmuldq, lr_t = −2^31", C: 1, lrt: b31, x: []int64{b31 - 1, -(b31 - 1), 3}},
		{name: "θ vpmullq, |x| = 2^31", C: 1, lrt: 1 << 20, x: []int64{b31, -b31, b31 + 1, 1 << 40}},
		{name: "θ vpmullq, lr_t = 2^31 + 1", C: 1, lrt: b31 + 1, x: []int64{b31 - 1, -(b31 - 1), 5}},
	} {
		for he := range 8 {
			p := adamPlan(c.C, he&1 != 0, he&2 != 0, he&4 != 0, c.lrt, 0)
			if c.a1 != 0 {
				p.a1, p.lim1 = c.a1, mulLimit(c.a1)
			}
			if c.x != nil {
				p.a1, p.a2, p.lim1, p.lim2, p.k = 0, 0, mulLimit(0), mulLimit(0), 0
				p.m = sat{-(1<<61 - 1), 1<<61 - 1}
			}
			dX := 16
			if c.dG != 0 {
				p.dG = c.dG
			}
			if c.d != 0 {
				p.dM, p.dV, p.dT, dX = c.d, c.d, c.d, c.d
			}
			if !p.adamVector() {
				t.Fatalf("%s: plan outside the kernel's bounds", c.name)
			}
			for trial := range 20 {
				n := 1 + rng.IntN(adamRowMax)
				gs, m, v, theta := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
				for j := range n {
					gs[j] = int64(rng.IntN(1<<24)) - 1<<23
					m[j] = int64(rng.IntN(1<<16)) - 1<<15
					v[j] = m[j]*m[j] + int64(rng.IntN(1<<20))
					theta[j] = int64(rng.IntN(1<<29)) - 1<<28
					switch {
					case c.x != nil:
						m[j], v[j] = c.x[rng.IntN(len(c.x))], 1
						if rng.IntN(2) == 0 && trial%2 == 0 {
							m[j] = int64(rng.IntN(1<<20)) - 1<<19 // groups with and without the edge
						}
					case c.gm != nil && rng.IntN(4) != 0:
						// g = 0 (s = 0): m = −(g − m).
						gs[j], m[j] = 0, max(p.m.lo, min(p.m.hi, -c.gm[rng.IntN(len(c.gm))]))
					}
				}
				checkKernelRow(t, fmt.Sprintf("%s, roundings %03b, trial %d", c.name, he, trial), &p, theta, gs, m, v, dX, rng)
			}
		}
	}
}

// TestAdamKernelDraws: the stochastic draws of m, v and θ to their last bit, for d =
// 31 (the draw's last mixing step left out: a shift of 64 − d = 33), 32 and 33 (kept).
// A random row would almost never show a wrong low bit of a draw (it changes the
// rounding when the product's low d bits are within it of 2^d), so each lane's operand
// is the negated draw itself: the rounding carries exactly when the kernel's draw is at
// least the true one. m and v: g = 0, a1 = a2 = 1, m = inc_m, v = inc_v (the operands
// g − m = −inc_m, g² − v = −inc_v); θ: a1 = a2 = 0, k = 0, v = 1, ε_t = 0, −lr_t = 1, so
// that the ratio is m = −inc_θ.
func TestAdamKernelDraws(t *testing.T) {
	if !hasAdamKernel {
		t.Skip("no AVX-512 DQ")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	for _, d := range []int{31, 32, 33} {
		for _, target := range []string{"moments", "theta"} {
			p := adamPlan(1, false, false, false, 0, 0)
			p.dM, p.dV, p.dT = d, d, d
			p.m = sat{-(1 << 36), 1 << 36}
			p.v = sat{0, 1<<62 - 1}
			p.a1, p.a2, p.lrt = 1, 1, 1
			if target == "theta" {
				p.a1, p.a2, p.k = 0, 0, 0
			}
			p.lim1, p.lim2, p.limT = mulLimit(p.a1), mulLimit(p.a2), mulLimit(p.lrt)
			if !p.adamVector() {
				t.Fatalf("d = %d: plan outside the kernel's bounds", d)
			}
			for trial := range 20 {
				n := adamRowMax
				sT, sM, sV, sX := fixedpoint.Stream(rng.Uint64()), fixedpoint.Stream(rng.Uint64()), fixedpoint.Stream(rng.Uint64()), fixedpoint.Stream(rng.Uint64())
				idx0 := rng.Uint64() >> 20
				gs, m, v, theta := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
				for j := range n {
					idx := idx0 + uint64(j)
					theta[j] = int64(rng.IntN(1<<20)) - 1<<19
					if target == "moments" {
						m[j] = int64(sM.Draw(idx) >> (64 - d))
						v[j] = int64(sV.Draw(idx) >> (64 - d))
						continue
					}
					m[j], v[j] = -int64(sT.Draw(idx)>>(64-d)), 1
				}
				checkKernelStreams(t, fmt.Sprintf("d = %d, %s, trial %d", d, target, trial), &p, theta, gs, m, v, 16, idx0, sT, sM, sV, sX)
			}
		}
	}
}

// TestAdamKernelFast: the loops of passes A and C for the chip's configuration
// (adamArgs.setFast) are taken there, with 1/C = 2^dG (g = s, MNIST-1D at one
// context: pass A's second loop, and its first where gLo > −limG, s = ±limG in a
// quarter of the lanes) and 2^(dG−5), θ's draw with SplitMix's last step (dT = 41) and without (dT
// = 26), and the general loops are taken, with adamRow's bits, when any one of their
// conditions fails. Pass A: the sums given as s (sPos), 1/C not a power of two, a1 =
// 2^31, g beyond 32 bits (lanes with 2^31 ≤ |g| < 1.25·2^31, m near g), m or v rounded
// half-even, sV = 1, and m's or v's shift 32 (each lane's operand a1·(g − m) or a2·(g²
// − v) the negated draw, as in TestAdamKernelDraws, a1 = 3 so that m's reaches draws
// of 2^31 and more, whose last bit the left-out step changes, without |g − m| ≥ 2^31).
// Pass C: θ rounded half-even, no crossbar, the crossbar's shift dX = 32 (θ's
// increment fixed, θ + inc set so that the new θ plus the crossbar's draw carries
// exactly when the kernel's draw is at least the true one), and cells of a range
// narrower than int16's at either end (−2^14 or 2^14 − 1, θ across w_mem's range: a
// quarter saturate).
func TestAdamKernelFast(t *testing.T) {
	if !hasAdamKernel {
		t.Skip("no AVX-512 DQ")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	const b31 = 1 << 31
	for _, c := range []struct {
		name   string
		fast   [2]int64 // fastA, fastC
		o      kernelOpts
		mod    func(p *optPlan)
		wideG  bool // lanes with |g| ≥ 2^31
		draws  bool // m and v their negated draws
		xDraws bool // θ's increment fixed, the crossbar's rounding at its edge
		dX     int  // 0: 16
		gEdge  bool // lanes with s = ±2^31 (g's clamps)
	}{
		{name: "chip, g = s", fast: [2]int64{2, 1}, mod: func(p *optPlan) { p.dG = 31 }, gEdge: true},
		{name: "g = s, gLo above −limG", fast: [2]int64{1, 1}, mod: func(p *optPlan) { p.dG = 31; p.grad.lo++ }, gEdge: true},
		{name: "chip, dG − sh = 5", fast: [2]int64{1, 1}},
		{name: "chip, dT = 41", fast: [2]int64{1, 1}, mod: func(p *optPlan) { p.dT = 41 }},
		{name: "chip, draws", fast: [2]int64{1, 1}, draws: true},
		{name: "chip, g within 32 bits", fast: [2]int64{1, 1}, wideG: true},
		{name: "chip, crossbar draws, dX = 31", fast: [2]int64{1, 1}, xDraws: true, dX: 31},
		{name: "sPos", fast: [2]int64{0, 1}, o: kernelOpts{sPos: true}},
		{name: "1/C multiply", fast: [2]int64{0, 1}, mod: func(p *optPlan) { p.invC = (b31 + 1) / 3; p.limG = mulLimit(p.invC) }},
		{name: "a1 = 2^31", fast: [2]int64{0, 1}, mod: func(p *optPlan) { p.a1, p.lim1 = b31, mulLimit(b31) }},
		{name: "g beyond 32 bits", fast: [2]int64{0, 1}, mod: func(p *optPlan) { p.grad = sat{-(1 << 40), 1 << 40} }, wideG: true},
		{name: "m half-even", fast: [2]int64{0, 1}, mod: func(p *optPlan) { p.heM = true }},
		{name: "v half-even", fast: [2]int64{0, 1}, mod: func(p *optPlan) { p.heV = true }},
		{name: "sV = 1", fast: [2]int64{0, 1}, mod: func(p *optPlan) { p.sV = 1 }},
		{name: "dM = 32", fast: [2]int64{0, 1}, mod: func(p *optPlan) { p.dM = 32 }, draws: true},
		{name: "dV = 32", fast: [2]int64{0, 1}, mod: func(p *optPlan) { p.dV = 32 }, draws: true},
		{name: "θ half-even", fast: [2]int64{1, 0}, mod: func(p *optPlan) { p.heT = true }},
		{name: "no crossbar", fast: [2]int64{1, 0}, o: kernelOpts{noX: true}},
		{name: "crossbar draws, dX = 32", fast: [2]int64{1, 0}, xDraws: true, dX: 32},
		{name: "crossbar cells ≥ −2^14", fast: [2]int64{1, 0}, o: kernelOpts{wLo: -1 << 14}},
		{name: "crossbar cells < 2^14", fast: [2]int64{1, 0}, o: kernelOpts{wHi: 1<<14 - 1}},
	} {
		p := adamPlan(1, false, false, false, 1<<21, 3)
		if c.draws {
			p.m = sat{-(1 << 36), 1 << 36}
			p.v = sat{0, 1<<62 - 1}
			p.a1, p.a2 = 3, 1
			p.lim1, p.lim2 = mulLimit(p.a1), mulLimit(p.a2)
		}
		if c.wideG {
			// g = s up to 2^32 (1/C = 2^30 = 2^dG: |1/C·s| ≤ 2^62).
			p.m, p.k = sat{-(1 << 40), 1 << 40}, 8
			p.invC, p.dG = 1<<30, 30
			p.limG = mulLimit(p.invC)
		}
		if c.xDraws {
			// x = m (a1 = a2 = 0, k = 0, v = 1, ε_t = 0), θ's increment (m + draw)·2^−8
			// = m/2^8 for m a multiple of 2^8.
			p.a1, p.a2, p.k, p.epsT, p.lrt, p.dT = 0, 0, 0, 0, 1, 8
			p.lim1, p.lim2, p.limT = mulLimit(0), mulLimit(0), mulLimit(1)
			p.theta = sat{-(1 << 40), 1 << 40}
		}
		if c.mod != nil {
			c.mod(&p)
		}
		if !p.adamVector() {
			t.Fatalf("%s: plan outside the kernel's bounds", c.name)
		}
		dX := 16
		if c.dX != 0 {
			dX = c.dX
		}
		for trial := range 20 {
			n := 1 + rng.IntN(adamRowMax)
			if trial%2 == 0 {
				n = adamRowMax - rng.IntN(3)*8
			}
			sT, sM, sV, sX := fixedpoint.Stream(rng.Uint64()), fixedpoint.Stream(rng.Uint64()), fixedpoint.Stream(rng.Uint64()), fixedpoint.Stream(rng.Uint64())
			idx0 := rng.Uint64() >> 20
			gs, m, v, theta := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
			for j := range n {
				idx := idx0 + uint64(j)
				gs[j] = int64(rng.IntN(1<<26)) - 1<<25
				m[j] = int64(rng.IntN(1<<16)) - 1<<15
				v[j] = m[j]*m[j] + int64(rng.IntN(1<<20))
				theta[j] = int64(rng.IntN(1<<29)) - 1<<28
				switch {
				case c.draws:
					// g = 0, a1·(g − m) = −3m: −inc_m itself when 3 divides it (inc_m
					// < 2^32, so |g − m| < 2^31: not declined).
					gs[j] = 0
					m[j] = (int64(sM.Draw(idx)>>(64-p.dM)) + 2) / 3
					v[j] = int64(sV.Draw(idx) >> (64 - p.dV))
				case c.xDraws:
					// θ' = θ + inc = 2^dX − inc_x: carries exactly when the draw ≥ inc_x.
					inc := int64(rng.IntN(1<<10)) + 1
					gs[j], m[j], v[j] = 0, inc<<8, 1
					theta[j] = 1<<dX - int64(sX.Draw(idx)>>(64-dX)) - inc
				case c.o.wLo != 0 || c.o.wHi != 0:
					theta[j] = int64(rng.Uint64()>>32) - 1<<31 // w across int16: half beyond ±2^14
				case c.gEdge && rng.IntN(4) == 0:
					// s = ±2^31 = ±limG, m ≤ 0 or ≥ 0 so that |g − m| < 2^31.
					gs[j], m[j] = -b31, max(m[j], -m[j])
					if rng.IntN(2) == 0 {
						gs[j], m[j] = b31, -m[j]
					}
				case c.wideG && rng.IntN(2) == 0:
					g := b31 + int64(rng.IntN(b31/4)) // g² < 2^63
					if rng.IntN(2) == 0 {
						g = -g
					}
					gs[j], m[j] = -g, g+int64(rng.IntN(1<<20))-1<<19
				case rng.IntN(16) == 0:
					m[j] = p.m.hi // saturating
				}
			}
			_, _, fast := checkKernelArgs(t, fmt.Sprintf("%s, trial %d", c.name, trial), &p, theta, gs, m, v, dX, idx0, sT, sM, sV, sX, c.o)
			if fast != c.fast {
				t.Fatalf("%s: fastA, fastC = %v, want %v", c.name, fast, c.fast)
			}
		}
	}
}

// TestAdamKernelRatios: the kernel's ratio x = trunc(m·2^k / (⌊√v⌋ + ε_t)) (left in
// adamArgs.xs by its second pass) at the edges of its one-step square-root fix-up and
// of its division: perfect squares, their neighbours, values just below the next
// square, up to 2^60, with numerators of up to 2^60 so that an error of one in ⌊√v⌋
// shows in x.
func TestAdamKernelRatios(t *testing.T) {
	if !hasAdamKernel {
		t.Skip("no AVX-512 DQ")
	}
	p := adamPlan(1, true, true, true, 1, 0)
	p.a1, p.a2 = 0, 0 // the moments stay as given
	p.lim1, p.lim2 = mulLimit(0), mulLimit(0)
	p.m = sat{-(1 << 36), 1 << 36}
	p.v = sat{0, 1<<62 - 1}
	if !p.adamVector() {
		t.Fatal("plan outside the kernel's bounds")
	}
	var vs []int64
	// Every v below 2^17 (the reciprocal square root's estimate is relative: small
	// roots are where a rounding would cross an integer), and the largest roots.
	for v := range int64(1 << 17) {
		vs = append(vs, v)
	}
	for r := int64(1<<31 - 40); r < 1<<31; r++ {
		vs = append(vs, r*r-1, r*r, r*r+1, r*r+r, r*r+2*r)
	}
	vs = append(vs, 1<<62-1, 1<<62-2)
	for _, r := range []int64{0, 1, 2, 3, 1 << 20, 94906265, 94906266, 1<<30 - 1, 1 << 30} {
		for _, d := range []int64{-2, -1, 0, 1, 2} {
			for _, v := range []int64{r*r + d, (r+1)*(r+1) - 1 + d} {
				if v >= 0 && v <= 1<<60 {
					vs = append(vs, v)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 4000 {
		r := int64(rng.Uint64() >> 34)
		vs = append(vs, r*r, r*r-1, r*r+1, r*r+2*r, int64(rng.Uint64()>>4))
	}
	ms := []int64{1 << 36, -(1 << 36), 1<<36 - 1, 12345, -1, 0, 1}
	for _, epsT := range []int64{0, 1, 1<<30 - 1} {
		p.epsT = epsT
		testAdamRatios(t, &p, vs, ms, rng)
	}
}

func testAdamRatios(t *testing.T, p *optPlan, vs, ms []int64, rng *rand.Rand) {
	for i := 0; i < len(vs); i += adamRowMax {
		v := vs[i:min(i+adamRowMax, len(vs))]
		n := len(v)
		m := make([]int64, n)
		for j := range m {
			m[j] = ms[(i+j)%len(ms)]
			if rng.IntN(4) == 0 {
				m[j] = int64(rng.Uint64()>>27) - 1<<36
			}
		}
		gs, th := make([]int64, n), make([]int64, n)
		var c [numCounted]fixedpoint.Counters
		var ct uint64
		var a adamArgs
		p.args(&a, 1, 2, 3)
		v2 := append([]int64(nil), v...)
		fail, failB := p.kernelRow(&a, th, gs, m, v2, 0, &c, &ct)
		for j := range n {
			den := isqrt(v[j]) + p.epsT
			if fail[j/8] != 0 || den <= 0 {
				continue
			}
			if failB[j/8]&(1<<(j%8)) != 0 {
				t.Fatalf("v = %d, m = %d: declined", v[j], m[j])
			}
			if want := (m[j] << p.k) / den; a.xs[j] != want {
				t.Fatalf("v = %d, m = %d: kernel x %d, want %d (⌊√v⌋ = %d)", v[j], m[j], a.xs[j], want, isqrt(v[j]))
			}
		}
	}
}

// BenchmarkAdamKernel: the vector kernel and adamRow on one row of 256 synapses
// (L1-resident) in the state of training MNIST-1D at one context: every rounding
// stochastic (four draws per synapse: m, v, θ and the crossbar cell), gradients of a
// few thousand LSBs of grad, moments of their size, a learning rate that moves θ by
// about 2^19 LSBs of w_mem a step, so that every θ changes and every crossbar cell is
// rewritten, as on the chip. The gradient's sign alternates from one call to the next
// (the moments and θ oscillate instead of drifting into saturation); the "upd" metric
// is the share of lanes whose θ the kernel's pass C updated on the last call (close to
// 1, as on the chip).
func BenchmarkAdamKernel(b *testing.B) {
	p := adamPlan(1, false, false, false, 1<<21, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = adamRowMax
	gs, ngs, m, v, theta := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	wx := make([]int16, n)
	for j := range n {
		gs[j] = int64(rng.IntN(1<<20)) - 1<<19
		ngs[j] = -gs[j]
		g := gs[j] / 32
		m[j] = g/4 + int64(rng.IntN(1<<10)) - 1<<9
		v[j] = g*g + int64(rng.IntN(1<<20))
		theta[j] = int64(rng.IntN(1<<29)) - 1<<28
	}
	sX := fixedpoint.Stream(4)
	const dX = 16
	var c [numCounted]fixedpoint.Counters
	var ct uint64
	b.Run("kernel", func(b *testing.B) {
		if !hasAdamKernel {
			b.Skip("no AVX-512 DQ")
		}
		var a adamArgs
		p.args(&a, 1, 2, 3)
		a.sX, a.dX, a.srX, a.xLo, a.xHi, a.wx = uint64(sX), dX, 64-dX, -1<<15, 1<<15-1, &wx[0]
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		t0 := threadNanos()
		for i := range b.N {
			g := gs
			if i&1 != 0 {
				g = ngs
			}
			p.kernelRow(&a, theta, g, m, v, 0, &c, &ct)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/synapse")
		b.ReportMetric(float64(threadNanos()-t0)/float64(b.N*n), "cpu-ns/synapse")
		upd := 0
		for _, u := range a.upd {
			upd += bits.OnesCount8(u)
		}
		b.ReportMetric(float64(upd)/n, "upd")
	})
	b.Run("go", func(b *testing.B) {
		den := make([]int64, n)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		t0 := threadNanos()
		for i := range b.N {
			g := gs
			if i&1 != 0 {
				g = ngs
			}
			p.adamRow(theta, g, m, v, den, 0, 1, 2, 3, &c, &ct)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/synapse")
		b.ReportMetric(float64(threadNanos()-t0)/float64(b.N*n), "cpu-ns/synapse")
	})
}

// TestAdamParams: adamParams (the vector kernel on biases and τm, adamRow and
// adamTheta on the lanes it declines) gives stepAt's bits and counters one parameter
// at a time, over ranges longer than a kernel call and not starting at 0, with s or
// its negation given.
func TestAdamParams(t *testing.T) {
	if !hasAdamKernel {
		t.Skip("no AVX-512 DQ")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	var c Chip
	for trial := range 200 {
		he := trial % 8
		p := adamPlan(int64(1+rng.IntN(128)), he&1 != 0, he&2 != 0, he&4 != 0, int64(rng.IntN(1<<31)), int64(rng.IntN(1<<20)))
		o := opt{sTheta: fixedpoint.Stream(rng.Uint64()), sM: fixedpoint.Stream(rng.Uint64()), sV: fixedpoint.Stream(rng.Uint64())}
		n := 1 + rng.IntN(3*adamRowMax)
		lo := rng.IntN(n)
		s, th, m, v := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for j := range n {
			shift := 40
			if trial%2 == 1 {
				shift = 2
			}
			s[j] = int64(rng.Uint64()>>shift) - int64(1<<(63-shift))
			m[j] = max(p.m.lo, min(p.m.hi, int64(rng.Uint64()>>34)-1<<29))
			v[j] = int64(rng.Uint64() >> (2 + rng.IntN(40)))
			th[j] = max(p.theta.lo, min(p.theta.hi, int64(rng.Uint64()>>33)-1<<30))
		}
		th2, m2, v2 := slices.Clone(th), slices.Clone(m), slices.Clone(v)
		var c1, c2 [numCounted]fixedpoint.Counters
		var t1, t2 uint64
		for i := lo; i < n; i++ {
			th[i] = p.stepAt(&o, th[i], s[i], &m[i], &v[i], uint64(i), &c1, &t1)
		}
		neg := trial%3 == 0
		s2 := slices.Clone(s)
		if neg {
			for j := range s2 {
				s2[j] = -s2[j]
			}
		}
		if !c.adamParams(&p, &o, th2, s2, neg, m2, v2, lo, n, &c2, &t2) {
			t.Fatal("adamParams declined a plan of the default formats")
		}
		for j := range n {
			if th[j] != th2[j] || m[j] != m2[j] || v[j] != v2[j] {
				t.Fatalf("trial %d, parameter %d of %d…%d: adamParams θ %d m %d v %d, stepAt θ %d m %d v %d", trial, j, lo, n, th2[j], m2[j], v2[j], th[j], m[j], v[j])
			}
		}
		if c1 != c2 || t1 != t2 {
			t.Fatalf("trial %d: counters: adamParams %v %d, stepAt %v %d", trial, c2, t2, c1, t1)
		}
	}
}

// TestAdamKernelSwitches: the kernel's per-group switches of its second pass, each way
// of each bound, against exact integer arithmetic (groups of eight lanes all on one
// side, so that the group takes the path under test, and mixed groups):
//   - the one-step root (every lane's v < 2^52) and the two-step root (some v ≥ 2^52):
//     perfect squares, their neighbours and random values just below and above 2^52;
//   - the one-step quotient (every lane's first estimate q0 ≤ 2^27) and the two-step
//     one: quotients 2^27 − 1 … 2^27 + 2 with remainders 0, 1 and d − 1, of both signs,
//     for divisors from 1 to near 2^32.
func TestAdamKernelSwitches(t *testing.T) {
	if !hasAdamKernel {
		t.Skip("no AVX-512 DQ")
	}
	p := adamPlan(1, true, true, true, 1, 0)
	p.a1, p.a2 = 0, 0 // the moments stay as given
	p.lim1, p.lim2 = mulLimit(0), mulLimit(0)
	p.k = 0 // x = m / den: numerators chosen to the unit
	p.m = sat{-(1<<61 - 1), 1<<61 - 1}
	p.v = sat{0, 1<<62 - 1}
	if !p.adamVector() {
		t.Fatal("plan outside the kernel's bounds")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	type lane struct{ m, v int64 }
	type row struct {
		epsT int64
		ls   []lane
	}
	var rows []row
	// The root's bound: groups below it, groups above it, groups mixed.
	const vb = 1 << 52
	var below, above []int64
	for r := int64(1<<26 - 300); r < 1<<26; r++ {
		below = append(below, r*r-1, r*r, r*r+1, r*r+2*r)
	}
	below = append(below, vb-1, vb-2, vb-3)
	for r := int64(1 << 26); r < 1<<26+300; r++ {
		above = append(above, r*r-1, r*r, r*r+1, r*r+2*r)
	}
	for range 2000 {
		below = append(below, vb-1-int64(rng.Uint64()>>14))
		above = append(above, vb+int64(rng.Uint64()>>14))
	}
	mOf := func() int64 { return int64(rng.Uint64()>>4) - 1<<59 }
	for _, vs := range [][]int64{below, above} {
		var r row
		for _, v := range vs {
			r.ls = append(r.ls, lane{mOf(), v})
		}
		rows = append(rows, r)
	}
	mixed := make([]lane, 0, len(below))
	for i, v := range below {
		if i%8 == 3 {
			v = above[i]
		}
		mixed = append(mixed, lane{mOf(), v})
	}
	rows = append(rows, row{0, mixed})
	// The quotient's bound: x = m/d for d = ⌊√v⌋ + ε_t, v a square; the largest
	// divisors with the largest ε_t.
	const eMax = 1<<30 - 1
	for _, de := range [][2]int64{{1, 0}, {2, 0}, {3, 0}, {7, 0}, {255, 0}, {1 << 16, 0}, {1<<16 + 1, 0}, {94906265, 0},
		{1<<31 - 1, 0}, {1, eMax}, {1 << 20, eMax}, {1<<31 - 1, eMax}} {
		r, eps := de[0], de[1]
		d := r + eps
		for _, q := range []int64{1<<27 - 1, 1 << 27, 1<<27 + 1, 1<<27 + 2} {
			var ls []lane
			for _, rem := range []int64{0, 1, d - 1} {
				a := q*d + rem
				if a >= 1<<61 || rem >= d {
					continue
				}
				for range 8 {
					ls = append(ls, lane{a, r * r}, lane{-a, r * r})
				}
			}
			rows = append(rows, row{eps, ls})
		}
	}
	// The estimates' worst inputs on this CPU (found by scanning vrsqrt14 and vrcp14):
	// the root's relative error is largest near v = 2162752·4^j (2^−14.03), the
	// reciprocal's at d = 2038175 (2^−14.18). There the shortcuts hold only up to about
	// v < 2^53 and q < 2^28.3, so these rows fail if either bound is loosened that far
	// (2^54 and 2^29 did pass the rows above): j = 15 is below 2^52 (one step), j = 16
	// above it (two); the quotients 2^28…2^29 take the two-step path.
	for _, j := range []uint{15, 16} {
		r0 := isqrt(2162752 << (2 * j))
		var ls []lane
		for r := r0 - 32; r < r0+32; r++ {
			ls = append(ls, lane{mOf(), r*r - 1}, lane{mOf(), r * r}, lane{mOf(), r*r + 1})
		}
		rows = append(rows, row{0, ls})
	}
	for _, d := range []int64{2038175, 2038175 << 5, 2038175 >> 3} {
		var ls []lane
		for range 256 {
			q := int64(1)<<28 + rng.Int64N(1<<28)
			a := q*d + rng.Int64N(d)
			ls = append(ls, lane{a, d * d}, lane{-a, d * d})
		}
		rows = append(rows, row{0, ls})
	}
	for ri, rw := range rows {
		p.epsT = rw.epsT
		for i := 0; i < len(rw.ls); i += adamRowMax {
			ls := rw.ls[i:min(i+adamRowMax, len(rw.ls))]
			n := len(ls)
			m, v := make([]int64, n), make([]int64, n)
			for j, l := range ls {
				m[j], v[j] = l.m, l.v
			}
			gs, th := make([]int64, n), make([]int64, n)
			var c [numCounted]fixedpoint.Counters
			var ct uint64
			var a adamArgs
			p.args(&a, 1, 2, 3)
			fail, failB := p.kernelRow(&a, th, gs, m, slices.Clone(v), 0, &c, &ct)
			for j := range n {
				if fail[j/8]&(1<<(j%8)) != 0 {
					t.Fatalf("row %d: m = %d, v = %d: declined", ri, m[j], v[j])
				}
				den := isqrt(v[j]) + p.epsT
				if den <= 0 {
					continue
				}
				if failB[j/8]&(1<<(j%8)) != 0 {
					continue // |x| beyond limT: adamTheta's
				}
				if want := m[j] / den; a.xs[j] != want {
					t.Fatalf("row %d: v = %d, m = %d: kernel x %d, want %d (⌊√v⌋ = %d)", ri, v[j], m[j], a.xs[j], want, isqrt(v[j]))
				}
			}
		}
	}
}

// AdamWeightsBench prepares c's weight learning for BenchmarkAdamChip: it returns run,
// which forms the gradient and steps Adam (learnBlock: the vector kernel with its
// crossbar write) on every plastic block of c once, restore, which puts back the
// weights, moments and crossbar cells as they were when AdamWeightsBench was called
// (so that repeated runs do not drift into saturation), and the number of weights.
func AdamWeightsBench(c *Chip) (run, restore func(), weights int) {
	type saved struct {
		tl      *tile
		b       *block
		w, m, v []int64
		x       []int16
	}
	var s []saved
	for _, tl := range c.tiles {
		for _, b := range tl.blocks {
			if b.plastic {
				s = append(s, saved{tl, b, slices.Clone(b.wMem), slices.Clone(b.opt.m), slices.Clone(b.opt.v), slices.Clone(b.wX)})
				weights += len(b.wMem)
			}
		}
	}
	run = func() {
		for _, x := range s {
			c.learnBlock(x.tl, x.b, 0, x.b.rows, x.b.ea, x.b.rb)
		}
	}
	restore = func() {
		for _, x := range s {
			copy(x.b.wMem, x.w)
			copy(x.b.opt.m, x.m)
			copy(x.b.opt.v, x.v)
			copy(x.b.wX, x.x)
		}
	}
	return run, restore, weights
}
