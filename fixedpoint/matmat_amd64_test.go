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

// TestTranspose: matMatT's transpose (8×8 blocks in assembly, 4×4 blocks and single
// values at the edges) against the definition, on every shape up to 40×40 and a few
// wide ones, with a row stride wider than the row.
func TestTranspose(t *testing.T) {
	if useKernel != kernelVNNI {
		t.Skip("no VNNI")
	}
	r := rand.New(rand.NewPCG(41, 42))
	shapes := [][2]int{{53, 53}, {256, 256}, {64, 17}, {17, 64}, {1, 200}, {200, 1}}
	for rows := 1; rows <= 40; rows++ {
		for cols := 1; cols <= 40; cols++ {
			shapes = append(shapes, [2]int{rows, cols})
		}
	}
	for _, s := range shapes {
		rows, cols := s[0], s[1]
		stride := cols + r.IntN(3)
		w := Mat{Data: bounded(r, rows*stride, 1<<15), Rows: rows, Cols: cols, Stride: stride}
		got := make([]int16, rows*cols)
		transpose(got, w)
		for i := range rows {
			for j := range cols {
				if got[j*rows+i] != w.Data[i*stride+j] {
					t.Fatalf("%d×%d (stride %d): t[%d·rows+%d] = %d; want w(%d, %d) = %d", rows, cols, stride, j, i, got[j*rows+i], i, j, w.Data[i*stride+j])
				}
			}
		}
	}
}
