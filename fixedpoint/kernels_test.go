package fixedpoint

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// forEachKernel runs f once per implementation this CPU supports, with that one
// selected.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	saved := useKernel
	defer func() { useKernel = saved }()
	for _, k := range supportedKernels() {
		useKernel = k
		t.Run(kernelNames[k], f)
	}
}

// operand fills n int16 values of one kind: random, all max, all min, alternating
// extremes, or zero.
func operand(r *rand.Rand, kind, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		switch kind {
		case 0:
			s[i] = int16(r.Uint32())
		case 1:
			s[i] = math.MaxInt16
		case 2:
			s[i] = math.MinInt16
		case 3:
			if i%2 == 0 {
				s[i] = math.MinInt16
			} else {
				s[i] = math.MaxInt16
			}
		}
	}
	return s
}

// lengths are the sizes every kernel is checked at: 0 to 67, then around the
// assembly's block sizes.
func lengths() []int {
	var ns []int
	for n := 0; n <= 67; n++ {
		ns = append(ns, n)
	}
	return append(ns, 127, 128, 129, 255, 256, 257, 1000, 4099)
}

// unaligned returns s shifted by one element inside a larger slice, so loads are
// not 4-byte aligned.
func unaligned(s []int16) []int16 {
	u := make([]int16, len(s)+1)
	copy(u[1:], s)
	return u[1:]
}

func TestDot(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, n := range lengths() {
			for ka := range 5 {
				for kb := range 5 {
					a, b := operand(r, ka, n), operand(r, kb, n)
					if kb%2 == 1 {
						a, b = unaligned(a), unaligned(b)
					}
					if got, want := Dot(a, b), DotPlain(a, b); got != want {
						t.Fatalf("n=%d kinds %d,%d: Dot = %d; plain %d", n, ka, kb, got, want)
					}
				}
			}
		}
		// All-min squares: each product is 2^30, the sum wraps modulo 2^32.
		a := operand(r, 2, 6)
		if got := Dot(a, a); got != int32(math.MinInt32) {
			t.Errorf("6 × (−32768)² = %d; want −2^31 after wrap", got)
		}
	})
}

func TestMatVec(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, rows := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 33} {
			for _, cols := range lengths() {
				if cols > 1000 && rows > 9 {
					continue
				}
				for _, pad := range []int{0, 1, 7} {
					stride := cols + pad
					for kind := range 4 {
						w := operand(r, kind, max(0, rows*stride-pad))
						x := operand(r, (kind+1)%4, cols)
						if pad == 1 {
							w, x = unaligned(w), unaligned(x)
						}
						got, want := make([]int32, rows), make([]int32, rows)
						for i := range got {
							got[i] = -1 // must be overwritten
						}
						MatVec(got, w, stride, x)
						MatVecPlain(want, w, stride, x)
						if !slices.Equal(got, want) {
							t.Fatalf("%d×%d stride %d kind %d: MatVec = %v; plain %v", rows, cols, stride, kind, got, want)
						}
						got2, want2 := make([]int32, cols), make([]int32, cols)
						for i := range got2 {
							got2[i] = -1
						}
						e := operand(r, (kind+2)%4, rows)
						MatTVec(got2, w, stride, e)
						MatTVecPlain(want2, w, stride, e)
						if !slices.Equal(got2, want2) {
							t.Fatalf("%d×%d stride %d kind %d: MatTVec = %v; plain %v", rows, cols, stride, kind, got2, want2)
						}
					}
				}
			}
		}
	})
}

func TestMatShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"short stride", func() { MatVec(make([]int32, 2), make([]int16, 10), 3, make([]int16, 4)) }, "fixedpoint: row stride 3 shorter than 4 columns"},
		{"short w", func() { MatTVec(make([]int32, 4), make([]int16, 10), 5, make([]int16, 3)) }, "fixedpoint: 3×4 matrix with stride 5 needs 14 weights, have 10"},
		{"dot", func() { Dot(make([]int16, 2), make([]int16, 3)) }, "fixedpoint: Dot of lengths 2 and 3"},
		{"contexts", func() { OuterUpdate(nil, 0, nil, nil, 0, OuterParams{}, nil) }, "fixedpoint: OuterUpdate with 0 contexts; want 1 to 32768"},
		{"mult", func() { OuterUpdate(nil, 0, nil, nil, 1, OuterParams{Mult: 1 << 17}, nil) }, "fixedpoint: OuterUpdate: multiplier 131072 outside ±2^16"},
	} {
		func() {
			defer func() {
				if got := fmt.Sprint(recover()); got != tc.want {
					t.Errorf("%s: panic %q; want %q", tc.name, got, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

func TestOuterUpdate(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, rows := range []int{0, 1, 3, 8, 17} {
			for _, cols := range []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 33, 67, 256, 300} {
				for _, ctx := range []int{1, 2, 5} {
					for kind := range 4 {
						stride := cols + kind
						w := operand(r, kind, rows*stride)
						a, b := operand(r, (kind+1)%4, rows*ctx), operand(r, (kind+2)%4, cols*ctx)
						p := OuterParams{
							Mult: int32(r.IntN(1<<17+1) - 1<<16), Shift: uint(r.IntN(63)),
							Min: int16(-r.IntN(1 << 15)), Max: int16(r.IntN(1 << 15)),
							Stream: NewStream(r.Uint64(), 1, 2, 3), Row0: r.IntN(5), Col0: r.IntN(5), Cols: cols + 10,
						}
						if kind == 3 {
							p.Shift, p.Mult = 0, 1<<16
						}
						got, want := slices.Clone(w), slices.Clone(w)
						var cg, cw Counters
						OuterUpdate(got, stride, a, b, ctx, p, &cg)
						OuterUpdatePlain(want, stride, a, b, ctx, p, &cw)
						if !slices.Equal(got, want) || cg != cw {
							t.Fatalf("%d×%d ctx %d kind %d %+v: fast and plain differ (%+v vs %+v)", rows, cols, ctx, kind, p, cg, cw)
						}
					}
				}
			}
		}
	})
}

func TestOuterSum(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 20))
		for _, rows := range []int{0, 1, 3, 8} {
			for _, cols := range []int{0, 1, 7, 8, 9, 31, 32, 33, 67, 300} {
				for _, ctx := range []int{1, 2, 5, 100} {
					for kind := range 4 {
						stride := cols + kind
						a, b := operand(r, kind, rows*ctx), operand(r, (kind+1)%4, cols*ctx)
						got, want := make([]int64, rows*stride), make([]int64, rows*stride)
						for i := range got {
							got[i], want[i] = -7, -7 // padding must stay untouched
						}
						OuterSum(got, stride, a, b, ctx)
						OuterSumPlain(want, stride, a, b, ctx)
						if !slices.Equal(got, want) {
							t.Fatalf("%d×%d ctx %d kind %d: OuterSum and plain differ", rows, cols, ctx, kind)
						}
					}
				}
			}
		}
		// 2^15 contexts of (−32768)² sum to 2^45 exactly.
		a := operand(r, 2, 1<<15)
		dst := make([]int64, 1)
		OuterSum(dst, 1, a, a, 1<<15)
		if dst[0] != 1<<45 {
			t.Errorf("2^15 × (−32768)² = %d; want 2^45", dst[0])
		}
	})
}

