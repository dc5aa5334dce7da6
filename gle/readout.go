package gle

import (
	"fmt"
	"math"
)

// Readout is the spec's classification readout for samples fed one point per step for
// T steps: the predicted class of a context is the argmax of its reported outputs summed
// over the T steps (no shift for the pipeline delay), and the test loss is the
// cross-entropy of every step's reported output against the label, averaged over the
// steps and contexts seen.
type Readout struct {
	Contexts, Classes int
	// Sum is C × Classes: the reported outputs summed since the last Reset.
	Sum []float64
	// LossSum is the summed per-step cross-entropy; Count the number of (step, context)
	// terms in it.
	LossSum float64
	Count   int
}

// NewReadout returns a Readout for contexts contexts and classes classes.
func NewReadout(contexts, classes int) *Readout {
	return &Readout{Contexts: contexts, Classes: classes, Sum: make([]float64, contexts*classes)}
}

// Add accumulates one step's reported output (C × Classes, e.g. Net.Out after a step)
// with the contexts' labels.
func (r *Readout) Add(out []float64, labels []int) error {
	if len(out) != len(r.Sum) || len(labels) != r.Contexts {
		return fmt.Errorf("gle: readout of %d contexts × %d classes got %d outputs and %d labels", r.Contexts, r.Classes, len(out), len(labels))
	}
	for c, l := range labels {
		if l < 0 || l >= r.Classes {
			return fmt.Errorf("gle: label %d of context %d is outside 0…%d", l, c, r.Classes-1)
		}
		row := out[c*r.Classes : (c+1)*r.Classes]
		for i, o := range row {
			r.Sum[c*r.Classes+i] += o
		}
		r.LossSum += logSumExp(row) - row[l]
		r.Count++
	}
	return nil
}

// Predict writes each context's predicted class into dst (len Contexts) and returns it.
func (r *Readout) Predict(dst []int) []int {
	if cap(dst) < r.Contexts {
		dst = make([]int, r.Contexts)
	}
	dst = dst[:r.Contexts]
	for c := range r.Contexts {
		row := r.Sum[c*r.Classes : (c+1)*r.Classes]
		best := 0
		for i, v := range row {
			if v > row[best] {
				best = i
			}
		}
		dst[c] = best
	}
	return dst
}

// Loss is the mean per-step cross-entropy since the last Reset (NaN before any Add).
func (r *Readout) Loss() float64 {
	if r.Count == 0 {
		return math.NaN()
	}
	return r.LossSum / float64(r.Count)
}

// ResetSample clears the summed outputs for the next sample; the loss keeps
// accumulating.
func (r *Readout) ResetSample() { clear(r.Sum) }

// Reset clears the sums and the loss.
func (r *Readout) Reset() {
	clear(r.Sum)
	r.LossSum, r.Count = 0, 0
}
