//go:build !amd64 || purego

package gle

// useAVX512 is false: there is no assembly kernel on this build.
var useAVX512 = false

// gemm has no kernel here: the callers use their loops or gonum's BLAS.
func gemm(m, n, k int, a []float64, ars, acs int, b []float64, bs int, c []float64, cs int, acc bool) bool {
	return false
}
