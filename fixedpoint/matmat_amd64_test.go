//go:build amd64 && !purego

package fixedpoint

import (
	"math/rand/v2"
	"testing"
)

func TestMaxAbs(t *testing.T) {
	if useKernel != kernelVNNI {
		t.Skip("no VNNI")
	}
	r := rand.New(rand.NewPCG(29, 30))
	for _, n := range lengths() {
		if n == 0 {
			continue
		}
		for kind := range 5 {
			s := operand(r, kind, n)
			if kind == 4 && n > 2 {
				s[n-1] = -12345 // the largest in the masked tail
			}
			var want int64
			for _, v := range s {
				want = max(want, abs64(int64(v)))
			}
			if got := maxAbs(s); got != want {
				t.Fatalf("n=%d kind %d: maxAbs = %d; want %d", n, kind, got, want)
			}
		}
	}
}
