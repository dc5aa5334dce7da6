//go:build !amd64 || purego

package fixedpoint

func matMat(dst []int32, dstStride int, w, x Mat)  { matMatGo(dst, dstStride, w, x) }
func matTMat(dst []int32, dstStride int, w, e Mat) { matTMatGo(dst, dstStride, w, e) }

func peakLoop(n int) int64 { return 0 }
