package train

import (
	"encoding/json"
	"math"

	"github.com/glemu/glemu/network"
)

// Plateau is the reduce-on-plateau schedule of the learning rate, the spec's (section 5)
// and PyTorch's ReduceLROnPlateau in mode "min" with a relative threshold and no
// cooldown, the same rule as gle's: after every epoch, from the first on, the epoch's
// test loss L counts as better if L < Best·(1 − Threshold); a better loss becomes Best
// and resets Bad; otherwise Bad counts up, and when it exceeds Patience the learning
// rate is multiplied by Factor and Bad restarts at 0 (a change below 1e-8 is skipped).
//
// Its fields are its whole state; it is saved in checkpoints as JSON (Best = +Inf is
// written as null).
type Plateau struct {
	Factor    float64
	Patience  int
	Threshold float64
	// Best is the best loss so far (+Inf before the first epoch); Bad the number of
	// epochs in a row without a better one.
	Best float64
	Bad  int
}

type plateauJSON struct {
	Factor    float64  `json:"factor"`
	Patience  int      `json:"patience"`
	Threshold float64  `json:"threshold"`
	Best      *float64 `json:"best"` // null for +Inf
	Bad       int      `json:"bad"`
}

// MarshalJSON writes the schedule's state; JSON has no +Inf, so Best = +Inf is null.
func (s Plateau) MarshalJSON() ([]byte, error) {
	j := plateauJSON{Factor: s.Factor, Patience: s.Patience, Threshold: s.Threshold, Bad: s.Bad}
	if !math.IsInf(s.Best, 1) {
		j.Best = &s.Best
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Plateau) UnmarshalJSON(b []byte) error {
	var j plateauJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Plateau{Factor: j.Factor, Patience: j.Patience, Threshold: j.Threshold, Best: math.Inf(1), Bad: j.Bad}
	if j.Best != nil {
		s.Best = *j.Best
	}
	return nil
}

// NewPlateau returns the schedule p describes (nil for nil), before its first epoch.
func NewPlateau(p *network.Plateau) *Plateau {
	if p == nil {
		return nil
	}
	thr := p.Threshold
	if !(thr >= 0) {
		thr = 1e-4
	}
	return &Plateau{Factor: p.Factor, Patience: p.Patience, Threshold: thr, Best: math.Inf(1)}
}

// Next takes an epoch's loss and the learning rate of that epoch and returns the
// learning rate of the next epoch.
func (s *Plateau) Next(loss, lr float64) float64 {
	if loss < s.Best*(1-s.Threshold) {
		s.Best = loss
		s.Bad = 0
		return lr
	}
	s.Bad++
	if s.Bad > s.Patience {
		s.Bad = 0
		if next := lr * s.Factor; lr-next > 1e-8 {
			return next
		}
	}
	return lr
}
