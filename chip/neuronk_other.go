//go:build !amd64 || purego

package chip

const hasNeuronKernel = false

func neuronErrorKernel(a *neuronArgs)    { panic("chip: no neuron kernel on this platform") }
func neuronMembraneKernel(a *neuronArgs) { panic("chip: no neuron kernel on this platform") }
func busKernel(a *busArgs)               { panic("chip: no neuron kernel on this platform") }
func epsKernel(a *epsArgs)               { panic("chip: no neuron kernel on this platform") }
func commitKernel(a *commitArgs)         { panic("chip: no neuron kernel on this platform") }
