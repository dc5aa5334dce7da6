package network

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Stream kinds of the initialisation generator (see the package documentation).
const (
	streamWeights = 1
	streamBias    = 2
	streamMask    = 3
)

// SplitMix64 is the small counter-based generator of the initialisation: Sebastiano
// Vigna's SplitMix64. Its zero value is a valid stream; NewStream keys one.
type SplitMix64 struct{ State uint64 }

// NewStream returns the stream keyed by seed, a kind and an index:
// state = mix(seed) ^ mix(kind<<32 | index).
func NewStream(seed uint64, kind, index uint32) SplitMix64 {
	return SplitMix64{State: mix64(seed) ^ mix64(uint64(kind)<<32|uint64(index))}
}

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// Uint64 returns the next 64 random bits.
func (s *SplitMix64) Uint64() uint64 {
	s.State += 0x9E3779B97F4A7C15
	return mix64(s.State)
}

// Float64 returns a uniform number in [0, 1) with 53 random bits.
func (s *SplitMix64) Float64() float64 {
	return float64(s.Uint64()>>11) * (1.0 / (1 << 53))
}

// Uniform returns a uniform number in [−a, a).
func (s *SplitMix64) Uniform(a float64) float64 {
	return a * (2*s.Float64() - 1)
}

// MaskOf returns projection p's mask expanded to one value per synapse, row-major
// target×source (true: the synapse exists), or nil for a dense projection. It takes
// time and memory in proportion to target × source size. The projection's endpoints
// and mask must be valid.
func (n *Network) MaskOf(p int) []bool {
	pr := &n.Projections[p]
	if pr.Mask == nil {
		return nil
	}
	s, t := n.Endpoints(p)
	rows, cols := n.Populations[t].Size, n.Populations[s].Size
	out := make([]bool, rows*cols)
	n.eachSynapse(p, rows, cols, func(k int) { out[k] = true })
	return out
}

// eachSynapse calls fn with the row-major index of every synapse projection p's mask
// keeps, in increasing order.
func (n *Network) eachSynapse(p, rows, cols int, fn func(k int)) {
	pr := &n.Projections[p]
	m := pr.Mask
	if m.Rows != nil {
		for i, r := range m.Rows {
			for _, j := range r {
				fn(i*cols + j)
			}
		}
		return
	}
	seed := n.Seed
	if pr.Seed != nil {
		seed = *pr.Seed
	}
	if m.Seed != nil {
		seed = *m.Seed
	}
	g := NewStream(seed, streamMask, uint32(p))
	for k := range rows * cols {
		if g.Float64() < m.Density {
			fn(k)
		}
	}
}

// Synapses counts projection p's synapses: target × source size, or those its mask
// keeps (in time proportional to target × source size for a density mask). The
// projection must be valid.
func (n *Network) Synapses(p int) int {
	s, t := n.Endpoints(p)
	rows, cols := n.Populations[t].Size, n.Populations[s].Size
	if n.Projections[p].Mask == nil {
		return rows * cols
	}
	c := 0
	n.eachSynapse(p, rows, cols, func(int) { c++ })
	return c
}

// DenseParams counts the weights of every projection as if dense (target × source
// size) plus the biases: an upper bound of NumParams that costs nothing to compute. It
// works on any network, valid or not (projections whose endpoints do not resolve count
// nothing), so it can guard work before validation.
func (n *Network) DenseParams() int {
	c := 0
	for p := range n.Projections {
		s, okS := n.PopulationIndex(n.Projections[p].Source)
		t, okT := n.PopulationIndex(n.Projections[p].Target)
		if okS && okT {
			c += max(0, n.Populations[s].Size) * max(0, n.Populations[t].Size)
		}
	}
	for _, q := range n.Populations {
		if q.Bias {
			c += max(0, q.Size)
		}
	}
	return c
}

