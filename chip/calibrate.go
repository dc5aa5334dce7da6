package chip

import (
	"fmt"
	"math"

	"github.com/glemu/glemu/fixedpoint"
)

// Calibration reports what Calibrate measured and trimmed.
type Calibration struct {
	// Neurons is the number of neurons calibrated (every neuron of every non-input
	// population).
	Neurons int
	// TauMBefore and TauMAfter are the RMS over neurons of τm_eff/τm − 1, the relative
	// mismatch of the effective membrane time constant, before and after the trims.
	TauMBefore, TauMAfter float64
	// OffsetBefore and OffsetAfter are the RMS over neurons of the φ unit's input offset
	// (in units of ŭ), before and after.
	OffsetBefore, OffsetAfter float64
	// Trials is the number of measurements averaged per neuron for τm.
	Trials int
}

// String formats the report.
func (k Calibration) String() string {
	ratio := func(a, b float64) string {
		if b == 0 {
			return "below resolution, ∞"
		}
		return fmt.Sprintf("%.3g", a/b)
	}
	return fmt.Sprintf("calibrated %d neurons: τm mismatch %.3g %% → %.3g %% (%s× smaller); φ offset %.3g → %.3g (%s× smaller)",
		k.Neurons, 100*k.TauMBefore, 100*k.TauMAfter, ratio(k.TauMBefore, k.TauMAfter), k.OffsetBefore, k.OffsetAfter, ratio(k.OffsetBefore, k.OffsetAfter))
}

// calTrials is the number of one-step responses averaged per neuron and context when
// measuring τm.
const calTrials = 16

// Calibrate measures every neuron's effective τm and φ input offset from its response
// and sets its trim registers (trim_tau, trim_offset) to cancel them, as a chip's
// calibration firmware would: on a copy of the chip with its crossbar cleared, errors
// silent and learning off, a calibration current drives each membrane.
//
//   - τm: from u = 0 with a constant drive s, one step gives u = (dt/τm_eff)·s (plus
//     any temporal noise); the mean over contexts and calTrials steps, divided by s
//     with the exact divider, measures dt/τm_eff, and the trim is set so that the
//     trimmed constant equals the nominal one (the exact quotient of dt and τm).
//   - offset: with ŭ held at a probe point x0 (0, or 0.5 for units flat at 0), the rate
//     and its slope give the offset, (r − φ(x0))/r′; three Newton rounds.
//
// The chip's state, parameters and counters are left as they were; only the trims
// change. The report gives the RMS mismatch before and after.
func (c *Chip) Calibrate() (Calibration, error) {
	var rep Calibration
	rep.Trials = calTrials * c.contexts
	// τm: measure, trim, measure again.
	before, err := c.measureTau()
	if err != nil {
		return rep, err
	}
	f := &c.f
	one := int64(1) << f.trimTau.Format.Frac
	trimVar := hostVar(f.trimTau)
	var sb float64
	n := 0
	for qi, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		for i := range q.size {
			nom := c.nominalDtm(q, i)
			meas := before[qi][i]
			sb += sq(float64(nom)/float64(meas) - 1)
			n++
			if meas <= 0 {
				continue
			}
			t := divRound((one+q.trimTau[i])*nom, meas) - one
			q.trimTau[i] = trimVar.Rescale(t, f.trimTau.Format.Frac, 0, nil)
		}
		c.deriveConstants(q, 0, q.size, nil)
	}
	after, err := c.measureTau()
	if err != nil {
		return rep, err
	}
	var sa float64
	for qi, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		for i := range q.size {
			sa += sq(float64(c.nominalDtm(q, i))/float64(after[qi][i]) - 1)
		}
	}
	rep.Neurons = n
	rep.TauMBefore, rep.TauMAfter = math.Sqrt(sb/float64(max(n, 1))), math.Sqrt(sa/float64(max(n, 1)))

	// Offsets: Newton rounds.
	var ob, oa float64
	for round := range 4 {
		offs, err := c.measureOffsets()
		if err != nil {
			return rep, err
		}
		var s float64
		for qi, q := range c.pops {
			if q.role == RoleInput {
				continue
			}
			for i := range q.size {
				o := offs[qi][i] // in the unit's input format, raw
				s += sq(q.inFmt.ToFloat(o))
				if round < 3 {
					// trim_offset −= offset (into trim_offset's binary point)
					tv := hostVar(f.trimOff)
					q.trimOff[i] = tv.Rescale(q.trimOff[i]<<max(0, q.inFmt.Frac-f.trimOff.Format.Frac)-o<<max(0, f.trimOff.Format.Frac-q.inFmt.Frac),
						max(q.inFmt.Frac, f.trimOff.Format.Frac), 0, nil)
				}
			}
			q.updatePhiAdjust()
		}
		s = math.Sqrt(s / float64(max(n, 1)))
		if round == 0 {
			ob = s
		}
		oa = s
	}
	rep.OffsetBefore, rep.OffsetAfter = ob, oa
	return rep, nil
}

func sq(x float64) float64 { return x * x }

// nominalDtm is the dt/τm an ideal neuron i of q has: the exact divider's quotient.
func (c *Chip) nominalDtm(q *pop, i int) int64 {
	f := &c.f
	return divRound(int64(1)<<(f.tau.Format.Frac+f.dtm.Format.Frac), q.tauM[i])
}

