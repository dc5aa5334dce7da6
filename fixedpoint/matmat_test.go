package fixedpoint

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randMat is a rows×cols Mat with stride cols+pad of operand kind, shifted by one
// element when pad is odd (unaligned loads).
func randMat(r *rand.Rand, kind, rows, cols, pad int) Mat {
	stride := cols + pad
	n := max(0, rows*stride)
	d := operand(r, kind, n)
	if pad%2 == 1 {
		d = unaligned(d)
	}
	return Mat{Data: d, Rows: rows, Cols: cols, Stride: stride}
}

// sentinel fills n int32 with a value the kernels never store where they must not.
func sentinel(n int) []int32 {
	d := make([]int32, n)
	for i := range d {
		d[i] = -0x5a5a5a5a
	}
	return d
}

// matShapes lists (rows, cols) pairs around the kernels' block sizes: 4 rows, 32
// columns (MatMat), 2 rows, 64 columns (MatTMat), and the chip's shapes.
func matShapes() [][2]int {
	var s [][2]int
	for _, rows := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 53} {
		for _, cols := range []int{0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 53, 63, 64, 65, 127, 128, 129} {
			s = append(s, [2]int{rows, cols})
		}
	}
	return append(s, [2]int{256, 256}, [2]int{1, 300}, [2]int{300, 1}, [2]int{66, 200})
}

func TestMatMat(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 22))
		for _, sh := range matShapes() {
			rows, cols := sh[0], sh[1]
			for _, C := range []int{0, 1, 2, 3, 4, 5, 6, 7, 9, 11, 16, 100} {
				if rows*cols*C > 2_000_000 {
					continue
				}
				kind := r.IntN(5)
				pad := r.IntN(3)
				w := randMat(r, kind, rows, cols, pad)
				x := randMat(r, (kind+r.IntN(4))%5, C, cols, r.IntN(3))
				ds := rows + r.IntN(3)
				n := max(0, C*ds)
				got, want := sentinel(n), sentinel(n)
				MatMat(got, ds, w, x)
				MatMatPlain(want, ds, w, x)
				if !slices.Equal(got, want) {
					t.Fatalf("%d×%d, %d contexts, kind %d, strides %d/%d/%d: MatMat differs from the plain loop\n got %v\nwant %v",
						rows, cols, C, kind, w.Stride, x.Stride, ds, head(got), head(want))
				}
			}
		}
	})
}

func TestMatTMat(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(23, 24))
		for _, sh := range matShapes() {
			rows, cols := sh[0], sh[1]
			for _, C := range []int{0, 1, 2, 4, 5, 6, 9, 10, 11, 16, 100} {
				if rows*cols*C > 2_000_000 {
					continue
				}
				kind := r.IntN(5)
				w := randMat(r, kind, rows, cols, r.IntN(3))
				e := randMat(r, (kind+r.IntN(4))%5, C, rows, r.IntN(3))
				ds := cols + r.IntN(3)
				n := max(0, C*ds)
				got, want := sentinel(n), sentinel(n)
				MatTMat(got, ds, w, e)
				MatTMatPlain(want, ds, w, e)
				if !slices.Equal(got, want) {
					t.Fatalf("%d×%d, %d contexts, kind %d, strides %d/%d/%d: MatTMat differs from the plain loop\n got %v\nwant %v",
						rows, cols, C, kind, w.Stride, e.Stride, ds, head(got), head(want))
				}
			}
		}
	})
}

// The kernels read nothing past a matrix's last element: the matrices end exactly at
// the end of their backing arrays (a read past them would fault under -race's checks
// or read the guard values below and change the sums).
func TestMatMatReadsOnlyItsOperands(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(25, 26))
		for _, sh := range [][2]int{{5, 33}, {53, 53}, {3, 65}, {7, 1}} {
			rows, cols := sh[0], sh[1]
			for _, C := range []int{1, 3, 5, 7} {
				guard := func(n int) []int16 {
					s := operand(r, 0, n+64)
					for i := n; i < len(s); i++ {
						s[i] = 0x7777
					}
					return s[:n:n]
				}
				w := Mat{Data: guard(rows*cols + 2), Rows: rows, Cols: cols, Stride: cols}
				w.Data = w.Data[2:]
				x := Mat{Data: guard(C * cols), Rows: C, Cols: cols, Stride: cols}
				e := Mat{Data: guard(C * rows), Rows: C, Cols: rows, Stride: rows}
				got, want := sentinel(C*rows), sentinel(C*rows)
				MatMat(got, rows, w, x)
				MatMatPlain(want, rows, w, x)
				if !slices.Equal(got, want) {
					t.Fatalf("%d×%d, %d contexts: MatMat read past its operands", rows, cols, C)
				}
				got, want = sentinel(C*cols), sentinel(C*cols)
				MatTMat(got, cols, w, e)
				MatTMatPlain(want, cols, w, e)
				if !slices.Equal(got, want) {
					t.Fatalf("%d×%d, %d contexts: MatTMat read past its operands", rows, cols, C)
				}
			}
		}
	})
}

