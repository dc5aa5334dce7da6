package bench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
)

var (
	update = flag.Bool("update", false, "rewrite the golden files in testdata/")
	long   = flag.Bool("long", false, "run long benchmarks (a training epoch, a 10⁷-synapse compile)")
)

func names(ws []Workload) []string {
	var s []string
	for _, w := range ws {
		s = append(s, w.Name)
	}
	return s
}

func TestSelect(t *testing.T) {
	base := []string{scalarName, peakName}
	cases := []struct {
		names  []string
		sweeps bool
		want   []string // nil: only check err
		err    string
	}{
		{names: []string{"compile"}, want: append(base, "compile/synapses=1e4", "compile/synapses=1e6", "compile/synapses=1e7")},
		{names: []string{"mnist1d/contexts=*/forward"}, want: append(base, "mnist1d/contexts=1/forward", "mnist1d/contexts=100/forward")},
		{names: []string{"lagline/contexts=100/learn", "stream/emu"}, want: append(base, "lagline/contexts=100/learn", "stream/emu")},
		{names: []string{"mnist1d/epoch"}, want: append(base, "mnist1d/epoch/contexts=100")},
		{names: []string{"mnist1d/contexts=100/learn"}, want: append(base, "mnist1d/contexts=100/learn")},
		{names: []string{"mnist1d/workers=1"}, want: append(base, "mnist1d/workers=1/contexts=1/learn", "mnist1d/workers=1/contexts=100/learn")},
		{names: []string{"baseline"}, want: base},
		{names: []string{"mnist"}, err: `bench: no workload "mnist"; ` + "`glemu bench --list`" + ` names them (a prefix such as "mnist1d" or a pattern such as "compile/*" picks several)`},
		{names: []string{"compile/[", "x"}, err: `bench: no workload "compile/["`},
	}
	for _, c := range cases {
		ws, err := Select(c.names, c.sweeps)
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("Select(%q): %v; want %q", c.names, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q): %v", c.names, err)
			continue
		}
		if got := names(ws); !slices.Equal(got, c.want) {
			t.Errorf("Select(%q) = %q; want %q", c.names, got, c.want)
		}
	}

	// The default set: no sweeps, nothing long; with sweeps, every point of both
	// curves.
	def, _ := Select(nil, false)
	sw, _ := Select(nil, true)
	for _, w := range def {
		if w.Set != SetDefault {
			t.Errorf("default set holds %s (set %d)", w.Name, w.Set)
		}
	}
	points := map[Series]int{}
	for _, w := range sw {
		if w.Set == SetLong {
			t.Errorf("sweeps pull in the long workload %s", w.Name)
		}
		points[w.Series]++
	}
	if points[SeriesNeurons] < 4 || points[SeriesContexts] < 6 {
		t.Errorf("sweeps have %v points per series; want ≥ 4 tile sizes and ≥ 6 context counts", points)
	}
	// Names are unique.
	all := names(Workloads())
	seen := map[string]bool{}
	for _, n := range all {
		if seen[n] {
			t.Errorf("two workloads are called %s", n)
		}
		seen[n] = true
	}
}

