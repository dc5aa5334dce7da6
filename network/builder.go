package network

import (
	"bytes"
	"fmt"
)

// Builder assembles a Network in Go, item by item, as a network file lists them. Its
// Network method returns exactly what decoding the equivalent file returns (it goes
// through Encode and Decode), defaults and validation included, so a network built in
// Go and one read from a file cannot differ.
//
//	b := network.NewBuilder("small", 0.2)
//	b.Input("x", 1)
//	b.Population("h", 4, "tanh", network.Tau(1.2, 0.2), network.WithBias())
//	b.Population("out", 2, "identity", network.Tau(1.2, 1.2), network.AsOutput())
//	b.Project("x", "h")
//	b.Project("h", "out", network.MaskDensity(0.5, nil))
//	b.Loss(network.LossMSE, 1)
//	n, err := b.Network()
//
// A Builder's methods return it, so calls may be chained.
type Builder struct {
	n Network
}

// PopulationOption sets an optional field of a population.
type PopulationOption func(*Population)

// ProjectionOption sets an optional field of a projection.
type ProjectionOption func(*Projection)

// NewBuilder starts a network called name with time step dt.
func NewBuilder(name string, dt float64) *Builder {
	return &Builder{n: Network{Name: name, Dt: dt}}
}

// Seed sets the network seed that keys every weight and bias not given explicitly.
func (b *Builder) Seed(seed uint64) *Builder { b.n.Seed = seed; return b }

// Errors sets the error mode (ErrorsProspective or ErrorsInstantaneous).
func (b *Builder) Errors(mode string) *Builder { b.n.Errors = mode; return b }

// Input adds an input population of size neurons.
func (b *Builder) Input(name string, size int, opts ...PopulationOption) *Builder {
	p := Population{Name: name, Size: size, Input: true}
	for _, o := range opts {
		o(&p)
	}
	b.n.Populations = append(b.n.Populations, p)
	return b
}

// Population adds a neuron population of size neurons with the given activation.
func (b *Builder) Population(name string, size int, activation string, opts ...PopulationOption) *Builder {
	p := Population{Name: name, Size: size, Activation: activation}
	for _, o := range opts {
		o(&p)
	}
	b.n.Populations = append(b.n.Populations, p)
	return b
}

// Project adds a projection from source to target.
func (b *Builder) Project(source, target string, opts ...ProjectionOption) *Builder {
	p := Projection{Source: source, Target: target}
	for _, o := range opts {
		o(&p)
	}
	b.n.Projections = append(b.n.Projections, p)
	return b
}

// Loss sets the output error: kind LossMSE or LossCrossEntropy, nudging strength beta.
func (b *Builder) Loss(kind string, beta float64) *Builder {
	b.n.Loss = Loss{Kind: kind, Beta: beta}
	return b
}

// Learning sets what learns and how. Optimizer settings left zero take the file's
// defaults (Adam's β1 0.9, β2 0.999, ε 1e-8; momentum 0.9), as do TauMMin (dt) and a
// plateau's threshold (1e-4).
func (b *Builder) Learning(l Learning) *Builder {
	o := &l.Optimizer
	if o.Kind == OptimizerAdam {
		if o.Beta1 == 0 {
			o.Beta1 = 0.9
		}
		if o.Beta2 == 0 {
			o.Beta2 = 0.999
		}
		if o.Eps == 0 {
			o.Eps = 1e-8
		}
	}
	if p := l.Plateau; p != nil && p.Threshold == 0 {
		q := *p
		q.Threshold = 1e-4
		l.Plateau = &q
	}
	b.n.Learning = l
	return b
}

// Network returns the network: the one decoding its file gives, or every problem at
// once (as Decode reports them).
func (b *Builder) Network() (*Network, error) {
	var buf bytes.Buffer
	if err := Encode(&buf, &b.n); err != nil {
		return nil, err
	}
	n, err := Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("%w (built with network.Builder)", err)
	}
	return n, nil
}