// TestOuterUpdateSemantics checks the plain loop against Var arithmetic: the update is
// the weight Var's stochastic rescale of Mult·Σ a·b, added with saturation.
func TestOuterUpdateSemantics(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	wv := Var{Name: "w", Format: Q(2, 13), Rounding: Stochastic, Overflow: Saturate}
	const rows, cols, ctx = 5, 6, 3
	a, b := operand(r, 0, rows*ctx), operand(r, 0, cols*ctx)
	w := operand(r, 0, rows*cols)
	p := OuterParams{Mult: -20000, Shift: 27, Min: int16(wv.Format.Min()), Max: int16(wv.Format.Max()), Stream: wv.Stream(4, 0, 9)}
	got := slices.Clone(w)
	var c Counters
	OuterUpdatePlain(got, cols, a, b, ctx, p, &c)
	var wc Counters
	acc := Var{Name: "t", Format: Q(62, 0), Rounding: Stochastic}
	for i := range rows {
		for j := range cols {
			var s int64
			for k := range ctx {
				s += int64(a[k*rows+i]) * int64(b[k*cols+j])
			}
			q := acc.Rescale(s*int64(p.Mult), int(p.Shift), p.Stream.Draw(uint64(i*cols+j)), nil)
			want := wv.Add(int64(w[i*cols+j]), Q(2, 13), q, Q(2, 13), 0, &wc)
			if int64(got[i*cols+j]) != want {
				t.Fatalf("w[%d][%d] = %d; want %d", i, j, got[i*cols+j], want)
			}
		}
	}
	if c != wc {
		t.Errorf("counters %+v; want %+v", c, wc)
	}
}

func benchSizes() []int { return []int{16, 64, 256, 1024, 65536} }

// BenchmarkDot reports multiply-accumulates per second of the plain loop and of the
// fast kernel, side by side.
func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range benchSizes() {
		x, y := operand(r, 0, n), operand(r, 0, n)
		for _, impl := range []struct {
			name string
			f    func(a, b []int16) int32
		}{{"plain", DotPlain}, {"fast", Dot}} {
			b.Run(fmt.Sprintf("n=%d/%s", n, impl.name), func(b *testing.B) {
				var s int32
				for b.Loop() {
					s += impl.f(x, y)
				}
				sink = uint64(s)
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "MAC/s")
			})
		}
	}
}

func benchMat(b *testing.B, name string, plain, fast func([]int32, []int16, int, []int16), out func(rows, cols int) int) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{64, 64}, {256, 256}, {53, 53}, {1024, 1024}} {
		rows, cols := sz[0], sz[1]
		w := operand(r, 0, rows*cols)
		for _, impl := range []struct {
			name string
			f    func([]int32, []int16, int, []int16)
		}{{"plain", plain}, {"fast", fast}} {
			b.Run(fmt.Sprintf("%dx%d/%s", rows, cols, impl.name), func(b *testing.B) {
				dst := make([]int32, out(rows, cols))
				x := operand(r, 0, rows+cols-len(dst))
				for b.Loop() {
					impl.f(dst, w, cols, x)
				}
				b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds(), "MAC/s")
			})
		}
	}
}

func BenchmarkMatVec(b *testing.B) {
	benchMat(b, "MatVec", MatVecPlain, MatVec, func(rows, cols int) int { return rows })
}

func BenchmarkMatTVec(b *testing.B) {
	benchMat(b, "MatTVec", MatTVecPlain, MatTVec, func(rows, cols int) int { return cols })
}

func BenchmarkOuterUpdate(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 3))
	for _, sz := range [][3]int{{64, 64, 1}, {256, 256, 1}, {53, 53, 1}, {256, 256, 16}} {
		rows, cols, ctx := sz[0], sz[1], sz[2]
		w0 := operand(r, 0, rows*cols)
		a, x := operand(r, 0, rows*ctx), operand(r, 0, cols*ctx)
		p := OuterParams{Mult: 1 << 10, Shift: 30, Min: math.MinInt16, Max: math.MaxInt16, Stream: NewStream(1, 2, 3, 4)}
		name := fmt.Sprintf("%dx%d", rows, cols)
		if ctx > 1 {
			name += fmt.Sprintf("xC%d", ctx)
		}
		for _, impl := range []struct {
			name string
			f    func([]int16, int, []int16, []int16, int, OuterParams, *Counters)
		}{{"plain", OuterUpdatePlain}, {"fast", OuterUpdate}} {
			b.Run(name+"/"+impl.name, func(b *testing.B) {
				w := slices.Clone(w0)
				var c Counters
				for b.Loop() {
					impl.f(w, cols, a, x, ctx, p, &c)
				}
				b.ReportMetric(float64(rows*cols*ctx)*float64(b.N)/b.Elapsed().Seconds(), "MAC/s")
			})
		}
	}
}

