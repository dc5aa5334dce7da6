package fixedpoint

// The stochastic-rounding generator is counter-based: a draw is a pure function of its
// Key, never of how many draws came before, so any order of evaluation (threads, tiles,
// placement) gives the same bits, and RTL can compute a draw from the key alone.
//
// It uses only 64-bit add, xor, shift and multiply (low 64 bits), all mod 2^64:
//
//	γ  = 0x9E3779B97F4A7C15
//	mix(z):  z ^= z >> 30;  z *= 0xBF58476D1CE4E5B9
//	         z ^= z >> 27;  z *= 0x94D049BB133111EB
//	         z ^= z >> 31;  return z
//	absorb(h, w) = mix((h ^ w) + γ)
//	base  = absorb(absorb(absorb(absorb(0, Seed), Var), Context), Step)
//	draw  = mix(base + Index·γ)
//
// mix is the SplitMix64 finaliser; a stream of draws over Index is SplitMix64 started
// at base. A draw costs one mix (two multiplies) once the base of a (Seed, Var,
// Context, Step) is known: NewStream computes the base, Stream.Draw the draws.

const (
	golden = 0x9E3779B97F4A7C15
	mixM1  = 0xBF58476D1CE4E5B9
	mixM2  = 0x94D049BB133111EB
)

func mix(z uint64) uint64 {
	z = (z ^ z>>30) * mixM1
	z = (z ^ z>>27) * mixM2
	return z ^ z>>31
}

func absorb(h, w uint64) uint64 { return mix((h ^ w) + golden) }

// Key names one rounding event: which run (Seed), which variable (Var, normally
// VarID of its name, see Var.ID), which context (sample of a batch), which step, and
// which element (Index, e.g. neuron i or synapse i·cols+j of a matrix as declared, not
// as placed).
type Key struct {
	Seed, Var, Context, Step, Index uint64
}

// Draw returns the key's 64 random bits.
func (k Key) Draw() uint64 {
	return NewStream(k.Seed, k.Var, k.Context, k.Step).Draw(k.Index)
}

// Stream is the base of the draws of one (Seed, Var, Context, Step); Draw(i) is the
// draw of Key{Seed, Var, Context, Step, i}.
type Stream uint64

// NewStream computes the base of a (seed, variable, context, step): four mixes, done
// once per step and variable rather than per element.
func NewStream(seed, varID, context, step uint64) Stream {
	return Stream(absorb(absorb(absorb(absorb(0, seed), varID), context), step))
}

// Draw returns the draw of element index: one mix.
func (s Stream) Draw(index uint64) uint64 { return mix(uint64(s) + index*golden) }

// VarID is the Key.Var of a variable name: 64-bit FNV-1a of its bytes (offset basis
// 0xCBF29CE484222325, prime 0x100000001B3). Renaming a variable changes its draws.
func VarID(name string) uint64 {
	h := uint64(0xCBF29CE484222325)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 0x100000001B3
	}
	return h
}
