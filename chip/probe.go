package chip

import (
	"fmt"
	"math"

	"github.com/glemu/glemu/trace"
)

// Probe selects a variable of some neurons of one population to record every step.
type Probe struct {
	// Population is the population's name.
	Population string
	// Var is one of StateVars (inputs: "r").
	Var string
	// Neurons lists the neurons to record (nil: all); Contexts the contexts (nil: all;
	// ignored for parameters, which have none).
	Neurons, Contexts []int
}

// ProbeOutput says where probes write.
type ProbeOutput struct {
	// CSV receives one record per value and step: dequantized, with the population's
	// name as its layer name (its layer index among the neuron populations, or −1 for
	// an input), b the context (−1 for parameters), i the neuron.
	CSV *trace.CSVWriter
	// Raw adds, for every value, a record of its raw integer, var "<name>_raw".
	Raw bool
	// VCD receives one real variable per probed neuron and context, in a scope per
	// population, named "<var>[<neuron>]" or "<var>[<neuron>]c<context>".
	VCD *trace.VCDWriter
}

type probeItem struct {
	pop, layer int
	name       string
	ref        stateRef
	neurons    []int
	contexts   []int // nil for parameters
	size       int
}

type probeSet struct {
	out    ProbeOutput
	items  []probeItem
	values []float64
}

// SetProbes records probes every step from the next step on, into out (replacing any
// probes set before). Recording does not allocate; write errors stop Step with the
// error. With no probes, recording stops.
func (c *Chip) SetProbes(out ProbeOutput, probes ...Probe) error {
	if len(probes) == 0 {
		c.probes = nil
		return nil
	}
	if out.CSV == nil && out.VCD == nil {
		return fmt.Errorf("chip: probes need a CSV or a VCD writer")
	}
	ps := &probeSet{out: out}
	layers := 0
	layerOf := make([]int, len(c.pops))
	for i, q := range c.pops {
		layerOf[i] = -1
		if q.role != RoleInput {
			layerOf[i] = layers
			layers++
		}
	}
	for _, p := range probes {
		qi, ok := c.PopulationIndex(p.Population)
		if !ok {
			return fmt.Errorf("chip: probe: no population %q", p.Population)
		}
		q, ref, err := c.stateRef(qi, p.Var)
		if err != nil {
			return fmt.Errorf("chip: probe: %w", err)
		}
		it := probeItem{pop: qi, layer: layerOf[qi], name: p.Var, ref: ref, size: q.size}
		it.neurons = p.Neurons
		if it.neurons == nil {
			for i := range q.size {
				it.neurons = append(it.neurons, i)
			}
		}
		for _, n := range it.neurons {
			if n < 0 || n >= q.size {
				return fmt.Errorf("chip: probe: population %q has no neuron %d (size %d)", q.name, n, q.size)
			}
		}
		if ref.contexts {
			it.contexts = p.Contexts
			if it.contexts == nil {
				for k := range c.contexts {
					it.contexts = append(it.contexts, k)
				}
			}
			for _, k := range it.contexts {
				if k < 0 || k >= c.contexts {
					return fmt.Errorf("chip: probe: context %d does not exist (%d contexts)", k, c.contexts)
				}
			}
		}
		ps.items = append(ps.items, it)
	}
	if v := out.VCD; v != nil {
		for _, it := range ps.items {
			scope := c.pops[it.pop].name
			for _, n := range it.neurons {
				if it.contexts == nil {
					if _, err := v.Var(scope, fmt.Sprintf("%s[%d]", it.name, n)); err != nil {
						return err
					}
					ps.values = append(ps.values, 0)
					continue
				}
				for _, k := range it.contexts {
					if _, err := v.Var(scope, fmt.Sprintf("%s[%d]c%d", it.name, n, k)); err != nil {
						return err
					}
					ps.values = append(ps.values, 0)
				}
			}
		}
	}
	c.probes = ps
	return nil
}

// record writes the probes' values of the step just taken.
func (p *probeSet) record(c *Chip) error {
	step := int(c.steps) - 1
	k := 0
	for _, it := range p.items {
		r := &it.ref
		emit := func(ctx, n int, idx int) error {
			raw := r.get(idx)
			val := math.Ldexp(r.v.ToFloat(raw), r.exp) * r.scale
			if p.out.VCD != nil {
				p.values[k] = val
				k++
			}
			if w := p.out.CSV; w != nil {
				rec := trace.Record{Step: step, Layer: it.layer, LayerName: c.pops[it.pop].name, Var: it.name, B: ctx, I: n, J: -1, Value: val}
				if err := w.Write(rec); err != nil {
					return err
				}
				if p.out.Raw {
					rec.Var, rec.Value = it.name+"_raw", float64(raw)
					if err := w.Write(rec); err != nil {
						return err
					}
				}
			}
			return nil
		}
		for _, n := range it.neurons {
			if it.contexts == nil {
				if err := emit(-1, n, n); err != nil {
					return err
				}
				continue
			}
			for _, ctx := range it.contexts {
				if err := emit(ctx, n, ctx*it.size+n); err != nil {
					return err
				}
			}
		}
	}
	if p.out.VCD != nil {
		return p.out.VCD.Sample(step, p.values)
	}
	return nil
}
