package image

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"testing"
)

// benchSizes are full meshes of full tiles: a chain of populations, one per tile, each
// fed by an n×n block (tiles=16/neurons=256 is the reference chip, 983,040 weights).
var benchSizes = []struct{ side, neurons int }{{2, 64}, {4, 256}}

func benchName(side, n int) string { return fmt.Sprintf("tiles=%d/neurons=%d", side*side, n) }

// BenchmarkAppendImage encodes into a reused buffer; AppendImage validates the program
// first, so BenchmarkValidate is its floor.
func BenchmarkAppendImage(b *testing.B) {
	for _, s := range benchSizes {
		p := bigProgram(s.side, s.side, s.neurons)
		b.Run(benchName(s.side, s.neurons), func(b *testing.B) {
			buf := mustAppend(b, p)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = AppendImage(buf[:0], p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParse decodes, which includes Validate of the decoded program.
func BenchmarkParse(b *testing.B) {
	for _, s := range benchSizes {
		img := mustAppend(b, bigProgram(s.side, s.side, s.neurons))
		b.Run(benchName(s.side, s.neurons), func(b *testing.B) {
			b.SetBytes(int64(len(img)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Parse(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRead decodes from a stream, the way a loader reads a file or a link.
func BenchmarkRead(b *testing.B) {
	for _, s := range benchSizes {
		img := mustAppend(b, bigProgram(s.side, s.side, s.neurons))
		b.Run(benchName(s.side, s.neurons), func(b *testing.B) {
			b.SetBytes(int64(len(img)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Read(bytes.NewReader(img)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidate is the baseline of the two above: chip.Program.Validate alone.
func BenchmarkValidate(b *testing.B) {
	for _, s := range benchSizes {
		p := bigProgram(s.side, s.side, s.neurons)
		b.Run(benchName(s.side, s.neurons), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCRC is the other baseline: one CRC-32 pass over the image.
func BenchmarkCRC(b *testing.B) {
	for _, s := range benchSizes {
		img := mustAppend(b, bigProgram(s.side, s.side, s.neurons))
		b.Run(benchName(s.side, s.neurons), func(b *testing.B) {
			b.SetBytes(int64(len(img)))
			for b.Loop() {
				crc32.ChecksumIEEE(img)
			}
		})
	}
}
