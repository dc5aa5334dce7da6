package network

// Network is a GLE network: populations of neurons joined by projections, with the loss
// and learning settings that train it. It mirrors the JSON file (see
// docs/network-format.md); per-neuron values are expanded to one entry per neuron.
type Network struct {
	// Name labels the network in traces and reports; optional.
	Name string
	// Dt is the time step of the forward-Euler discretisation, > 0.
	Dt float64
	// Seed keys the initialisation of every weight and bias not given explicitly.
	Seed uint64
	// Errors selects how error neurons compute ĕ: ErrorsProspective (the default) or
	// ErrorsInstantaneous.
	Errors string
	// Populations in file order; their index is how every other part refers to them.
	Populations []Population
	// Projections in file order.
	Projections []Projection
	// Loss defines the output error e*.
	Loss Loss
	// Learning defines what learns and how; the zero value learns nothing.
	Learning Learning
}

// Error modes of the error neurons.
const (
	ErrorsProspective   = "prospective"
	ErrorsInstantaneous = "instantaneous"
)

// MaxPopulationSize is the largest population a network file may hold.
const MaxPopulationSize = 1 << 24

// Population is a group of neurons sharing an activation; an input population is only a
// size (its rate at step k is the input x_k).
type Population struct {
	Name string
	Size int
	// Input marks a population whose rate is the network input; it has no dynamics.
	Input bool
	// Output marks a population that receives the output error e*.
	Output bool
	// Activation is one of Activations (aliases such as "linear" are kept as written).
	Activation string
	// Bias gives every neuron a bias b.
	Bias bool
	// Gamma is how strongly ĕ feeds back into u (0 keeps the forward pass clean).
	Gamma float64
	// TauM and TauR are the membrane and prospective time constants, one per neuron.
	TauM, TauR []float64
	// BiasInit, if not nil, gives the initial biases (one per neuron) instead of drawing
	// them.
	BiasInit []float64
	// Chip, if not nil, holds hints for the compiler (format version 2).
	Chip *PopulationChip
}

// PopulationChip holds a population's hints for the compiler (format version 2). Every
// field is optional: the compiler chooses what is left out.
type PopulationChip struct {
	// Tiles pins the population to these tiles of the mesh (row-major indices): its
	// neurons fill them in order, each tile up to its neuron slots.
	Tiles []int
	// RateExp, StateExp and ErrorExp, if not nil, fix the population's scale registers
	// (power-of-two exponents of its rates, u-domain states and e-domain errors) instead
	// of letting the compiler choose them. An input population takes only RateExp.
	RateExp, StateExp, ErrorExp *int
}

// Projection connects every neuron of Source to every neuron of Target, or only the
// synapses its Mask keeps.
type Projection struct {
	Source, Target string
	// Seed, if not nil, keys this projection's weight draws instead of the network seed.
	Seed *uint64
	// Plastic, if not nil and false, freezes this projection's weights.
	Plastic *bool
	// Weights, if not nil, gives the initial weights, Weights[i][j] from source neuron j
	// to target neuron i, instead of drawing them.
	Weights [][]float64
	// Mask, if not nil, keeps only some synapses (format version 2): the others have
	// weight zero and never learn.
	Mask *Mask
	// Chip, if not nil, holds hints for the compiler (format version 2).
	Chip *ProjectionChip
}

// Mask says which synapses of a sparse projection exist, in one of two compact forms
// (exactly one is set):
//
//   - Density keeps each synapse independently with probability Density, drawn from the
//     SplitMix64 stream state = mix(seed) ^ mix(3<<32 | p) in row-major order (target
//     neuron i outer, source neuron j inner): synapse (i, j) exists when the draw's
//     uniform u = (next() >> 11)·2⁻⁵³ is below Density. seed is Seed if set, else the
//     projection's seed, else the network seed.
//   - Rows lists, for every target neuron i, the source neurons it reads, in increasing
//     order (an empty list: none).
//
// Network.MaskOf expands either form.
type Mask struct {
	Density float64
	Seed    *uint64
	Rows    [][]int
}

// ProjectionChip holds a projection's hints for the compiler (format version 2).
type ProjectionChip struct {
	// WeightExp, if not nil, fixes the projection's weight scale register (a power-of-two
	// exponent) instead of letting the compiler choose it.
	WeightExp *int
}

// IsPlastic reports whether the projection's weights may learn (the default).
func (p *Projection) IsPlastic() bool { return p.Plastic == nil || *p.Plastic }

// Loss kinds.
const (
	LossMSE          = "mse"
	LossCrossEntropy = "cross_entropy"
)

// Loss defines the output error: e* = β(y − r_out) for LossMSE, e* = β(y −
// softmax(r_out)) for LossCrossEntropy (y a one-hot or probability vector).
type Loss struct {
	Kind string
	Beta float64
}

