//go:build amd64 && !purego

package chip

import "golang.org/x/sys/cpu"

// hasAdamKernel gates the AVX-512 Adam kernel (vpmullq, vcvtqq2pd: AVX-512 DQ).
var hasAdamKernel = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasPOPCNT && cpu.X86.HasBMI2

// adamKernel runs Adam on a's row, eight synapses at a time, leaving the lanes it
// declines unchanged (clear in a.ok; kernelRow turns them into its fail bits) and
// marking in a.failB those whose moments it stored but not θ.
//
//go:noescape
func adamKernel(a *adamArgs)