func TestMatMatShapePanics(t *testing.T) {
	w := Mat{Data: make([]int16, 6), Rows: 2, Cols: 3, Stride: 3}
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"columns differ", func() { MatMat(make([]int32, 4), 2, w, Mat{Data: make([]int16, 8), Rows: 2, Cols: 4, Stride: 4}) },
			"fixedpoint: MatMat of a 2×3 matrix with vectors of 4"},
		{"short weights", func() { MatMat(make([]int32, 4), 2, Mat{Data: make([]int16, 5), Rows: 2, Cols: 3, Stride: 3}, w) },
			"fixedpoint: MatMat weights: 2×3 with stride 3 needs 6 values, have 5"},
		{"short destination", func() { MatMat(make([]int32, 3), 2, w, w) },
			"fixedpoint: 2×2 destination with stride 2 needs 4 values, have 3"},
		{"narrow stride", func() { MatTMat(make([]int32, 6), 2, w, Mat{Data: make([]int16, 4), Rows: 2, Cols: 2, Stride: 2}) },
			"fixedpoint: destination stride 2 shorter than 3 columns"},
		{"rows differ", func() { MatTMat(make([]int32, 6), 3, w, w) },
			"fixedpoint: MatTMat of a 2×3 matrix with vectors of 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if got := fmt.Sprint(recover()); got != c.want {
					t.Errorf("panic %q; want %q", got, c.want)
				}
			}()
			c.f()
		})
	}
}

func head(s []int32) []int32 { return s[:min(len(s), 24)] }

func BenchmarkMatMat(b *testing.B) {
	for _, sh := range []struct{ rows, cols, contexts int }{{53, 53, 1}, {53, 53, 100}, {256, 256, 16}, {256, 256, 100}} {
		r := rand.New(rand.NewPCG(1, 2))
		w := randMat(r, 0, sh.rows, sh.cols, 0)
		x := randMat(r, 0, sh.contexts, sh.cols, 0)
		e := randMat(r, 0, sh.contexts, sh.rows, 0)
		dst := make([]int32, sh.contexts*max(sh.rows, sh.cols))
		macs := float64(sh.rows * sh.cols * sh.contexts)
		name := fmt.Sprintf("rows=%d/cols=%d/contexts=%d", sh.rows, sh.cols, sh.contexts)
		for _, k := range []struct {
			name string
			f    func()
		}{
			{"MatMat", func() { MatMat(dst, sh.rows, w, x) }},
			{"MatTMat", func() { MatTMat(dst, sh.cols, w, e) }},
			{"MatMatPlain", func() { MatMatPlain(dst, sh.rows, w, x) }},
		} {
			b.Run(k.name+"/"+name, func(b *testing.B) {
				for b.Loop() {
					k.f()
				}
				b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// bounded fills n values uniform in [−m, m].
func bounded(r *rand.Rand, n int, m int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(r.IntN(2*m+1) - m)
	}
	return s
}

// OuterSum's VNNI path sums chunks of up to 256 contexts in int32 and widens them,
// splitting the first operand into bytes when a chunk's sum could leave int32:
// operands of every magnitude, context counts across chunk boundaries and odd ones,
// and the result stays exact where the sums leave int32's range.
func TestOuterSumChunks(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(27, 28))
		for _, rows := range []int{1, 2, 16, 19, 20, 21, 36, 53} {
			for _, cols := range []int{1, 53, 64, 65, 130} {
				for _, ctx := range []int{1, 2, 3, 99, 100, 255, 256, 257, 600} {
					if rows*cols*ctx > 3_000_000 {
						continue
					}
					for _, m := range [][2]int{{32767, 32767}, {32768, 1}, {2000, 4096}, {255, 255}, {5, 3}, {0, 100}} {
						a := bounded(r, rows*ctx, m[0])
						b := bounded(r, cols*ctx, m[1])
						if m[0] == 32768 {
							a[0] = math.MinInt16 // |a| = 32768 exactly somewhere
						}
						if !outerSumAgrees(rows, cols+3, a, b, ctx) {
							t.Fatalf("%d×%d, %d contexts, |a| ≤ %d, |b| ≤ %d: OuterSum and plain differ", rows, cols, ctx, m[0], m[1])
						}
					}
				}
			}
		}
	})
}

// outerSumAgrees reports whether OuterSum and OuterSumPlain set the same rows×stride
// matrix, both started at −7 so that a value left unset or a write past a row shows.
func outerSumAgrees(rows, stride int, a, b []int16, ctx int) bool {
	got, want := make([]int64, rows*stride), make([]int64, rows*stride)
	for i := range got {
		got[i], want[i] = -7, -7
	}
	OuterSum(got, stride, a, b, ctx)
	OuterSumPlain(want, stride, a, b, ctx)
	return slices.Equal(got, want)
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestPeakMACLoop(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		want := int64(0)
		if useKernel == kernelVNNI {
			want = 1000 * 768
		}
		if got := PeakMACLoop(1000); got != want {
			t.Errorf("PeakMACLoop(1000) = %d; want %d", got, want)
		}
		if got := PeakMACLoop(0); got != 0 {
			t.Errorf("PeakMACLoop(0) = %d; want 0", got)
		}
	})
}

// OuterSum's full 64-column blocks set without a shift take a store path of their own
// (no read-back, no masks): the gradient shapes of a 256×256 tile at 16 and 17
// contexts, with operands at the int16 extremes (split into bytes: matTMatVNNI's
// store path) and bounded (not split: outerPairedVNNI, six rows at a time and the
// rest one by one).
func TestOuterSumFullBlocks(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(41, 42))
		for _, shape := range [][3]int{{256, 256, 16}, {256, 256, 17}, {25, 128, 16}, {21, 192, 4}} {
			rows, cols, ctx := shape[0], shape[1], shape[2]
			for kind := range 5 {
				var a, b []int16
				if kind < 4 {
					a, b = operand(r, kind, rows*ctx), operand(r, (kind+1)%4, cols*ctx)
				} else { // sums that stay in int32: no split into bytes
					a, b = bounded(r, rows*ctx, 4000), bounded(r, cols*ctx, 4096)
				}
				if !outerSumAgrees(rows, cols+kind, a, b, ctx) {
					t.Fatalf("%d×%d, %d contexts, kind %d: OuterSum and plain differ", rows, cols, ctx, kind)
				}
			}
		}
	})
}