// Learning says which parameters learn, with which optimizer and schedule.
type Learning struct {
	Optimizer Optimizer
	// Weights, Biases and TauM switch learning of each kind of parameter on.
	Weights, Biases, TauM bool
	// TauMMin is the lower clamp of a learned τm; it defaults to Dt.
	TauMMin float64
	// Plateau, if not nil, reduces the learning rate when the per-epoch loss stalls.
	Plateau *Plateau
}

// Optimizer kinds.
const (
	OptimizerSGD      = "sgd"
	OptimizerMomentum = "momentum"
	OptimizerAdam     = "adam"
)

// Optimizer is the rule that turns gradients into parameter updates, applied after
// every step.
type Optimizer struct {
	Kind string
	// LR is the learning rate, ≥ 0 (0 freezes everything while gradients still flow).
	LR float64
	// Momentum is the momentum coefficient of OptimizerMomentum (default 0.9).
	Momentum float64
	// Beta1, Beta2 and Eps configure OptimizerAdam (defaults 0.9, 0.999, 1e-8).
	Beta1, Beta2, Eps float64
}

// Plateau configures reduce-on-plateau: after every epoch the epoch's loss is compared
// with the best so far; a loss counts as better when it is below best·(1 − Threshold).
// After more than Patience epochs in a row without a better loss, the learning rate is
// multiplied by Factor and the count restarts (PyTorch's ReduceLROnPlateau, mode "min",
// threshold mode "rel", no cooldown).
type Plateau struct {
	Factor    float64
	Patience  int
	Threshold float64 // default 1e-4
}

// Activations lists the activation names a population may use; "linear" is an alias of
// "identity".
var Activations = []string{"identity", "linear", "relu", "tanh", "sigmoid", "softplus", "hard_sigmoid", "hard_tanh"}

// Params holds every parameter of a network, indexed like the network's projections and
// populations. Slices of populations without the parameter (biases of input populations
// or populations without bias, τ of input populations) are nil.
type Params struct {
	// Weights[p] is projection p's weights, flat, row-major target×source.
	Weights [][]float64
	// Biases[q] is population q's bias vector.
	Biases [][]float64
	// TauM[q], TauR[q] are population q's time constants.
	TauM, TauR [][]float64
}

// Clone returns a deep copy of p.
func (p *Params) Clone() *Params {
	c := &Params{}
	c.Weights = cloneAll(p.Weights)
	c.Biases = cloneAll(p.Biases)
	c.TauM = cloneAll(p.TauM)
	c.TauR = cloneAll(p.TauR)
	return c
}

func cloneAll(s [][]float64) [][]float64 {
	out := make([][]float64, len(s))
	for i, v := range s {
		if v != nil {
			out[i] = append([]float64(nil), v...)
		}
	}
	return out
}

// PopulationIndex returns the index of the population called name.
func (n *Network) PopulationIndex(name string) (int, bool) {
	for i := range n.Populations {
		if n.Populations[i].Name == name {
			return i, true
		}
	}
	return -1, false
}

// Endpoints returns the population indices of projection p's source and target; the
// network must be valid.
func (n *Network) Endpoints(p int) (source, target int) {
	s, _ := n.PopulationIndex(n.Projections[p].Source)
	t, _ := n.PopulationIndex(n.Projections[p].Target)
	return s, t
}

// Incoming returns the indices of the projections into population q, in file order.
func (n *Network) Incoming(q int) []int {
	var ps []int
	for p := range n.Projections {
		if _, t := n.Endpoints(p); t == q {
			ps = append(ps, p)
		}
	}
	return ps
}

// FanIn returns the total size of all the sources projecting into population q.
func (n *Network) FanIn(q int) int {
	f := 0
	for _, p := range n.Incoming(q) {
		s, _ := n.Endpoints(p)
		f += n.Populations[s].Size
	}
	return f
}

// InputWidth is the length of the network input vector: the total size of the input
// populations.
func (n *Network) InputWidth() int {
	w := 0
	for _, p := range n.Populations {
		if p.Input {
			w += p.Size
		}
	}
	return w
}

// OutputWidth is the length of the target and reported-output vectors: the total size
// of the output populations.
func (n *Network) OutputWidth() int {
	w := 0
	for _, p := range n.Populations {
		if p.Output {
			w += p.Size
		}
	}
	return w
}

// Layers returns the indices of the neuron (non-input) populations in file order; the
// position of a population in this list is its "layer" in traces.
func (n *Network) Layers() []int {
	var ls []int
	for i, p := range n.Populations {
		if !p.Input {
			ls = append(ls, i)
		}
	}
	return ls
}

// NumParams counts the network's weights (the synapses a mask keeps) and biases.
func (n *Network) NumParams() int {
	c := 0
	for p := range n.Projections {
		c += n.Synapses(p)
	}
	for _, q := range n.Populations {
		if q.Bias {
			c += q.Size
		}
	}
	return c
}

// CanonicalActivation maps an alias to its canonical activation name ("linear" →
// "identity") and returns other names unchanged.
func CanonicalActivation(name string) string {
	if name == "linear" {
		return "identity"
	}
	return name
}
