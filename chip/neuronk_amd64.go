//go:build amd64 && !purego

package chip

import "golang.org/x/sys/cpu"

// hasNeuronKernel gates the AVX-512 neuron kernels (vpmullq: AVX-512 DQ).
var hasNeuronKernel = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasPOPCNT && cpu.X86.HasBMI2

// neuronErrorKernel runs the prospective error neuron on a's row.
//
//go:noescape
func neuronErrorKernel(a *neuronArgs)

// neuronMembraneKernel runs the membrane on a's row and leaves the φ units' inputs
// in a.x.
//
//go:noescape
func neuronMembraneKernel(a *neuronArgs)

// busKernel puts a's row of ĕ on the block error bus (phaseErrBus).
//
//go:noescape
func busKernel(a *busArgs)

// epsKernel gathers a's row of transposed sums into ε_in (gatherBackwardFast).
//
//go:noescape
func epsKernel(a *epsArgs)

// commitKernel puts a's row of new rates on the rate bus (phaseCommit).
//
//go:noescape
func commitKernel(a *commitArgs)