func TestCheckAccumulator(t *testing.T) {
	tb := DefaultTable()
	get := func(n string) Var { v, _ := tb.Lookup(n); return v }
	if err := CheckAccumulator(get("mac"), get("w").Format, get("rate_bus").Format); err != nil {
		t.Error(err)
	}
	if err := CheckAccumulator(get("mac_t"), get("w").Format, get("err_bus").Format); err != nil {
		t.Error(err)
	}
	acc := Var{Name: "acc", Format: Q(6, 25), Overflow: Wrap}
	for _, tc := range []struct {
		acc  Var
		a, b Format
		want string
	}{
		{acc, Q(3, 13), Q(3, 12), "fixedpoint: kernel operand format Q3.13 does not fit int16; use a signed format at most 16 bits wide"},
		{acc, Q(2, 13), UQ(4, 12), "fixedpoint: kernel operand format UQ4.12 does not fit int16; use a signed format at most 16 bits wide"},
		{Var{Name: "acc", Format: Q(6, 25), Overflow: Saturate}, Q(2, 13), Q(3, 12), "fixedpoint: accumulator acc Q6.25 floor saturate: the kernels accumulate in int32 with wrap; declare a signed 32-bit format that wraps"},
		{Var{Name: "acc", Format: Q(7, 25), Overflow: Wrap}, Q(2, 13), Q(3, 12), "fixedpoint: accumulator acc Q7.25 floor wrap: the kernels accumulate in int32 with wrap; declare a signed 32-bit format that wraps"},
		{acc, Q(3, 12), Q(3, 12), "fixedpoint: accumulator acc Q6.25 floor wrap has 25 fraction bits; products of Q3.12 and Q3.12 have 24, so they would need rounding the kernels do not do"},
	} {
		if got := errString(CheckAccumulator(tc.acc, tc.a, tc.b)); got != tc.want {
			t.Errorf("CheckAccumulator(%v, %v, %v) = %q; want %q", tc.acc, tc.a, tc.b, got, tc.want)
		}
	}
}

// BenchmarkOuterSum: full-range operands (int16 extremes: the fast path must widen
// every few contexts) and the chip's typical ones (errors within ±2^11, rates within
// ±2^12 raw: one int32 chunk for up to 256 contexts).
func BenchmarkOuterSum(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 4))
	for _, sz := range [][3]int{{256, 256, 16}, {53, 53, 100}} {
		rows, cols, ctx := sz[0], sz[1], sz[2]
		for _, ops := range []struct {
			name string
			a, x []int16
		}{
			{"full", operand(r, 0, rows*ctx), operand(r, 0, cols*ctx)},
			{"chip", bounded(r, rows*ctx, 1<<11), bounded(r, cols*ctx, 1<<12)},
		} {
			a, x := ops.a, ops.x
			dst := make([]int64, rows*cols)
			for _, impl := range []struct {
				name string
				f    func([]int64, int, []int16, []int16, int)
			}{{"plain", OuterSumPlain}, {"fast", OuterSum}} {
				b.Run(fmt.Sprintf("%dx%dxC%d/%s/%s", rows, cols, ctx, ops.name, impl.name), func(b *testing.B) {
					for b.Loop() {
						impl.f(dst, cols, a, x, ctx)
					}
					b.ReportMetric(float64(rows*cols*ctx)*float64(b.N)/b.Elapsed().Seconds(), "MAC/s")
				})
			}
		}
	}
}
