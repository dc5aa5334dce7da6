package mnist1d

import (
	"flag"
	"math"
	"testing"
)

var long = flag.Bool("long", false, "run long tests")

func TestLogCR(t *testing.T) {
	// Correctly rounded logarithms from Python's decimal module at 60 digits,
	// float(decimal.Decimal(x).ln()). The first four are arguments glibc's log misrounds.
	for _, tc := range []struct{ x, want float64 }{
		{0x1.6204c12bd2f96p-1, -0x1.79d4a5c41f2d8p-2}, // glibc -0x1.79d4a5c41f2d9p-2
		{0x1.9fcc9477ef9bcp-1, -0x1.aa3c08831ea32p-3}, // glibc -0x1.aa3c08831ea33p-3
		{0x1.5c83bbe7ec6eep-1, -0x1.89e042447a8f8p-2}, // glibc -0x1.89e042447a8f7p-2
		{0x1.5b69ec0a5e5a2p-1, -0x1.8d1d95b31d56ep-2}, // glibc -0x1.8d1d95b31d56fp-2
		{1, 0},
		{2, 0x1.62e42fefa39efp-1},
		{0.5, -0x1.62e42fefa39efp-1},
		{0.1, -0x1.26bb1bbb55515p+1},
		{1e-300, -0x1.5963447f87fb5p+9},
		{0x1p-1074, -0x1.74385446d71c3p+9}, // the smallest subnormal
		{math.MaxFloat64, 0x1.62e42fefa39efp+9},
		{1 - 0x1p-53, -0x1p-53},
		{1 + 0x1p-52, 0x1.fffffffffffffp-53},
		{0x1.6a09e667f3bcdp-1, -0x1.62e42fefa39eep-2}, // √½, an end of the reduced range
		{0x1.6a09e667f3bcdp+0, 0x1.62e42fefa39f0p-2},  // √2, the other
		{0.99, -0x1.495453e6fd4bcp-7},
		{3, 0x1.193ea7aad030bp+0},
		{10, 0x1.26bb1bbb55516p+1},
	} {
		if got := logCR(tc.x); got != tc.want {
			t.Errorf("logCR(%x) = %x, want %x", tc.x, got, tc.want)
		}
		if got := logSlow(tc.x); got != tc.want {
			t.Errorf("logSlow(%x) = %x, want %x", tc.x, got, tc.want)
		}
	}
}

// TestLogCRAgainstSlow checks the fast double-double path against the independent
// math/big evaluation on seeded random arguments: Box–Muller's r² in (0, 1), and
// doubles of any exponent.
func TestLogCRAgainstSlow(t *testing.T) {
	n := 3000
	if *long {
		n = 300000
	}
	r := NewRandomState(11)
	for i := range n {
		var x float64
		if i%2 == 0 {
			x1, x2 := 2*r.Float64()-1, 2*r.Float64()-1
			x = float64(x1*x1) + float64(x2*x2)
		} else {
			x = math.Float64frombits(uint64(r.Uint32())<<32 | uint64(r.Uint32()))
			x = math.Abs(x)
		}
		if x == 0 || x >= 1 && i%2 == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			continue
		}
		got, want := logCR(x), logSlow(x)
		if got != want {
			t.Fatalf("logCR(%x) = %x, want %x", x, got, want)
		}
		// Go's math.Log on amd64 (assembly) is far off for subnormal arguments:
		// math.Log(0x1.adf88ed459278p-1023) = −708.48, not −708.57. Compare normal ones.
		if ref := math.Log(x); x >= 0x1p-1022 && got != ref && math.Nextafter(got, ref) != ref {
			t.Fatalf("logCR(%x) = %x, more than one ulp from math.Log's %x", x, got, ref)
		}
	}
}

func BenchmarkLog(b *testing.B) {
	xs := make([]float64, 1024)
	r := NewRandomState(1)
	for i := range xs {
		xs[i] = r.Float64()
	}
	var sink float64
	b.Run("logCR", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sink += logCR(xs[i%len(xs)])
		}
	})
	b.Run("logSlow", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sink += logSlow(xs[i%len(xs)])
		}
	})
	b.Run("math.Log", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sink += math.Log(xs[i%len(xs)])
		}
	})
	_ = sink
}
