package image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
)

// appendUnchecked encodes p without validating it, to build images of programs the chip
// refuses (the tests' only way past AppendImage's check).
func appendUnchecked(p *chip.Program) []byte {
	e := enc{b: make([]byte, HeaderSize)}
	e.sections(p)
	if e.err != nil {
		panic(e.err)
	}
	appendHeader(e.b[:0], Header{Major: FormatVersion, Minor: FormatMinor, Length: uint64(len(e.b)),
		Sections: uint32(e.count), BodyCRC: crc32.ChecksumIEEE(e.b[HeaderSize:])})
	return e.b
}

// edit returns the tiny image with section i's payload changed by f, resealed.
func edit(t *testing.T, i int, f func(pl []byte) []byte) []byte {
	t.Helper()
	h, secs := split(mustAppend(t, tinyProgram()))
	secs[i].payload = f(secs[i].payload)
	return join(h, secs)
}

// put32 sets a little-endian uint32 at off.
func put32(off int, v uint32) func([]byte) []byte {
	return func(pl []byte) []byte { binary.LittleEndian.PutUint32(pl[off:], v); return pl }
}

func sections(t *testing.T, f func(h *Header, secs []section) []section) []byte {
	t.Helper()
	h, secs := split(mustAppend(t, tinyProgram()))
	secs = f(&h, secs)
	return join(h, secs)
}

func header(t *testing.T, f func(b []byte)) []byte {
	t.Helper()
	img := mustAppend(t, tinyProgram())
	f(img)
	binary.LittleEndian.PutUint32(img[32:], crc32.ChecksumIEEE(img[:32]))
	return img
}

