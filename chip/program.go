package chip

import (
	"fmt"
	"math"
	"strconv"

	"github.com/glemu/glemu/fixedpoint"
)

// Program is what gets loaded onto a chip: plain data (slices and values, no pointers or
// maps) saying what every tile holds and where its values go. The compiler produces it
// (chip/chiptest's layered mapper does for the chip's own tests), chip/image encodes it,
// New loads it. docs/chip.md describes every field.
//
// Raw values are integers in the format of Config.Formats named in each field's comment,
// scaled by the owner's exponent register where one applies: a raw value n of a format
// with F fraction bits under exponent e means n·2^(e−F).
type Program struct {
	// Name labels the program in reports; optional.
	Name string
	// Config is the chip the program was built for.
	Config Config
	// Seed keys every stochastic rounding of the program's run.
	Seed uint64
	// Dt is the time step in the network's time unit. The step never reads it (every
	// time constant is held in units of dt); it dequantizes τ and labels traces.
	Dt float64
	// Contexts is the number of contexts C run at once (1 to Config.MaxContexts);
	// gradients are averaged over them.
	Contexts int
	// Errors selects how error neurons form ĕ.
	Errors ErrorMode

	// Populations, in order; the input vector is the concatenation of the input
	// populations in this order, the output and target vectors that of the output
	// populations.
	Populations []Population
	// Projections, in order.
	Projections []Projection
	// Tiles holds Config.Rows·Config.Cols tiles, row-major: tile t sits at row t/Cols,
	// column t%Cols.
	Tiles []Tile

	// Loss defines the output error e*.
	Loss Loss
	// Learning says what learns and how (when learning is switched on).
	Learning Learning
}

// Role says what a population does.
type Role uint8

const (
	RoleHidden Role = iota // a neuron population that receives no output error
	RoleInput              // its rate at step k is the step's input x_k; no dynamics
	RoleOutput             // a neuron population that receives the output error e*
)

func (r Role) String() string {
	switch r {
	case RoleHidden:
		return "hidden"
	case RoleInput:
		return "input"
	case RoleOutput:
		return "output"
	}
	return "Role(" + itoa(int(r)) + ")"
}

// ErrorMode selects how error neurons form ĕ.
type ErrorMode uint8

const (
	ErrorsProspective   ErrorMode = iota // ĕ = v + (τm/τr)·(inst_e − v), the default
	ErrorsInstantaneous                  // ĕ = v = inst_e (a baseline)
)

// Population is a group of neurons sharing an activation and scale registers. Where each
// neuron lives is stated once, by the tile slots that name it (Program.Home finds it).
type Population struct {
	Name string
	Size int
	Role Role
	// Activation is φ (one of identity, relu, tanh, sigmoid, hard-sigmoid, hard-tanh,
	// softplus); φ′ is the unit after it (Activation+1). Ignored for inputs.
	Activation fixedpoint.Func
	// Bias gives every neuron a bias (B).
	Bias bool
	// Gamma is γ, how strongly ĕ feeds back into u (register "gamma").
	Gamma Reg

	// Scale registers (exponents, see Program): RateExp scales r (formats r, rate_bus),
	// StateExp the u domain (u, u_breve, b), ErrorExp the e domain (v, e_breve, inst_e,
	// eps_in, err_bus). BiasGradExp and TauGradExp scale the gradients (grad, adam_m;
	// adam_v with twice the exponent) of the biases and of τm.
	RateExp, StateExp, ErrorExp int
	BiasGradExp, TauGradExp     int

	// TauM and TauR are each neuron's τm and τr in units of dt (format "tau_m", no
	// exponent); nil for inputs.
	TauM, TauR []int64
	// B is each neuron's bias (format "b", exponent StateExp); nil without bias.
	B []int64
}

// Projection is a dense connection from every neuron of Source to every neuron of
// Target, held as one or more weight blocks on one or more tiles.
type Projection struct {
	Source, Target int // population indices
	// WeightExp scales the weights (formats w and w_mem); GradExp the weight gradients
	// (grad, adam_m; adam_v with twice the exponent).
	WeightExp, GradExp int
}

