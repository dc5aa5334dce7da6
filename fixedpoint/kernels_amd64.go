//go:build amd64 && !purego

package fixedpoint

import "golang.org/x/sys/cpu"

var (
	hasAVX2 = cpu.X86.HasAVX2
	hasVNNI = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
	// useKernel selects the implementation; tests switch it to cover every path the
	// CPU supports.
	useKernel = pickKernel()
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

// supportedKernels lists the implementations this CPU can run, for tests.
func supportedKernels() []int {
	k := []int{kernelGo}
	if hasAVX2 {
		k = append(k, kernelAVX2)
	}
	if hasVNNI {
		k = append(k, kernelVNNI)
	}
	return k
}

var kernelNames = [...]string{"go", "avx2", "avx512vnni"}

// Kernels names the implementation the exported kernels run on this CPU:
// "avx512vnni", "avx2" or "go" (unrolled Go; also the only one with -tags purego).
func Kernels() string { return kernelNames[useKernel] }

//go:noescape
func dotVNNI(a, b *int16, n int) int32

//go:noescape
func dotAVX2(a, b *int16, n int) int32

//go:noescape
func matVecVNNI(dst *int32, w *int16, stride int, x *int16, rows, n int)

//go:noescape
func matVecAVX2(dst *int32, w *int16, stride int, x *int16, rows, n int)

//go:noescape
func matTVecAVX512(dst *int32, w *int16, stride int, e *int16, rows, cols int)

//go:noescape
func matTVecAVX2(dst *int32, w *int16, stride int, e *int16, rows, cols int)

func dot(a, b []int16) int32 {
	n := len(a)
	switch {
	case n == 0:
		return 0
	case useKernel == kernelVNNI:
		return dotVNNI(&a[0], &b[0], n)
	case useKernel == kernelAVX2 && n >= 16:
		m := n &^ 15
		return dotAVX2(&a[0], &b[0], m) + dotUnrolled(a[m:], b[m:n])
	}
	return dotUnrolled(a, b)
}

func matVec(dst []int32, w []int16, stride int, x []int16) {
	rows, n := len(dst), len(x)
	switch {
	case rows == 0:
		return
	case n == 0:
		clear(dst)
		return
	case useKernel == kernelVNNI:
		matVecVNNI(&dst[0], &w[0], stride, &x[0], rows, n)
		return
	case useKernel == kernelAVX2 && n >= 16:
		m := n &^ 15
		matVecAVX2(&dst[0], &w[0], stride, &x[0], rows, m)
		if m < n {
			for i := range dst {
				dst[i] += dotUnrolled(w[i*stride+m:i*stride+n], x[m:])
			}
		}
		return
	}
	for i := range dst {
		dst[i] = dotUnrolled(w[i*stride:i*stride+n], x)
	}
}

func matTVec(dst []int32, w []int16, stride int, e []int16) {
	rows, cols := len(e), len(dst)
	var m int // columns done in assembly
	switch {
	case rows == 0 || cols == 0:
		clear(dst)
		return
	case useKernel == kernelVNNI:
		m = cols &^ 15
		if m > 0 {
			matTVecAVX512(&dst[0], &w[0], stride, &e[0], rows, m)
		}
	case useKernel == kernelAVX2:
		m = cols &^ 7
		if m > 0 {
			matTVecAVX2(&dst[0], &w[0], stride, &e[0], rows, m)
		}
	default:
		matTVecGo(dst, w, stride, e)
		return
	}
	if m < cols {
		// The column tail, fewer than 16: a strided walk down each column.
		tail := dst[m:]
		clear(tail)
		for i, ei := range e {
			row := w[i*stride+m : i*stride+cols]
			for j, v := range row {
				tail[j] += int32(v) * int32(ei)
			}
		}
	}
}

func outerUpdate(w []int16, stride int, a, b []int16, rows, cols, contexts int, p OuterParams, c *Counters) {
	outerUpdateGo(w, stride, a, b, rows, cols, contexts, p, c)
}
