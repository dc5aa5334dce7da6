package mnist1d

import (
	"fmt"
	"testing"
)

// BenchmarkGenerate measures generating the whole default data set (5000 samples,
// normalised and split) at the data set's and the GLE network's lengths.
func BenchmarkGenerate(b *testing.B) {
	for _, length := range []int{40, 360} {
		b.Run(fmt.Sprint("len=", length), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.FinalSeqLength = length
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Generate(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