// The tiny image's sections (see docs/image-format.md): 0 config, 1 formats, 2 program,
// 3 populations, 4 projections, 5 learning, 6–8 neurons, weights and routes of tile 0,
// 9–11 those of tile 1. Population "y" starts at byte 46 of the populations payload.
func TestParseErrors(t *testing.T) {
	tiny := func() *chip.Program { return tinyProgram() }
	cases := []struct {
		name string
		img  func(t *testing.T) []byte
		kind error
		want string
	}{
		{"empty", func(t *testing.T) []byte { return nil }, ErrTruncated,
			"image: 0 bytes; the header alone is 36; the image is truncated, re-copy it"},
		{"not an image", func(t *testing.T) []byte { return []byte("{\"populations\": []}") }, ErrNotImage,
			"image: the first bytes are 7b 22 70 6f 70 75 6c 61, not the image magic 89 47 4c 45 0d 0a 1a 0a; give a file written by glemu compile or image.Save"},
		{"text-mode copy", func(t *testing.T) []byte {
			return bytes.ReplaceAll(mustAppend(t, tiny()), []byte("\r\n"), []byte("\n"))
		}, ErrNotImage,
			"image: the first bytes are 89 47 4c 45 0a 1a 0a 01, not the image magic 89 47 4c 45 0d 0a 1a 0a; give a file written by glemu compile or image.Save"},
		{"header cut", func(t *testing.T) []byte { return mustAppend(t, tiny())[:20] }, ErrTruncated,
			"image: 20 bytes; the header alone is 36; the image is truncated, re-copy it"},
		{"body cut", func(t *testing.T) []byte { img := mustAppend(t, tiny()); return img[:len(img)-1] }, ErrTruncated,
			"image: the header gives 1208 bytes, only 1207 are present; the image is truncated, re-copy it"},
		{"newer major version", func(t *testing.T) []byte {
			return header(t, func(b []byte) { binary.LittleEndian.PutUint16(b[8:], 3) })
		}, ErrNewer, "image: format version 3 is newer than this glemu (reads 1); upgrade glemu"},
		{"damaged version", func(t *testing.T) []byte {
			img := mustAppend(t, tiny())
			img[8] ^= 2
			return img
		}, ErrCorrupt, "image: header (offset 0x8): format version 3, but the header crc fits version 1; the image is corrupted, recompile or re-copy it"},
		{"version 0", func(t *testing.T) []byte {
			return header(t, func(b []byte) { binary.LittleEndian.PutUint16(b[8:], 0) })
		}, ErrCorrupt, "image: header (offset 0x8): format version 0 does not exist; the image is corrupted, recompile or re-copy it"},
		{"header crc", func(t *testing.T) []byte {
			img := mustAppend(t, tiny())
			img[17] ^= 0x10
			return img
		}, ErrCorrupt, "image: header (offset 0x0): crc mismatch (got 0x931db8e7, want 0xd77f27a8); the image is corrupted, recompile or re-copy it"},
		{"required flag", func(t *testing.T) []byte {
			return header(t, func(b []byte) { binary.LittleEndian.PutUint32(b[12:], 0x00020001) })
		}, ErrNewer, "image: header flags 0x00000001 are not understood by this glemu (reads 1.0); upgrade glemu"},
		{"too many sections", func(t *testing.T) []byte {
			return header(t, func(b []byte) { binary.LittleEndian.PutUint32(b[24:], 1000) })
		}, ErrCorrupt, "image: header: 1000 sections cannot fit an image of 1208 bytes; the image is corrupted, recompile or re-copy it"},
		{"section crc", func(t *testing.T) []byte {
			img := mustAppend(t, tiny())
			img[0x46f+8+30] ^= 0x10 // a weight of tile 1
			return img
		}, ErrCorrupt, "image: section 10 (weights, offset 0x46f): crc mismatch (got 0x4d70ed00, want 0xe38629cb); the image is corrupted, recompile or re-copy it"},
		{"section length", func(t *testing.T) []byte {
			img := mustAppend(t, tiny())
			binary.LittleEndian.PutUint32(img[HeaderSize+4:], 0xffffffff)
			return reseal(img)
		}, ErrCorrupt, "image: section 0 (config, offset 0x24): payload length 4294967295 runs past the end of the image (1160 bytes left); the image is corrupted, recompile or re-copy it"},
		{"fewer sections announced", func(t *testing.T) []byte {
			return reseal(header(t, func(b []byte) { binary.LittleEndian.PutUint32(b[24:], 11) }))
		}, ErrCorrupt, "image: section 1 (formats, offset 0xcc): a 1×2 mesh needs 10 more sections, the header announces only 9 more; the image is corrupted, recompile or re-copy it"},
		{"bytes after the sections", func(t *testing.T) []byte {
			img := append(mustAppend(t, tiny()), 0, 0, 0)
			binary.LittleEndian.PutUint64(img[16:], uint64(len(img)))
			return reseal(img)
		}, ErrCorrupt, "image: 3 bytes after the last of the 12 sections (offset 0x4b8); the image is corrupted, recompile or re-copy it"},
		{"sections swapped", func(t *testing.T) []byte {
			return sections(t, func(h *Header, s []section) []section { s[2], s[3] = s[3], s[2]; return s })
		}, ErrCorrupt, "image: section 2 (populations, offset 0x2c0): a populations section where the program section belongs; the image is corrupted, recompile or re-copy it"},
		{"config twice", func(t *testing.T) []byte {
			return sections(t, func(h *Header, s []section) []section { return slices.Insert(s, 1, s[0]) })
		}, ErrCorrupt, "image: section 1 (config, offset 0xcc): a config section where the formats section belongs; the image is corrupted, recompile or re-copy it"},
		{"last section missing", func(t *testing.T) []byte {
			return sections(t, func(h *Header, s []section) []section { return s[:len(s)-1] })
		}, ErrCorrupt, "image: section 1 (formats, offset 0xcc): a 1×2 mesh needs 10 more sections, the header announces only 9 more; the image is corrupted, recompile or re-copy it"},
		{"last section of an unknown type", func(t *testing.T) []byte {
			return sections(t, func(h *Header, s []section) []section { s[len(s)-1].typ = 0x7f; return s })
		}, ErrCorrupt, "image: the image ends before the routes section of tile 1; the image is corrupted, recompile or re-copy it"},
		{"tile section repeated", func(t *testing.T) []byte {
			return sections(t, func(h *Header, s []section) []section { return append(s, s[len(s)-1]) })
		}, ErrCorrupt, "image: section 12 (routes, offset 0x4b8): a routes section after the last tile's; every section appears once; the image is corrupted, recompile or re-copy it"},
		{"wrong tile", func(t *testing.T) []byte { return edit(t, 9, put32(0, 0)) }, ErrCorrupt, "image: section 9 (neurons, offset 0x449): tile 0 at 0x451, but the neurons section of tile 1 belongs here; the image is corrupted, recompile or re-copy it"},
		{"flag byte 2", func(t *testing.T) []byte {
			return edit(t, 3, func(pl []byte) []byte { pl[46+9] = 2; return pl })
		}, ErrCorrupt, "image: section 3 (populations, offset 0x2e7): Bias at 0x326 is 2; a flag byte is 0 or 1; the image is corrupted, recompile or re-copy it"},
		{"register flag byte", func(t *testing.T) []byte { // a fuzz finding: Dump's error once named it differently
			return edit(t, 5, func(pl []byte) []byte { pl[64] = 220; return pl })
		}, ErrCorrupt, "image: section 5 (learning, offset 0x36b): Learning.TauM.On at 0x3b3 is 220; a flag byte is 0 or 1; the image is corrupted, recompile or re-copy it"},
		{"population count", func(t *testing.T) []byte { return edit(t, 3, put32(0, 0xffffffff)) }, ErrCorrupt, "image: section 3 (populations, offset 0x2e7): number of populations at 0x2ef is 4294967295, more than the mesh's 4 neuron slots; the image is corrupted, recompile or re-copy it"},
		{"format count", func(t *testing.T) []byte { return edit(t, 1, put32(0, 1000000)) }, ErrCorrupt, "image: section 1 (formats, offset 0xcc): number of formats at 0xd4 is 1000000; records of at least 9 bytes each cannot fit the 484 bytes left; the image is corrupted, recompile or re-copy it"},
		{"population size", func(t *testing.T) []byte { return edit(t, 3, put32(46+3, 1<<30)) }, ErrCorrupt, "image: section 3 (populations, offset 0x2e7): population 1 size 1073741824 at 0x320: 1073741825 neurons in all cannot fit the mesh's 4 slots or the 369 bytes left; the image is corrupted, recompile or re-copy it"},
		{"block rows", func(t *testing.T) []byte { return edit(t, 10, put32(8+8, 70000)) }, ErrCorrupt, "image: section 10 (weights, offset 0x46f): block 0 at 0x487 is 70000×1; a crossbar holds 2×2; the image is corrupted, recompile or re-copy it"},
		{"slot count", func(t *testing.T) []byte { return edit(t, 9, put32(4, 3)) }, ErrCorrupt, "image: section 9 (neurons, offset 0x449): number of slots at 0x455 is 3, more than the tile's 2 neuron slots (NeuronsPerTile); the image is corrupted, recompile or re-copy it"},
		{"unread bytes", func(t *testing.T) []byte {
			return edit(t, 5, func(pl []byte) []byte { return append(pl, 0) })
		}, ErrCorrupt, "image: section 5 (learning, offset 0x36b): 1 unread byte after the last field (at 0x3ec); the image is corrupted, recompile or re-copy it"},
		{"short payload", func(t *testing.T) []byte {
			return edit(t, 5, func(pl []byte) []byte { return pl[:len(pl)-1] })
		}, ErrCorrupt, "image: section 5 (learning, offset 0x36b): Learning.TauMMin at 0x3e4 needs 8 bytes, the payload has 7 left; the image is corrupted, recompile or re-copy it"},
		{"slot names no neuron", func(t *testing.T) []byte { return edit(t, 9, put32(8, 9)) }, ErrCorrupt, "image: section 9 (neurons, offset 0x449): slot 0 at 0x459 names neuron 0 of population 9, which does not exist; the image is corrupted, recompile or re-copy it"},
		{"neuron twice", func(t *testing.T) []byte {
			p := tiny()
			p.Tiles[1].Slots = append(p.Tiles[1].Slots, p.Tiles[1].Slots[0])
			return appendUnchecked(p)
		}, ErrCorrupt, "image: section 9 (neurons, offset 0x449): slot 1 at 0x46b names neuron 0 of population \"y\", which an earlier slot holds; every neuron lives in one slot; the image is corrupted, recompile or re-copy it"},
		{"neuron without slot", func(t *testing.T) []byte {
			p := tiny()
			p.Tiles[0].Slots = nil
			return appendUnchecked(p)
		}, ErrCorrupt, "image: neuron 0 of population \"x\" has no slot in any tile's neurons section; the image is corrupted, recompile or re-copy it"},
		{"invalid config", func(t *testing.T) []byte {
			p := tiny()
			p.Config.LinkBits = 0
			return appendUnchecked(p)
		}, ErrInvalid, "image: section 1 (formats, offset 0xcc): the configuration (sections 0 and 1) is invalid: chip: config: links of 0 bits per cycle; use at least 1; recompile the program with this glemu"},
		{"mesh larger than image", func(t *testing.T) []byte {
			p := tiny()
			p.Config.Rows, p.Config.Cols = 64, 64
			return appendUnchecked(p)
		}, ErrCorrupt, "image: section 1 (formats, offset 0xcc): a 64×64 mesh needs 12292 more sections, the header announces only 10 more; the image is corrupted, recompile or re-copy it"},
		{"invalid program", func(t *testing.T) []byte {
			p := tiny()
			p.Contexts = 5
			return appendUnchecked(p)
		}, ErrInvalid, "image: the decoded program is invalid: chip: program: 5 contexts; the chip runs 1 to 1 (Config.MaxContexts); recompile the program with this glemu"},
		{"invalid weight", func(t *testing.T) []byte {
			// w_mem Q2.20 is 23 bits wide, packed in 3 bytes: 2^22 fits the bytes, not
			// the format.
			p := tiny()
			setFormat(p.Config.Formats, "w_mem", fixedpoint.Q(2, 20))
			p.Tiles[1].Blocks[0].W[0] = 1 << 22
			return appendUnchecked(p)
		}, ErrInvalid, "image: the decoded program is invalid: chip: program: tile 1 block 0 (projection 0, x→y): weight (0, 0) = 4194304 raw does not fit w_mem Q2.20; raise the projection's WeightExp; recompile the program with this glemu"},
	}
	seen, ran := map[string]bool{}, 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ran++
			img := tc.img(t)
			p, n, err := Parse(img)
			if err != nil {
				seen[err.Error()] = true
			}
			if err == nil {
				t.Fatalf("parsed (%d bytes, %q)", n, p.Name)
			}
			if p != nil || n != 0 {
				t.Errorf("got a program or a length with the error")
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("%v does not match %v", err, tc.kind)
			}
			for _, k := range []error{ErrNotImage, ErrTruncated, ErrCorrupt, ErrNewer, ErrInvalid} {
				if k != tc.kind && errors.Is(err, k) {
					t.Errorf("%v also matches %v", err, k)
				}
			}
			if tc.want == "" {
				t.Logf("%s", err)
			} else if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
			// Dump lists what it read and returns the same error.
			var buf bytes.Buffer
			if derr := Dump(&buf, img); derr == nil || derr.Error() != err.Error() {
				t.Errorf("Dump's error %v differs from Parse's", derr)
			}
		})
	}
	// The error messages docs/image-format.md quotes are among these.
	if ran != len(cases) {
		return // -run chose some cases
	}
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	quoted := 0
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "image: ") {
			quoted++
			if !seen[line] {
				t.Errorf("%s quotes an error no case of this test gives:\n%s", docPath, line)
			}
		}
	}
	if quoted == 0 {
		t.Errorf("%s quotes no error message", docPath)
	}
}