// Tile is what one tile holds.
type Tile struct {
	// Slots[s] is the neuron in slot s (at most Config.NeuronsPerTile).
	Slots []NeuronRef
	// Blocks are the tile's weight blocks.
	Blocks []Block
	// Routes are the transfers this tile sends every step.
	Routes []Route
}

// NeuronRef names a neuron: its population's index and its index in the population.
type NeuronRef struct {
	Population, Neuron int
}

// Block is a rectangle of one projection's weights held in a tile's crossbar: target
// neurons Row0…Row0+Rows−1 × source neurons Col0…Col0+Cols−1, placed at crossbar row
// CrossbarRow and column CrossbarCol.
type Block struct {
	Projection               int
	Row0, Rows               int
	Col0, Cols               int
	CrossbarRow, CrossbarCol int
	// Plastic lets the block's weights learn.
	Plastic bool
	// W holds Rows×Cols raw weights, row-major (format "w_mem", exponent the
	// projection's WeightExp).
	W []int64
}

// RouteKind says what a route carries.
type RouteKind uint8

const (
	// RouteRate carries the committed rates of Population's neurons Lo…Hi−1 from their
	// home tile to tile To, which holds blocks reading them.
	RouteRate RouteKind = iota + 1
	// RouteSum carries the forward partial sums of Projection's blocks on this tile for
	// its target neurons Lo…Hi−1 to their home tile To.
	RouteSum
	// RouteError carries ĕ of Population's neurons Lo…Hi−1 from their home tile to tile
	// To, which holds blocks with their rows.
	RouteError
	// RouteErrorSum carries the transposed partial sums of Projection's blocks on this
	// tile for its source neurons Lo…Hi−1 to their home tile To.
	RouteErrorSum
)

func (k RouteKind) String() string {
	switch k {
	case RouteRate:
		return "rate"
	case RouteSum:
		return "sum"
	case RouteError:
		return "error"
	case RouteErrorSum:
		return "error-sum"
	}
	return "RouteKind(" + itoa(int(k)) + ")"
}

// Route is one transfer a tile sends every step, over the mesh's XY (column first, then
// row) dimension-ordered path to tile To. Population is read by RouteRate and RouteError,
// Projection by RouteSum and RouteErrorSum; the other is ignored.
type Route struct {
	Kind       RouteKind
	Projection int
	Population int
	Lo, Hi     int
	To         int
}

// LossKind selects the output error.
type LossKind uint8

const (
	LossNone         LossKind = iota // e* = 0 (inference only)
	LossMSE                          // e* = β(y − r_out)
	LossCrossEntropy                 // e* = β(y − softmax(r_out)), softmax on the output tile
)

func (k LossKind) String() string {
	switch k {
	case LossNone:
		return "none"
	case LossMSE:
		return "mse"
	case LossCrossEntropy:
		return "cross-entropy"
	}
	return "LossKind(" + itoa(int(k)) + ")"
}

// Loss defines the output error; without a target at a step, e* = 0.
type Loss struct {
	Kind LossKind
	Beta Reg // β (register "beta")
}

// OptimizerKind selects the optimizer.
type OptimizerKind uint8

const (
	OptSGD      OptimizerKind = iota // θ ← θ − lr·g
	OptMomentum                      // m ← μm + g; θ ← θ − lr·m
	OptAdam                          // bias-corrected Adam, see docs/chip.md
)

func (k OptimizerKind) String() string {
	switch k {
	case OptSGD:
		return "sgd"
	case OptMomentum:
		return "momentum"
	case OptAdam:
		return "adam"
	}
	return "OptimizerKind(" + itoa(int(k)) + ")"
}

// Learning holds the learning registers.
type Learning struct {
	Optimizer OptimizerKind
	// Weights, Biases and TauM switch learning of each kind of parameter on and hold its
	// learning rate and Adam ε.
	Weights, Biases, TauM ParamLearning
	// Momentum is μ of OptMomentum; Beta1 and Beta2 are Adam's β1, β2 (raw, format
	// "decay").
	Momentum, Beta1, Beta2 int64
	// TauMMin is the lower clamp of a learned τm (format "tau_m"; at least 1, i.e. dt).
	TauMMin int64
}