// TestRunQuick runs a small selection once and checks that every column it should
// fill is filled, consistently.
func TestRunQuick(t *testing.T) {
	ws, err := Select([]string{"kernel/OuterSum/rows=53/cols=53/contexts=100", "mnist1d/contexts=1/learn", "mnist1d/contexts=100/forward",
		"lagline", "compile/synapses=1e4", "stream/emu"}, false)
	if err != nil {
		t.Fatal(err)
	}
	var progress []string
	rep, err := Run(context.Background(), ws, Options{Quick: true, Progress: func(done, total int, name string) {
		if total != len(ws) || done > total {
			t.Errorf("progress %d of %d; want of %d", done, total, len(ws))
		}
		progress = append(progress, name)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := append(names(ws), ""); !slices.Equal(progress, want) {
		t.Errorf("progress named %q; want %q", progress, want)
	}
	if rep.ScalarMACPerSec <= 0 {
		t.Errorf("no scalar baseline: %+v", rep)
	}
	for _, r := range rep.Results {
		if r.Skipped != "" {
			t.Logf("%s skipped: %s", r.Name, r.Skipped)
			continue
		}
		if r.Reps != 1 || r.UnitsPerRep != 1 || r.Seconds <= 0 {
			t.Errorf("%s: %d reps of %d units, %g s per unit; a quick run does one unit", r.Name, r.Reps, r.UnitsPerRep, r.Seconds)
		}
		switch r.Kind {
		case KindKernel:
			if r.MACPerSec <= 0 || r.VsScalar <= 0 || rep.PeakMACPerSec > 0 && r.PeakShare <= 0 {
				t.Errorf("%s: kernel figures missing: %+v", r.Name, r)
			}
		case KindStep:
			if r.StepsPerSec <= 0 || r.SynOpsPerSec <= 0 || r.FloatStepsPerSec <= 0 || r.VsFloat <= 0 || r.VsScalar <= 0 {
				t.Errorf("%s: step figures missing: %+v", r.Name, r)
			}
			if got := r.SynOpsPerSec / r.StepsPerSec; math.Abs(got-r.macs) > 1e-9*r.macs {
				t.Errorf("%s: %g synops per step; want %g", r.Name, got, r.macs)
			}
		case KindCompile:
			if r.CompileNsPerSynapse <= 0 {
				t.Errorf("%s: no time per synapse: %+v", r.Name, r)
			}
		case KindStream:
			if r.StepsPerSec <= 0 {
				t.Errorf("%s: no steps/s: %+v", r.Name, r)
			}
		}
	}
	// The table names every workload; JSON reads back equal.
	var tab bytes.Buffer
	if err := rep.WriteTable(&tab); err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if !strings.Contains(tab.String(), w.Name) {
			t.Errorf("table lacks %s:\n%s", w.Name, tab.String())
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep.Results {
		rep.Results[i].macs, rep.Results[i].synapses = 0, 0
	}
	if !slices.EqualFunc(back.Results, rep.Results, func(a, b Result) bool { return a == b }) || back.CPU != rep.CPU || back.ScalarMACPerSec != rep.ScalarMACPerSec {
		t.Errorf("JSON round trip changed the report")
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ws, _ := Select([]string{"baseline/scalar"}, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, ws, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel: %v; want context.Canceled", err)
	}
}

func TestReadJSONRefusesGarbage(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"results": [{"name": "x", "kind": "warp"}]}`, `bench: report: bench: unknown workload kind "warp"; use one of baseline, kernel, step, epoch, compile, stream`},
		{`{"resultz": []}`, `bench: report: json: unknown field "resultz"`},
		{`[`, `bench: report: unexpected EOF`},
	} {
		_, err := ReadJSON(strings.NewReader(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("ReadJSON(%s): %v; want %q", c.in, err, c.want)
		}
	}
}

// sampleReport is a report with every kind of row, as a run would fill it.
func sampleReport() *Report {
	rep := &Report{CPU: "Test CPU", OS: "linux", Arch: "amd64", Kernels: "avx512vnni", GOMAXPROCS: 2, Workers: 1, Go: "go1.26",
		ScalarMACPerSec: 5e8, PeakMACPerSec: 1.6e11}
	rep.Results = []Result{
		{Name: scalarName, Kind: KindBaseline, Reps: 9, UnitsPerRep: 700, Seconds: 1.3e-4, MACPerSec: 5e8},
		{Name: peakName, Kind: KindBaseline, Reps: 9, UnitsPerRep: 200, Seconds: 4.8e-4, MACPerSec: 1.6e11},
		{Name: "kernel/MatTMat/rows=53/cols=53/contexts=100", Kind: KindKernel, Reps: 30, UnitsPerRep: 15000, Seconds: 6e-6, MACPerSec: 4.7e10},
		{Name: "mnist1d/contexts=1/learn", Kind: KindStep, Series: SeriesContexts, X: 1, Reps: 12, UnitsPerRep: 100, Seconds: 1e-3,
			StepsPerSec: 1000, SynOpsPerSec: 4.4e7, FloatSeconds: 2e-4, FloatStepsPerSec: 5000, VsFloat: 0.2},
		{Name: "mnist1d/contexts=100/learn", Kind: KindStep, Series: SeriesContexts, X: 100, Reps: 12, UnitsPerRep: 20, Seconds: 5e-3,
			StepsPerSec: 200, SynOpsPerSec: 8.8e8, FloatSeconds: 4e-3, FloatStepsPerSec: 250, VsFloat: 0.8},
		{Name: "mesh/tiles=16/neurons=32/contexts=1/learn", Kind: KindStep, Series: SeriesNeurons, X: 32, Reps: 5, UnitsPerRep: 100, Seconds: 1e-3,
			StepsPerSec: 1000, SynOpsPerSec: 4.6e7, FloatStepsPerSec: 2000, VsFloat: 0.5},
		{Name: "mesh/tiles=16/neurons=256/contexts=1/learn", Kind: KindStep, Series: SeriesNeurons, X: 256, Reps: 5, UnitsPerRep: 2, Seconds: 0.05,
			StepsPerSec: 20, SynOpsPerSec: 5.9e7, FloatStepsPerSec: 40, VsFloat: 0.5},
		{Name: "compile/synapses=1e4", Kind: KindCompile, Reps: 5, UnitsPerRep: 20, Seconds: 5e-3, CompileNsPerSynapse: 455},
		{Name: "stream/firmware-sim/baud=3000000", Kind: KindStream, Reps: 5, UnitsPerRep: 1, Seconds: 0.18, StepsPerSec: 550,
			Baud: 3000000, LinkEfficiency: 0.985, PayloadShare: 0.986},
		{Name: "stream/firmware-sim/baud=3000000x", Kind: KindStream, Skipped: "bench: skipped: no pty for the firmware simulator: permission denied"},
	}
	rep.finish()
	return rep
}

func TestWriteTableGolden(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "table.golden")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("table differs from %s (go test ./bench -run TestWriteTableGolden -update rewrites it):\n%s", path, b.String())
	}
}

func TestRatios(t *testing.T) {
	rep := sampleReport()
	k, _ := rep.Find("kernel/MatTMat/rows=53/cols=53/contexts=100")
	if k.VsScalar != 94 || k.PeakShare != 4.7e10/1.6e11 {
		t.Errorf("kernel ratios %g× scalar, %g of peak; want 94×, %g", k.VsScalar, k.PeakShare, 4.7e10/1.6e11)
	}
	s, _ := rep.Find("mnist1d/contexts=100/learn")
	if s.VsScalar != 8.8e8/5e8 || s.PeakShare != 0 {
		t.Errorf("step ratios %g× scalar, %g of peak; want %g, none", s.VsScalar, s.PeakShare, 8.8e8/5e8)
	}
	if _, ok := rep.Find("nope"); ok {
		t.Error("Find found a workload that is not there")
	}
}

func TestPlotPNG(t *testing.T) {
	rep := sampleReport()
	b, err := rep.PlotPNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != 768 || r.Dy() != 864 {
		t.Errorf("plot is %v; want 768×864", r)
	}
	chipC, floatC := rep.Curves(SeriesContexts)
	if !slices.Equal(chipC.X, []float64{1, 100}) || !slices.Equal(chipC.Y, []float64{1000, 200}) || !slices.Equal(floatC.Y, []float64{5000, 250}) {
		t.Errorf("contexts curves %+v, %+v", chipC, floatC)
	}
	rep.Results = slices.DeleteFunc(rep.Results, func(r Result) bool { return r.Series == SeriesNeurons })
	if _, err := rep.PlotPNG(); err == nil || !strings.Contains(err.Error(), `the report has no "neurons" sweep`) {
		t.Errorf("plot without the neurons sweep: %v", err)
	}
}

// TestStepMACs counts a two-layer program's multiply-accumulates by hand: x(3) → h(4)
// → out(2), C = 5: forward 5·(12 + 8), transposed only h → out's 5·8 (x is an input),
// gradients 5·(12 + 8).
func TestStepMACs(t *testing.T) {
	net, err := chainNet(3, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(net, compiler.Options{Contexts: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got := stepMACs(res.Program, false); got != 5*20+5*8 {
		t.Errorf("forward-only MACs %d; want %d", got, 5*20+5*8)
	}
	if got := stepMACs(res.Program, true); got != 5*20+5*8+5*20 {
		t.Errorf("learning MACs %d; want %d", got, 5*20+5*8+5*20)
	}
	c, err := chip.New(res.Program)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
}

// benchKind runs the workloads of one kind as sub-benchmarks named after them,
// b.N units each; a workload with a float twin has two, chip and float. Long
// workloads and the 10⁷-synapse compile need -long.
func benchKind(b *testing.B, k Kind) {
	for _, w := range Workloads() {
		if w.Kind != k {
			continue
		}
		b.Run(w.Name, func(b *testing.B) {
			if (w.Set == SetLong || w.Name == "compile/synapses=1e7") && !*long {
				b.Skip("long; run with -long")
			}
			in, err := w.setup(&env{opt: Options{Workers: 1}})
			if errors.Is(err, errSkip) {
				b.Skip(err)
			}
			if err != nil {
				b.Fatal(err)
			}
			if in.close != nil {
				defer in.close()
			}
			run := func(b *testing.B, f func(n int) error) {
				b.ReportAllocs()
				b.ResetTimer()
				if err := f(b.N); err != nil {
					b.Fatal(err)
				}
				s := b.Elapsed().Seconds()
				if s <= 0 {
					return
				}
				n := float64(b.N)
				switch {
				case in.steps > 0:
					b.ReportMetric(n*in.steps/s, "steps/s")
					if in.macs > 0 {
						b.ReportMetric(n*in.macs/s, "synops/s")
					}
				case in.macs > 0:
					b.ReportMetric(n*in.macs/s, "MAC/s")
				case in.synapses > 0:
					b.ReportMetric(s*1e9/(n*in.synapses), "ns/synapse")
				}
			}
			chipRun := func(n int) error {
				_, err := in.run(n)
				return err
			}
			if in.float == nil {
				run(b, chipRun)
				return
			}
			b.Run("chip", func(b *testing.B) { run(b, chipRun) })
			b.Run("float", func(b *testing.B) { run(b, in.float) })
		})
	}
}

// BenchmarkBaseline: the plain-Go scalar MAC rate and the peak MAC rate.
func BenchmarkBaseline(b *testing.B) { benchKind(b, KindBaseline) }

// BenchmarkKernel: the matrix kernels' fast paths on the chip's shapes.
func BenchmarkKernel(b *testing.B) { benchKind(b, KindKernel) }

// BenchmarkStep: chip steps (…/chip) and gle's on the same workload (…/float), e.g.
// BenchmarkStep/mesh/tiles=16/neurons=256/contexts=1/learn/chip.
func BenchmarkStep(b *testing.B) { benchKind(b, KindStep) }

// BenchmarkEpoch: a whole MNIST-1D training epoch (-long).
func BenchmarkEpoch(b *testing.B) { benchKind(b, KindEpoch) }

// BenchmarkCompile: compiles of 10⁴, 10⁶ and (-long) 10⁷ synapses.
func BenchmarkCompile(b *testing.B) { benchKind(b, KindCompile) }

// BenchmarkStream: a streaming run in process and through the firmware simulator on
// a pty at 3 Mbaud.
func BenchmarkStream(b *testing.B) { benchKind(b, KindStream) }