// Tau gives every neuron the time constants τm and τr.
func Tau(tauM, tauR float64) PopulationOption {
	return func(p *Population) {
		p.TauM = filled(p.Size, tauM)
		p.TauR = filled(p.Size, tauR)
	}
}

// TauPerNeuron gives each neuron its own τm and τr (one value per neuron each).
func TauPerNeuron(tauM, tauR []float64) PopulationOption {
	return func(p *Population) {
		p.TauM = append([]float64(nil), tauM...)
		p.TauR = append([]float64(nil), tauR...)
	}
}

// WithBias gives the neurons a bias, drawn unless BiasInit gives it.
func WithBias() PopulationOption { return func(p *Population) { p.Bias = true } }

// BiasInit gives the initial biases (one per neuron) and switches the bias on.
func BiasInit(b []float64) PopulationOption {
	return func(p *Population) { p.Bias = true; p.BiasInit = append([]float64(nil), b...) }
}

// Gamma sets γ, how strongly ĕ feeds back into u.
func Gamma(g float64) PopulationOption { return func(p *Population) { p.Gamma = g } }

// AsOutput marks the population as an output: it receives the output error.
func AsOutput() PopulationOption { return func(p *Population) { p.Output = true } }

// PinTiles pins the population to tiles of the mesh (row-major indices), filled in
// order (format version 2).
func PinTiles(tiles ...int) PopulationOption {
	return func(p *Population) {
		chip(p).Tiles = append([]int(nil), tiles...)
	}
}

// Scales fixes the population's scale registers: the exponents of its rates, states
// and errors (format version 2). An input population takes only RateScale.
func Scales(rateExp, stateExp, errorExp int) PopulationOption {
	return func(p *Population) {
		c := chip(p)
		c.RateExp, c.StateExp, c.ErrorExp = &rateExp, &stateExp, &errorExp
	}
}

// RateScale fixes only the population's rate exponent (format version 2).
func RateScale(rateExp int) PopulationOption {
	return func(p *Population) { chip(p).RateExp = &rateExp }
}

func chip(p *Population) *PopulationChip {
	if p.Chip == nil {
		p.Chip = &PopulationChip{}
	}
	return p.Chip
}

// ProjectionSeed keys this projection's weight draws instead of the network seed.
func ProjectionSeed(seed uint64) ProjectionOption {
	return func(p *Projection) { p.Seed = &seed }
}

// Frozen keeps the projection's weights from learning.
func Frozen() ProjectionOption {
	return func(p *Projection) { f := false; p.Plastic = &f }
}

// Weights gives the initial weights, w[i][j] from source neuron j to target neuron i.
func Weights(w [][]float64) ProjectionOption {
	return func(p *Projection) {
		p.Weights = make([][]float64, len(w))
		for i, r := range w {
			p.Weights[i] = append([]float64(nil), r...)
		}
	}
}

// MaskDensity keeps each synapse with probability density, drawn from the stream keyed
// by seed (nil: the projection's or the network's seed); format version 2.
func MaskDensity(density float64, seed *uint64) ProjectionOption {
	return func(p *Projection) {
		m := &Mask{Density: density}
		if seed != nil {
			s := *seed
			m.Seed = &s
		}
		p.Mask = m
	}
}

// MaskRows keeps the synapses listed per target neuron: rows[i] holds the source
// neurons target i reads, in increasing order (format version 2).
func MaskRows(rows [][]int) ProjectionOption {
	return func(p *Projection) {
		m := &Mask{Rows: make([][]int, len(rows))}
		for i, r := range rows {
			m.Rows[i] = append([]int{}, r...)
		}
		p.Mask = m
	}
}

// WeightScale fixes the projection's weight exponent register (format version 2).
func WeightScale(exp int) ProjectionOption {
	return func(p *Projection) { p.Chip = &ProjectionChip{WeightExp: &exp} }
}

func filled(n int, v float64) []float64 {
	if n <= 0 || n > MaxPopulationSize {
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