// ParamLearning holds one kind of parameter's learning registers.
type ParamLearning struct {
	On bool
	// LR is the learning rate (register "lr") in the parameter's own units: the change
	// of the parameter's value per unit of optimizer output. τm is held in units of dt
	// and its gradient is formed as ĕ·Δu = dt·∂τm, so for τm the compiler sets lr/dt
	// (Adam) or lr/dt² (SGD, momentum).
	LR Reg
	// Eps is Adam's ε (register "adam_eps") in the units of the parameter's gradient
	// (for τm, dt·ε).
	Eps Reg
}

// Reg is a register: a mantissa Raw in a table format (named by the field using it) and
// an exponent Exp. It holds Raw·2^(Exp−Frac), Frac the format's fraction bits.
type Reg struct {
	Raw int64
	Exp int
}

// MaxExp bounds every exponent register: |Exp| ≤ MaxExp.
const MaxExp = 48

// Home returns the tile and slot of every neuron of population q, indexed by neuron
// (−1, −1 for a neuron no slot names). It does not validate the program.
func (p *Program) Home(q int) (tiles, slots []int) {
	if q < 0 || q >= len(p.Populations) || p.Populations[q].Size < 0 || p.Populations[q].Size > maxPopulationSize {
		return nil, nil
	}
	n := p.Populations[q].Size
	tiles, slots = make([]int, n), make([]int, n)
	for i := range tiles {
		tiles[i], slots[i] = -1, -1
	}
	for t := range p.Tiles {
		for s, ref := range p.Tiles[t].Slots {
			if ref.Population == q && ref.Neuron >= 0 && ref.Neuron < n {
				tiles[ref.Neuron], slots[ref.Neuron] = t, s
			}
		}
	}
	return tiles, slots
}

// InputWidth is the length of one context's input vector.
func (p *Program) InputWidth() int { return p.width(RoleInput) }

// OutputWidth is the length of one context's output and target vectors.
func (p *Program) OutputWidth() int { return p.width(RoleOutput) }

func (p *Program) width(r Role) int {
	w := 0
	for _, q := range p.Populations {
		if q.Role == r {
			w += q.Size
		}
	}
	return w
}

func itoa(i int) string { return strconv.Itoa(i) }

// MakeReg returns the register closest to x with a mantissa in format v: the exponent
// that gives the mantissa the most bits, the mantissa rounded half-even. x must be finite
// (0 gives the zero register); a negative x needs a signed format.
func MakeReg(x float64, v fixedpoint.Var) (Reg, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Reg{}, fmt.Errorf("chip: register %s: %g is not a finite value", v.Name, x)
	}
	if x == 0 {
		return Reg{}, nil
	}
	if x < 0 && !v.Format.Signed {
		return Reg{}, fmt.Errorf("chip: register %s: %g is negative, %s is unsigned", v.Name, x, v.Format)
	}
	hv := v
	hv.Rounding, hv.Overflow = fixedpoint.HalfEven, fixedpoint.Saturate
	_, e := math.Frexp(math.Abs(x)) // |x| = m·2^e, m ∈ [0.5, 1)
	// Put |x| just below the format's top: the mantissa's value is |x|·2^−exp.
	top := v.Format.Int // the value 2^Int is just above the largest mantissa
	exp := e - top
	for range 2 {
		raw := hv.FromFloat(math.Ldexp(x, -exp), 0, nil)
		if raw > v.Format.Min() && raw < v.Format.Max() || exp > MaxExp {
			break
		}
		exp++
	}
	if exp < -MaxExp || exp > MaxExp {
		return Reg{}, fmt.Errorf("chip: register %s: %g is out of the exponent range ±%d", v.Name, x, MaxExp)
	}
	return Reg{Raw: hv.FromFloat(math.Ldexp(x, -exp), 0, nil), Exp: exp}, nil
}

// Float returns the register's value with its mantissa in format v.
func (r Reg) Float(v fixedpoint.Var) float64 {
	return math.Ldexp(v.Format.ToFloat(r.Raw), r.Exp)
}
