package chip

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// SetReference makes c step with the reference loops only (no fast twins).
func SetReference(c *Chip, on bool) { c.reference = on }

// Digest hashes every state, parameter, optimizer and counter array of c.
func Digest(c *Chip) uint64 {
	h := uint64(14695981039346656037)
	add := func(x uint64) {
		for range 8 {
			h ^= x & 0xff
			h *= 1099511628211
			x >>= 8
		}
	}
	ints := func(s []int64) {
		add(uint64(len(s)))
		for _, x := range s {
			add(uint64(x))
		}
	}
	i16 := func(s []int16) {
		add(uint64(len(s)))
		for _, x := range s {
			add(uint64(x))
		}
	}
	for _, q := range c.pops {
		i16(q.rateBus)
		i16(q.errBus)
		for _, s := range [][]int64{q.u, q.v, q.r, q.rp, q.eps, q.ub, q.eb, q.inst, q.du, q.estar, q.tauM, q.tauR, q.b,
			q.dtm, q.dtr, q.rm, q.mr, q.bOpt.m, q.bOpt.v, q.tOpt.m, q.tOpt.v, q.trimTau, q.trimOff} {
			ints(s)
		}
	}
	for _, x := range c.projs {
		for _, b := range x.blocks {
			ints(b.wMem)
			i16(b.wX)
			ints(b.opt.m)
			ints(b.opt.v)
		}
	}
	for _, t := range c.tiles {
		for _, x := range t.cnt {
			add(x.Saturations)
			add(x.Wraps)
		}
	}
	ints(c.out)
	add(c.learn.t)
	add(uint64(c.learn.p1))
	add(uint64(c.learn.p2))
	return h
}

// Reseal replaces the CRC at the end of a snapshot with the right one.
func Reseal(b []byte) []byte {
	if len(b) < 4 {
		return b
	}
	body := b[:len(b)-4]
	return binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.ChecksumIEEE(body))
}

// NeuronSplit reports whether c steps with the neuron split (Chip.nPhases).
func NeuronSplit(c *Chip) bool { return c.nPhases != nil }

// ForceMemo tabulates every population's units now.
func ForceMemo(c *Chip) { c.TabulateUnits() }

// PhaseStep is RunPhase's whole step.
const PhaseStep = -1

// RunPhase runs phase ph of a step on every tile (state keeps changing: a benchmark
// aid; the phases are forward, neurons, with the block error bus phaseErrBus, backward
// and learning, commit); ph PhaseStep is a whole step with the input and labels last
// set.
func RunPhase(c *Chip, ph int) {
	if ph == PhaseStep {
		c.Step()
		return
	}
	for t := range c.tiles {
		c.phases[ph](t)
	}
}

// SetAdamKernel switches the vector Adam kernel on (where the CPU has it) or off, and
// reports whether it was on.
func SetAdamKernel(on bool) bool {
	was := useAdamKernel
	useAdamKernel = on && hasAdamKernel
	return was
}

// SkipWithoutKernels skips a test that compares the vector kernels with the Go loops
// on a CPU without them (both runs would take the loops: nothing compared).
func SkipWithoutKernels(t testing.TB) {
	if !hasNeuronKernel || !hasAdamKernel {
		t.Skip("no AVX-512 DQ kernels on this CPU: nothing to compare the Go loops with")
	}
}

// SetNeuronKernel switches the vector neuron kernels on (where the CPU has them) or
// off, and reports whether they were on.
func SetNeuronKernel(on bool) bool {
	was := useNeuronKernel
	useNeuronKernel = on && hasNeuronKernel
	return was
}

// HasPacked32 reports whether population name reads its φ/φ′ units from the 32-bit
// table.
func HasPacked32(c *Chip, name string) bool {
	for _, q := range c.pops {
		if q.name == name {
			return q.memoPacked32 != nil
		}
	}
	return false
}

// ThreadCPU and ProcessCPU are the calling thread's and the process's CPU time in ns
// (0 where not available), for the benchmarks.
var ThreadCPU, ProcessCPU = threadNanos, processNanos