// TestBitFlips flips every bit of the tiny image, one at a time: every flip is refused.
// A flip inside a section is refused by that section's CRC, naming it, except a flip of
// its length field that makes it run past the image, which the bounds check refuses
// (naming the section) before there is a span to compute a CRC over; a flip in the
// header is refused by the magic, the version check or the header's CRC.
func TestBitFlips(t *testing.T) {
	for _, p := range []*chip.Program{tinyProgram(), splitProgram()} {
		t.Run(p.Name, func(t *testing.T) { bitFlips(t, mustAppend(t, p)) })
	}
}

func bitFlips(t *testing.T, img []byte) {
	starts := []int{}
	for off := HeaderSize; off < len(img); off += 12 + int(binary.LittleEndian.Uint32(img[off+4:])) {
		starts = append(starts, off)
	}
	sectionOf := func(off int) int {
		i, _ := slices.BinarySearch(starts, off+1)
		return i - 1
	}
	buf := slices.Clone(img)
	byCRC := 0
	for bit := range 8 * len(img) {
		off := bit / 8
		buf[off] ^= 1 << (bit % 8)
		_, _, err := Parse(buf)
		buf[off] ^= 1 << (bit % 8)
		if err == nil {
			t.Fatalf("flipping bit %d of byte %#x: accepted", bit%8, off)
		}
		msg := err.Error()
		switch {
		case off < len(Magic):
			if !errors.Is(err, ErrNotImage) {
				t.Fatalf("byte %#x: %v", off, err)
			}
		case off < HeaderSize:
			if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(msg, "image: header (offset ") {
				t.Fatalf("byte %#x: %v", off, err)
			}
		default:
			i := sectionOf(off)
			if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(msg, "image: section "+strconv.Itoa(i)+" (") {
				t.Fatalf("byte %#x (section %d): %v", off, i, err)
			}
			if strings.Contains(msg, "crc mismatch") {
				byCRC++
			} else if rel := off - starts[i]; rel < 4 || rel >= 8 || !strings.Contains(msg, "runs past the end of the image") {
				t.Fatalf("byte %#x (section %d, byte %d of it) refused by something else than its CRC: %v", off, i, rel, err)
			}
		}
	}
	body := 8 * (len(img) - HeaderSize)
	t.Logf("%d bits flipped; %d of the %d in sections caught by their section's CRC, the rest by a length that runs past the image", 8*len(img), byCRC, body)
	if byCRC < body*9/10 {
		t.Errorf("only %d of %d section flips caught by a CRC", byCRC, body)
	}
}

