package image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// fuzzSeeds are valid images (tiny, split, random) and damaged variants of them.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	seeds = append(seeds, mustAppend(f, tinyProgram()), mustAppend(f, splitProgram()))
	for s := range uint64(4) {
		seeds = append(seeds, mustAppend(f, randomProgram(f, rand.New(rand.NewPCG(s, 99)))))
	}
	tiny := seeds[0]
	h, secs := split(tiny)
	h.Minor, h.Flags = 7, 0x00010000
	secs = append(secs[:6:6], append([]section{{typ: 0x40, payload: []byte("future")}}, secs[6:]...)...)
	seeds = append(seeds,
		join(h, secs),
		tiny[:HeaderSize],
		tiny[:len(tiny)/2],
		[]byte(Magic),
		nil,
	)
	return seeds
}

// checkDecode is what every fuzz target asserts of Parse on any input: no panic; an
// error is one of the sentinels, begins "image: ", and comes with no program; Dump and
// Read agree with Parse; a decoded program is valid, re-encodes, decodes to itself,
// and, when the input used no extension (minor 0, no flags, no unknown section,
// reserved fields 0), re-encodes to the very same bytes.
func checkDecode(t *testing.T, data []byte) {
	p, n, err := Parse(data)
	var dump bytes.Buffer
	derr := Dump(&dump, data)
	if (err == nil) != (derr == nil) || err != nil && err.Error() != derr.Error() {
		t.Fatalf("Parse: %v; Dump: %v", err, derr)
	}
	rp, rerr := Read(bytes.NewReader(data))
	if (err == nil) != (rerr == nil) || err != nil && errors.Is(err, ErrTruncated) != errors.Is(rerr, ErrTruncated) {
		t.Fatalf("Parse: %v; Read: %v", err, rerr)
	}
	if err != nil {
		if p != nil || n != 0 {
			t.Fatalf("error %v with a program or a length %d", err, n)
		}
		if !strings.HasPrefix(err.Error(), "image: ") {
			t.Fatalf("error without the package prefix: %v", err)
		}
		k := 0
		for _, s := range []error{ErrNotImage, ErrTruncated, ErrCorrupt, ErrNewer, ErrInvalid} {
			if errors.Is(err, s) {
				k++
			}
		}
		if k != 1 {
			t.Fatalf("error matches %d sentinels: %v", k, err)
		}
		return
	}
	if n < HeaderSize || n > len(data) {
		t.Fatalf("n = %d of %d", n, len(data))
	}
	if !reflect.DeepEqual(rp, p) {
		t.Fatalf("Read and Parse differ: %s", firstDiff(rp, p))
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("Parse returned an invalid program: %v", err)
	}
	img, err := AppendImage(nil, p)
	if err != nil {
		t.Fatalf("a decoded program does not encode: %v", err)
	}
	q, _, err := Parse(img)
	if err != nil {
		t.Fatalf("re-encoded image: %v", err)
	}
	if !reflect.DeepEqual(q, p) {
		t.Fatalf("round trip: %s", firstDiff(q, p))
	}
	if canonical(data[:n]) && !bytes.Equal(img, data[:n]) {
		t.Fatalf("a canonical image re-encodes to other bytes")
	}
}

// canonical reports whether a valid image uses no extension.
func canonical(img []byte) bool {
	h, secs := split(img)
	if h.Minor != 0 || h.Flags != 0 {
		return false
	}
	for _, s := range secs {
		if !known(s.typ) || s.reserved != 0 {
			return false
		}
	}
	return true
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkDecode)
}

// FuzzParseResealed recomputes every CRC of the input before decoding it, so that the
// fuzzer's mutations reach the payload decoder and Validate instead of stopping at a
// CRC.
func FuzzParseResealed(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add(edit0(f, 3, 0, 0xffffffff)) // hostile population count, sealed
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, reseal(data))
	})
}

// edit0 is edit for a testing.F: the tiny image with a u32 of section i's payload set.
func edit0(tb testing.TB, i, off int, v uint32) []byte {
	h, secs := split(mustAppend(tb, tinyProgram()))
	binary.LittleEndian.PutUint32(secs[i].payload[off:], v)
	return join(h, secs)
}

// FuzzRoundTrip round-trips random valid programs drawn from the fuzzer's seeds.
func FuzzRoundTrip(f *testing.F) {
	for s := range uint64(8) {
		f.Add(s, s*0x9e3779b97f4a7c15)
	}
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		img := roundTrip(t, randomProgram(t, rand.New(rand.NewPCG(s1, s2))))
		checkDecode(t, img)
	})
}
