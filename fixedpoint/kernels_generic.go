//go:build !amd64 || purego

package fixedpoint

func dot(a, b []int16) int32 { return dotUnrolled(a, b) }

// dotVNNI exists only on amd64; useKernel never selects it here.
func dotVNNI(a, b *int16, n int) int32 { panic("fixedpoint: no VNNI kernel on this architecture") }

func matVec(dst []int32, w []int16, stride int, x []int16) {
	for i := range dst {
		dst[i] = dotUnrolled(w[i*stride:i*stride+len(x)], x)
	}
}

func outerSum(dst []int64, stride int, a, b []int16, rows, cols, contexts int) {
	outerSumGo(dst, stride, a, b, rows, cols, contexts)
}

func matTVec(dst []int32, w []int16, stride int, e []int16) { matTVecGo(dst, w, stride, e) }

func outerUpdate(w []int16, stride int, a, b []int16, rows, cols, contexts int, p OuterParams, c *Counters) {
	outerUpdateGo(w, stride, a, b, rows, cols, contexts, p, c)
}

// useKernel is always the unrolled Go implementation here.
var useKernel = 0

var kernelNames = [...]string{"go"}

func supportedKernels() []int { return []int{0} }

// Kernels names the implementation the exported kernels run: "go" (unrolled Go) on
// this build; "avx512vnni" or "avx2" on amd64 CPUs with those features.
func Kernels() string { return "go" }
