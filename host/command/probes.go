package command

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/glemu/glemu/chip"
)

// ProbeInfo is one probe resolved on a loaded program: the board's answer to
// SET_PROBES, from which the host writes the same trace records the chip's own probes
// write (chip.Chip.SetProbes).
type ProbeInfo struct {
	Pop   int    // the population's index
	Layer int    // its layer among the neuron populations, −1 for an input
	Var   string // one of chip.StateVars
	// Neurons are the neurons recorded; Contexts the contexts, nil for a parameter
	// (which has one value per neuron).
	Neurons, Contexts []int
}

// Values is the number of values the probe records per step.
func (p ProbeInfo) Values() int { return len(p.Neurons) * max(1, len(p.Contexts)) }

// ProbeValues is the number of values probes record per step.
func ProbeValues(ps []ProbeInfo) int {
	n := 0
	for _, p := range ps {
		n += p.Values()
	}
	return n
}

// AppendSetProbes appends a SET_PROBES payload: flags (bit 0: raw values too), the
// number of probes, then each probe's population name, variable, neurons and contexts
// (lists: a uvarint count + 1, 0 meaning all, then uvarints).
func AppendSetProbes(dst []byte, raw bool, probes []chip.Probe) []byte {
	dst = AppendFlag(dst, raw)
	dst = binary.AppendUvarint(dst, uint64(len(probes)))
	for _, p := range probes {
		dst = appendStr8(dst, p.Population)
		dst = appendStr8(dst, p.Var)
		dst = appendInts(dst, p.Neurons)
		dst = appendInts(dst, p.Contexts)
	}
	return dst
}

// ParseSetProbes decodes a SET_PROBES payload.
func ParseSetProbes(b []byte) (raw bool, probes []chip.Probe, err error) {
	r := newReader("SET_PROBES", b)
	raw = r.bool("raw")
	n := r.count("probes", 4)
	for range n {
		p := chip.Probe{Population: r.str8("population"), Var: r.str8("var")}
		p.Neurons = r.ints("neurons")
		p.Contexts = r.ints("contexts")
		probes = append(probes, p)
	}
	return raw, probes, r.done()
}

// AppendProbeInfos appends the result of SET_PROBES.
func AppendProbeInfos(dst []byte, ps []ProbeInfo) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ps)))
	for _, p := range ps {
		dst = binary.AppendUvarint(dst, uint64(p.Pop))
		dst = binary.AppendVarint(dst, int64(p.Layer))
		dst = appendStr8(dst, p.Var)
		dst = appendInts(dst, p.Neurons)
		dst = appendInts(dst, p.Contexts)
	}
	return dst
}

// ParseProbeInfos decodes the result of SET_PROBES.
func ParseProbeInfos(b []byte) ([]ProbeInfo, error) {
	r := newReader("SET_PROBES result", b)
	n := r.count("probes", 5)
	var out []ProbeInfo
	for range n {
		p := ProbeInfo{Pop: int(min(r.uvarint("population"), math.MaxInt32)), Layer: int(max(min(r.varint("layer"), math.MaxInt32), -1)), Var: r.str8("var")}
		p.Neurons = r.ints("neurons")
		p.Contexts = r.ints("contexts")
		out = append(out, p)
	}
	return out, r.done()
}

// AppendProbeSample appends one step's probe values: each value as a float64, followed
// (raw) by its raw integer as an int64, both little-endian.
func AppendProbeSample(dst []byte, raw bool, vals []float64, raws []int64) []byte {
	for i, v := range vals {
		dst = appendF64(dst, v)
		if raw {
			dst = appendU64(dst, uint64(raws[i]))
		}
	}
	return dst
}

// ProbeSampleLen is the size of one step's probe values.
func ProbeSampleLen(values int, raw bool) int {
	if raw {
		return 16 * values
	}
	return 8 * values
}

// parseProbeSample reads len(vals) probe values into vals and raws.
func (r *reader) probeSample(raw bool, vals []float64, raws []int64) {
	for i := range vals {
		vals[i] = r.f64("probe value")
		if raw {
			raws[i] = int64(r.u64("probe raw value"))
		}
	}
}

// AppendProbeRead appends the result of READ_PROBES: the step the values belong to
// (a zigzag varint; −1 before the first step), then the sample.
func AppendProbeRead(dst []byte, step int64, raw bool, vals []float64, raws []int64) []byte {
	dst = binary.AppendVarint(dst, step)
	return AppendProbeSample(dst, raw, vals, raws)
}

// ParseProbeRead decodes the result of READ_PROBES into vals and raws, whose lengths
// are the number of values the probes record.
func ParseProbeRead(b []byte, raw bool, vals []float64, raws []int64) (step int64, err error) {
	r := newReader("READ_PROBES result", b)
	step = r.varint("step")
	r.probeSample(raw, vals, raws)
	return step, r.done()
}

// perContext lists the variables with a value per context (the others are parameters).
var perContext = map[string]bool{"u": true, "v": true, "r": true, "r_prime": true, "eps_in": true,
	"u_breve": true, "e_breve": true, "inst_e": true, "err_bus": true}

// resolveProbes checks probes against the loaded program as chip.Chip.SetProbes does
// and resolves them.
func resolveProbes(c *chip.Chip, p *chip.Program, probes []chip.Probe) ([]ProbeInfo, error) {
	layerOf := make([]int, len(p.Populations))
	layers := 0
	for i, q := range p.Populations {
		layerOf[i] = -1
		if q.Role != chip.RoleInput {
			layerOf[i] = layers
			layers++
		}
	}
	var out []ProbeInfo
	for _, pr := range probes {
		qi, ok := c.PopulationIndex(pr.Population)
		if !ok {
			return nil, fmt.Errorf("probe: no population %q", pr.Population)
		}
		q := &p.Populations[qi]
		if _, err := c.StateRaw(qi, pr.Var, nil); err != nil {
			return nil, fmt.Errorf("probe: %w", err)
		}
		info := ProbeInfo{Pop: qi, Layer: layerOf[qi], Var: pr.Var, Neurons: pr.Neurons}
		if info.Neurons == nil {
			info.Neurons = make([]int, q.Size)
			for i := range info.Neurons {
				info.Neurons[i] = i
			}
		}
		for _, n := range info.Neurons {
			if n < 0 || n >= q.Size {
				return nil, fmt.Errorf("probe: population %q has no neuron %d (size %d)", q.Name, n, q.Size)
			}
		}
		if perContext[pr.Var] || q.Role == chip.RoleInput {
			info.Contexts = pr.Contexts
			if info.Contexts == nil {
				info.Contexts = make([]int, p.Contexts)
				for k := range info.Contexts {
					info.Contexts[k] = k
				}
			}
			for _, k := range info.Contexts {
				if k < 0 || k >= p.Contexts {
					return nil, fmt.Errorf("probe: context %d does not exist (%d contexts)", k, p.Contexts)
				}
			}
		}
		out = append(out, info)
	}
	return out, nil
}
