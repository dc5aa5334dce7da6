// Package network owns the description of a GLE network: its populations, projections
// and parameters, the versioned JSON file that stores it, its validation, and the one
// seeded initialisation every backend uses.
//
// It imports nothing else from glemu: it is plain data at the bottom of the dependency
// graph.
//
// # Invariants
//
//   - A Network returned by Decode or Load is valid (Validate returned nil) and has its
//     defaults filled in (Errors, TauMMin, optimizer settings); per-neuron values
//     (TauM, TauR, BiasInit) are always expanded to one float64 per neuron.
//   - Populations and projections are referred to by their index in file order.
//     Input populations carry the network input: the input vector is the concatenation
//     of the input populations in file order; the target vector is the concatenation of
//     the output populations in file order.
//   - Every time constant is in the same unit as Dt (the unit is up to the user; the
//     paper's tasks use arbitrary time units).
//   - Weights are stored flat, row-major target×source: W[i*sourceSize+j] is the weight
//     from source neuron j to target neuron i.
//   - A masked projection's missing synapses have weight zero in every Params
//     (InitParams sets them, CheckParams insists) and never learn on any backend;
//     MaskOf expands a mask in the same row-major order.
//   - Chip hints (Population.Chip, Projection.Chip) are for the compiler only; the
//     dynamics never read them.
//
// # Initialisation
//
// InitParams draws every weight and bias that the file does not give explicitly from
// U(−1/√fanIn, +1/√fanIn), where fanIn is the total size of all the sources projecting
// into the target population (for a chain of layers this is PyTorch's nn.Linear).
// The generator is SplitMix64 with one stream per projection and one per population
// bias, so adding a projection never changes another's draws:
//
//	projection p: state = mix(seed) ^ mix(1<<32 | p)   seed = the projection's own seed, else the network seed
//	bias of population q: state = mix(networkSeed) ^ mix(2<<32 | q)
//	next():  state += 0x9E3779B97F4A7C15; return mix(state)
//	mix(z):  z = (z ^ z>>30) * 0xBF58476D1CE4E5B9; z = (z ^ z>>27) * 0x94D049BB133111EB; return z ^ z>>31
//	uniform: u = (next() >> 11) · 2⁻⁵³ ∈ [0, 1);  value = a·(2u − 1), a = 1/√fanIn
//
// p and q are indices in file order (q counts every population, inputs included).
// Weights are drawn in row-major order (target neuron i outer, source neuron j inner),
// biases in neuron order. Explicit "weights" and "bias_init" win over the draws.
package network

// FormatVersion is the newest version of the network file format this package reads
// and writes. Files of every earlier version still load; Encode writes the lowest
// version that holds a network. Version 2 added masks of sparse projections and chip
// hints (pinning to tiles, scale registers).
const FormatVersion = 2
