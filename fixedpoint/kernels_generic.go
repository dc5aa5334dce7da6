//go:build !amd64 || purego

package fixedpoint

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

// Kernels names the implementation the exported kernels run on this CPU.
func Kernels() string { return "go" }