// calibrationCopy returns a copy of the chip set up for measurements: crossbar cleared,
// errors silent, learning off, every neuron with a bias (the calibration drive).
func (c *Chip) calibrationCopy() (*Chip, error) {
	snap, err := c.Snapshot()
	if err != nil {
		return nil, err
	}
	k, err := Restore(snap)
	if err != nil {
		return nil, err
	}
	k.learnOn = false
	k.hasTarget = false
	k.probes = nil
	for _, tl := range k.tiles {
		for _, b := range tl.blocks {
			clear(b.wX)
		}
	}
	for _, q := range k.pops {
		if q.role == RoleInput {
			clear(q.rateBus)
			continue
		}
		if !q.bias {
			q.bias = true
			q.b = make([]int64, q.size)
			q.biasShift = q.sumFrac - (k.f.b.Format.Frac - q.sExp)
			if q.biasShift < 0 || q.biasShift > 62 {
				return nil, fmt.Errorf("chip: calibrate: population %q: the drive cannot be aligned with its sums", q.name)
			}
		}
	}
	return k, nil
}

// measureTau returns, per population and neuron, the measured dt/τm_eff (raw,
// dt_tau_m's format).
func (c *Chip) measureTau() ([][]int64, error) {
	k, err := c.calibrationCopy()
	if err != nil {
		return nil, err
	}
	f := &k.f
	C := k.contexts
	out := make([][]int64, len(k.pops))
	sums := make([][]int64, len(k.pops))
	drives := make([]int64, len(k.pops))
	for qi, q := range k.pops {
		if q.role == RoleInput {
			continue
		}
		// A drive of 0.5 in u's domain, as a bias.
		s0 := int64(1) << (f.u.Format.Frac - 1)
		bRaw := f.b.Rescale(s0, f.u.Format.Frac, 0, nil) // same domain
		for i := range q.b {
			q.b[i] = bRaw
		}
		drives[qi] = s0
		sums[qi] = make([]int64, q.size)
		out[qi] = make([]int64, q.size)
	}
	for range calTrials {
		for _, q := range k.pops {
			if q.role == RoleInput {
				continue
			}
			clear(q.u)
			clear(q.v)
			clear(q.rp)
			clear(q.eps)
		}
		if err := k.Step(); err != nil {
			return nil, err
		}
		for qi, q := range k.pops {
			if q.role == RoleInput {
				continue
			}
			for j, u := range q.u {
				sums[qi][j%q.size] += u
			}
		}
	}
	for qi, q := range k.pops {
		if q.role == RoleInput {
			continue
		}
		for i := range q.size {
			out[qi][i] = divRound(sums[qi][i]<<f.dtm.Format.Frac, drives[qi]*int64(calTrials*C))
		}
	}
	return out, nil
}

// measureOffsets returns, per population and neuron, the φ unit's input offset
// estimated from the response at the probe point (raw, the unit's input format).
func (c *Chip) measureOffsets() ([][]int64, error) {
	k, err := c.calibrationCopy()
	if err != nil {
		return nil, err
	}
	f := &k.f
	out := make([][]int64, len(k.pops))
	x0 := make([]int64, len(k.pops)) // the probe point in the unit's input format
	for qi, q := range k.pops {
		if q.role == RoleInput {
			continue
		}
		half := 0.0
		if q.act == fixedpoint.ReLU || q.act == fixedpoint.HardSigmoid {
			half = 0.5
		}
		// Hold ŭ = half: u = s = half (u domain), so Δu = 0.
		u := hostVar(f.u).FromFloat(math.Ldexp(half, -q.sExp), 0, nil)
		bRaw := f.b.Rescale(u, f.u.Format.Frac, 0, nil)
		for i := range q.b {
			q.b[i] = bRaw
		}
		for j := range q.u {
			q.u[j] = u
		}
		clear(q.v)
		clear(q.rp)
		clear(q.eps)
		x0[qi] = hostVar(fixedpoint.Var{Format: q.inFmt}).FromFloat(half, 0, nil)
	}
	noise := k.analog.UNoiseSigma
	k.analog.UNoiseSigma = 0 // ŭ reads the old u: noise cannot enter, but keep it out of u too
	err = k.Step()
	k.analog.UNoiseSigma = noise
	if err != nil {
		return nil, err
	}
	for qi, q := range k.pops {
		if q.role == RoleInput {
			continue
		}
		out[qi] = make([]int64, q.size)
		rf := q.phi.Out
		r0 := q.phi.Eval(x0[qi], nil)
		for i := range q.size {
			r, rp := q.r[i], q.rp[i] // context 0
			if rp <= 0 {
				continue
			}
			// offset = (r − r0)/r′: r in rf, r′ in rp's format → the input format.
			num := (r - r0) << f.rp.Format.Frac
			d := divRound(num, rp) // rf's fraction bits
			out[qi][i] = fixedpoint.Var{Format: q.inFmt, Rounding: fixedpoint.HalfEven, Overflow: fixedpoint.Saturate}.Rescale(d, rf.Frac, 0, nil)
		}
	}
	return out, nil
}
