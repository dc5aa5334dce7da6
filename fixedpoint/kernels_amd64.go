//go:build amd64 && !purego

package fixedpoint

import "golang.org/x/sys/cpu"

var (
	hasAVX2   = cpu.X86.HasAVX2
	hasVNNI   = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
	useKernel = pickKernel()
)

const (
	kernelGo = iota
	kernelAVX2
	kernelVNNI
)

func pickKernel() int {
	switch {
	case hasVNNI:
		return kernelVNNI
	case hasAVX2:
		return kernelAVX2
	}
	return kernelGo
}

// Kernels names the implementation the exported kernels run on this CPU:
// "avx512vnni", "avx2" or "go".
func Kernels() string {
	return [...]string{"go", "avx2", "avx512vnni"}[useKernel]
}

func dot(a, b []int16) int32 { return dotUnrolled(a, b) }

func matVec(dst []int32, w []int16, stride int, x []int16) {
	for i := range dst {
		dst[i] = dotUnrolled(w[i*stride:i*stride+len(x)], x)
	}
}

func matTVec(dst []int32, w []int16, stride int, e []int16) { matTVecGo(dst, w, stride, e) }

func outerUpdate(w []int16, stride int, a, b []int16, rows, cols, contexts int, p OuterParams, c *Counters) {
	outerUpdateGo(w, stride, a, b, rows, cols, contexts, p, c)
}