// TestTruncations cuts the image at every length: every prefix is refused as truncated.
func TestTruncations(t *testing.T) {
	for _, p := range []*chip.Program{tinyProgram(), splitProgram()} {
		img := mustAppend(t, p)
		for n := range len(img) {
			_, _, err := Parse(img[:n])
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("%s cut at %d of %d bytes: %v", p.Name, n, len(img), err)
			}
			if _, err := Read(bytes.NewReader(img[:n])); !errors.Is(err, ErrTruncated) {
				t.Fatalf("Read of %s cut at %d of %d bytes: %v", p.Name, n, len(img), err)
			}
		}
	}
}

// TestHostileLengths: images whose counts and lengths claim huge sizes, with every CRC
// right, are refused without allocating more than a small multiple of their length.
func TestHostileLengths(t *testing.T) {
	big := func(t *testing.T, i int, f func([]byte) []byte) []byte { return edit(t, i, f) }
	imgs := map[string][]byte{
		"population count": big(t, 3, put32(0, 0xffffffff)),
		"population size":  big(t, 3, put32(46+3, 0xffffffff)),
		"format count":     big(t, 1, put32(0, 0xffffffff)),
		"projection count": big(t, 4, put32(0, 0xffffffff)),
		"slot count":       big(t, 9, put32(4, 0xffffffff)),
		"block count":      big(t, 10, put32(4, 0xffffffff)),
		"block rows":       big(t, 10, put32(16, 0xffffffff)),
		"block cols":       big(t, 10, put32(24, 2)),
		"route count":      big(t, 8, put32(4, 0xffffffff)),
		"string length":    big(t, 2, func(pl []byte) []byte { pl[0], pl[1] = 0xff, 0xff; return pl }),
		"mesh": func() []byte {
			p := tinyProgram()
			p.Config.Rows, p.Config.Cols = 64, 64
			return appendUnchecked(p)
		}(),
	}
	for name, img := range imgs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, _, err := Parse(img)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > uint64(64*len(img)+1<<16) {
			t.Errorf("%s: allocated %d bytes for a %d-byte image", name, got, len(img))
		}
		t.Logf("%s: %v", name, err)
	}
}
