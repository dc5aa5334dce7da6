package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/glemu/glemu/fixedpoint"
)

// Names of the baselines every ratio refers to.
const (
	scalarName = "baseline/scalar"
	peakName   = "baseline/peak"
)

// peakIters is the number of PeakMACLoop iterations in one unit (77 M MACs).
const peakIters = 100_000

func baselineWorkloads() []Workload {
	return []Workload{
		{Name: scalarName, Kind: KindBaseline,
			Doc: "the plain-Go scalar int16 multiply-accumulate rate: fixedpoint.MatVecPlain on a 256×256 matrix",
			setup: func(*env) (*instance, error) {
				r := rand.New(rand.NewPCG(1, 1))
				w, x := randInt16(r, 256*256, 1<<15), randInt16(r, 256, 1<<15)
				dst := make([]int32, 256)
				return &instance{macs: 256 * 256, run: func(n int) (sample, error) {
					for range n {
						fixedpoint.MatVecPlain(dst, w, 256, x)
					}
					return sample{}, nil
				}}, nil
			}},
		{Name: peakName, Kind: KindBaseline,
			Doc: "the processor's peak int16 multiply-accumulate rate on one core: fixedpoint.PeakMACLoop, 24 independent vpdpwssd per iteration",
			setup: func(*env) (*instance, error) {
				if fixedpoint.PeakMACLoop(1) == 0 {
					return nil, skipf("no %s peak loop (kernels: %s)", "VNNI", fixedpoint.Kernels())
				}
				return &instance{macs: peakIters * 768, run: func(n int) (sample, error) {
					for range n {
						fixedpoint.PeakMACLoop(peakIters)
					}
					return sample{}, nil
				}}, nil
			}},
	}
}

// kernelShape is a kernel workload's matrix (rows × cols) and contexts.
type kernelShape struct{ rows, cols, contexts int }

func kernelWorkloads() []Workload {
	var ws []Workload
	for _, k := range []struct {
		name, doc string
		f         func(s kernelShape, r *rand.Rand) func()
	}{
		{"MatMat", "the forward crossbar read of C contexts at once", func(s kernelShape, r *rand.Rand) func() {
			w := fixedpoint.Mat{Data: randInt16(r, s.rows*s.cols, 1<<15), Rows: s.rows, Cols: s.cols, Stride: s.cols}
			x := fixedpoint.Mat{Data: randInt16(r, s.contexts*s.cols, 1<<12), Rows: s.contexts, Cols: s.cols, Stride: s.cols}
			dst := make([]int32, s.contexts*s.rows)
			return func() { fixedpoint.MatMat(dst, s.rows, w, x) }
		}},
		{"MatTMat", "the transposed crossbar read of C contexts at once", func(s kernelShape, r *rand.Rand) func() {
			w := fixedpoint.Mat{Data: randInt16(r, s.rows*s.cols, 1<<15), Rows: s.rows, Cols: s.cols, Stride: s.cols}
			e := fixedpoint.Mat{Data: randInt16(r, s.contexts*s.rows, 1<<11), Rows: s.contexts, Cols: s.rows, Stride: s.rows}
			dst := make([]int32, s.contexts*s.cols)
			return func() { fixedpoint.MatTMat(dst, s.cols, w, e) }
		}},
		{"OuterSum", "the gradient summed exactly over C contexts (errors within ±2^11, rates within ±2^12 raw)", func(s kernelShape, r *rand.Rand) func() {
			a, b := randInt16(r, s.contexts*s.rows, 1<<11), randInt16(r, s.contexts*s.cols, 1<<12)
			dst := make([]int64, s.rows*s.cols)
			return func() { fixedpoint.OuterSum(dst, s.cols, a, b, s.contexts) }
		}},
	} {
		for _, s := range []kernelShape{{53, 53, 100}, {256, 256, 16}} {
			ws = append(ws, Workload{
				Name: fmt.Sprintf("kernel/%s/rows=%d/cols=%d/contexts=%d", k.name, s.rows, s.cols, s.contexts),
				Doc:  fmt.Sprintf("fixedpoint.%s, %s, on a %d×%d matrix", k.name, k.doc, s.rows, s.cols),
				Kind: KindKernel,
				setup: func(*env) (*instance, error) {
					f := k.f(s, rand.New(rand.NewPCG(2, uint64(s.rows))))
					return &instance{macs: float64(s.rows * s.cols * s.contexts), run: func(n int) (sample, error) {
						for range n {
							f()
						}
						return sample{}, nil
					}}, nil
				}})
		}
	}
	return ws
}

// randInt16 returns n values uniform in [−m, m−1].
func randInt16(r *rand.Rand, n, m int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(r.IntN(2*m) - m)
	}
	return s
}