// InitParams returns the network's initial parameters: explicit weights and bias_init
// as given, every other weight and bias drawn from U(−1/√fanIn, +1/√fanIn) with the
// generator and draw order of the package documentation, τm and τr from the file. The
// network must be valid.
func (n *Network) InitParams() (*Params, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	ps := &Params{
		Weights: make([][]float64, len(n.Projections)),
		Biases:  make([][]float64, len(n.Populations)),
		TauM:    make([][]float64, len(n.Populations)),
		TauR:    make([][]float64, len(n.Populations)),
	}
	for pi := range n.Projections {
		p := &n.Projections[pi]
		s, t := n.Endpoints(pi)
		rows, cols := n.Populations[t].Size, n.Populations[s].Size
		w := make([]float64, rows*cols)
		if p.Weights != nil {
			for i := range rows {
				copy(w[i*cols:(i+1)*cols], p.Weights[i])
			}
		} else {
			seed := n.Seed
			if p.Seed != nil {
				seed = *p.Seed
			}
			g := NewStream(seed, streamWeights, uint32(pi))
			a := 1 / math.Sqrt(float64(n.FanIn(t)))
			for k := range w {
				w[k] = g.Uniform(a)
			}
		}
		for k, keep := range n.MaskOf(pi) {
			if !keep {
				w[k] = 0
			}
		}
		ps.Weights[pi] = w
	}
	for qi := range n.Populations {
		q := &n.Populations[qi]
		if q.Input {
			continue
		}
		ps.TauM[qi] = append([]float64(nil), q.TauM...)
		ps.TauR[qi] = append([]float64(nil), q.TauR...)
		if !q.Bias {
			continue
		}
		if q.BiasInit != nil {
			ps.Biases[qi] = append([]float64(nil), q.BiasInit...)
			continue
		}
		g := NewStream(n.Seed, streamBias, uint32(qi))
		a := 1 / math.Sqrt(float64(n.FanIn(qi)))
		b := make([]float64, q.Size)
		for i := range b {
			b[i] = g.Uniform(a)
		}
		ps.Biases[qi] = b
	}
	return ps, nil
}

// CheckParams reports whether ps has the shapes of n's parameters and finite values.
func (n *Network) CheckParams(ps *Params) error {
	if ps == nil {
		return errors.New("network: no parameters; use InitParams")
	}
	var errs []error
	if len(ps.Weights) != len(n.Projections) {
		return errors.New("network: parameters are for another network: the number of projections differs")
	}
	if len(ps.Biases) != len(n.Populations) || len(ps.TauM) != len(n.Populations) || len(ps.TauR) != len(n.Populations) {
		return errors.New("network: parameters are for another network: the number of populations differs")
	}
	bad := func(what string, got, want int) {
		errs = append(errs, errors.New("network: parameters: "+what+" has "+strconv.Itoa(got)+" values, want "+strconv.Itoa(want)))
	}
	for pi := range n.Projections {
		s, t := n.Endpoints(pi)
		if want := n.Populations[s].Size * n.Populations[t].Size; len(ps.Weights[pi]) != want {
			bad("projection "+strconv.Itoa(pi)+" weights", len(ps.Weights[pi]), want)
		}
	}
	for qi, q := range n.Populations {
		size := q.Size
		wantB, wantT := 0, size
		if q.Bias && !q.Input {
			wantB = size
		}
		if q.Input {
			wantT = 0
		}
		if len(ps.Biases[qi]) != wantB {
			bad("population "+q.Name+" bias", len(ps.Biases[qi]), wantB)
		}
		if len(ps.TauM[qi]) != wantT {
			bad("population "+q.Name+" tau_m", len(ps.TauM[qi]), wantT)
		}
		if len(ps.TauR[qi]) != wantT {
			bad("population "+q.Name+" tau_r", len(ps.TauR[qi]), wantT)
		}
	}
	if len(errs) == 0 {
		for pi := range n.Projections {
			for k, keep := range n.MaskOf(pi) {
				if !keep && ps.Weights[pi][k] != 0 {
					s, _ := n.Endpoints(pi)
					cols := n.Populations[s].Size
					errs = append(errs, fmt.Errorf("network: parameters: projection %d weight (%d, %d) is %v where the mask has no synapse; masked weights must be 0", pi, k/cols, k%cols, ps.Weights[pi][k]))
					break
				}
			}
		}
	}
	for _, group := range [][][]float64{ps.Weights, ps.Biases, ps.TauM, ps.TauR} {
		for _, v := range group {
			if _, c := firstBad(v, func(x float64) bool { return !finite(x) }); c > 0 {
				errs = append(errs, errors.New("network: parameters hold NaN or infinite values"))
				return errors.Join(errs...)
			}
		}
	}
	return errors.Join(errs...)
}
