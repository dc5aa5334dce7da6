package image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
)

func mustAppend(t testing.TB, p *chip.Program) []byte {
	t.Helper()
	img, err := AppendImage(nil, p)
	if err != nil {
		t.Fatalf("AppendImage: %v", err)
	}
	return img
}

// roundTrip encodes p, decodes it, and checks deep equality and that re-encoding gives
// the same bytes.
func roundTrip(t testing.TB, p *chip.Program) []byte {
	t.Helper()
	img := mustAppend(t, p)
	got, n, err := Parse(img)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if n != len(img) {
		t.Fatalf("Parse consumed %d bytes of %d", n, len(img))
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("decoded program differs: %s", firstDiff(got, p))
	}
	again := mustAppend(t, got)
	if !bytes.Equal(again, img) {
		t.Fatal("re-encoding the decoded program gives other bytes; the encoding is not canonical")
	}
	return img
}

func TestRoundTripHandBuilt(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *chip.Program
	}{{"tiny", tinyProgram()}, {"split", splitProgram()}, {"big-2x2-16", bigProgram(2, 2, 16)}} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.p.Validate(); err != nil {
				t.Fatalf("fixture invalid: %v", err)
			}
			roundTrip(t, tc.p)
		})
	}
}

// TestRoundTripRandom round-trips seeded random programs whose formats give every
// packed width from 2 to 6 bytes.
func TestRoundTripRandom(t *testing.T) {
	widths := map[int]bool{}
	for seed := range uint64(300) {
		p := randomProgram(t, rand.New(rand.NewPCG(seed, 0x1a6e)))
		widths[packWidth(formatOf(&p.Config, "w_mem"))] = true
		roundTrip(t, p)
	}
	for k := 2; k <= 6; k++ {
		if !widths[k] {
			t.Errorf("no random program packs weights in %d bytes", k)
		}
	}
}

// leaves lists every scalar field path of a type ("Tiles[].Blocks[].W[]") and, for a
// value, those that are non-zero (and the slices that are non-empty).
func leaves(v reflect.Value, path string, all, nonZero map[string]bool) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			leaves(v.Field(i), path+"."+v.Type().Field(i).Name, all, nonZero)
		}
	case reflect.Slice:
		all[path] = true
		if v.Len() > 0 {
			nonZero[path] = true
		}
		for i := range v.Len() {
			leaves(v.Index(i), path+"[]", all, nonZero)
		}
		if v.Len() == 0 { // still list the element's fields
			leaves(reflect.New(v.Type().Elem()).Elem(), path+"[]", all, map[string]bool{})
		}
	case reflect.Pointer, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func:
		all[path] = true // Program must stay plain data; the test below fails on these
	default:
		all[path] = true
		if !v.IsZero() {
			nonZero[path] = true
		}
	}
}

// TestEveryFieldCovered fails when chip.Program gains a field (the chip engineer may add
// fields) that the round-trip tests never set: every field must be non-zero in some
// program that round-trips, which proves the image carries it. A new field needs a
// place in the format (a new section type in a minor revision), docs/image-format.md,
// and randomProgram.
func TestEveryFieldCovered(t *testing.T) {
	all, nonZero := map[string]bool{}, map[string]bool{}
	for seed := range uint64(300) {
		leaves(reflect.ValueOf(*randomProgram(t, rand.New(rand.NewPCG(seed, 0x1a6e)))), "Program", all, nonZero)
	}
	leaves(reflect.ValueOf(*splitProgram()), "Program", all, nonZero)
	var missing []string
	for path := range all {
		if !nonZero[path] {
			missing = append(missing, path)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("fields of chip.Program no round-trip test sets (add them to the image format, its doc and randomProgram):\n\t%s", strings.Join(missing, "\n\t"))
	}
	typ := reflect.TypeOf(chip.Program{})
	var walk func(reflect.Type, string)
	walk = func(t2 reflect.Type, path string) {
		switch t2.Kind() {
		case reflect.Struct:
			for i := range t2.NumField() {
				walk(t2.Field(i).Type, path+"."+t2.Field(i).Name)
			}
		case reflect.Slice:
			walk(t2.Elem(), path+"[]")
		case reflect.Pointer, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func:
			t.Errorf("%s is a %s; chip.Program must stay plain data (docs/chip.md) for the image to encode it", path, t2.Kind())
		}
	}
	walk(typ, "Program")
	t.Logf("%d leaf fields, all covered", len(all))
}

func TestAppendImageAppends(t *testing.T) {
	a, b := tinyProgram(), splitProgram()
	prefix := []byte("prefix")
	buf, err := AppendImage(slices.Clone(prefix), a)
	if err != nil {
		t.Fatal(err)
	}
	buf, err = AppendImage(buf, b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf, prefix) {
		t.Fatal("AppendImage changed the bytes already in dst")
	}
	rest := buf[len(prefix):]
	for _, want := range []*chip.Program{a, b} {
		p, n, err := Parse(rest)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p, want) {
			t.Fatalf("image %q: %s", want.Name, firstDiff(p, want))
		}
		rest = rest[n:]
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes left", len(rest))
	}
}

func TestAppendImageDoesNotModifyProgram(t *testing.T) {
	p, q := splitProgram(), splitProgram()
	mustAppend(t, p)
	if !reflect.DeepEqual(p, q) {
		t.Fatal(firstDiff(p, q))
	}
}

func TestAppendImageRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *chip.Program)
		want   string
		chip   bool // the chip's Validate error is wrapped
	}{
		{"nil", nil, "image: no program (nil)", false},
		{"invalid", func(p *chip.Program) { p.Contexts = 0 },
			"image: cannot encode the program: chip: program: 0 contexts; the chip runs 1 to 1 (Config.MaxContexts)", true},
		{"weight", func(p *chip.Program) { p.Tiles[1].Blocks[0].W[0] = 1 << 40 },
			"image: cannot encode the program: chip: program: tile 1 block 0 (projection 0, x→y): weight (0, 0) = 1099511627776 raw does not fit w_mem Q2.29; raise the projection's WeightExp", true},
		{"ignored route field", func(p *chip.Program) { p.Tiles[0].Routes[0].Projection = 1 << 40 },
			"image: tile 0 route 0: population 0 or projection 1099511627776 (the one the route's kind ignores) does not fit the image's 32-bit field; set it to 0", false},
		{"input γ exponent", func(p *chip.Program) { p.Populations[0].Gamma.Exp = 1 << 40 },
			"image: γ exponent of a population = 1099511627776 does not fit the image's 32-bit signed field; use a smaller value", false},
		{"long name", func(p *chip.Program) { p.Name = strings.Repeat("n", 70000) },
			"image: Program.Name is 70000 bytes long; the image holds at most 65535, shorten it", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p *chip.Program
			if tc.change != nil {
				p = tinyProgram()
				tc.change(p)
			}
			dst := []byte{1, 2, 3}
			out, err := AppendImage(dst, p)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v does not match ErrInvalid", err)
			}
			if ke, ok := err.(*kindError); !ok || tc.chip != (ke.cause != nil) {
				t.Errorf("wraps the chip's error: %v, want %v", ok && ke.cause != nil, tc.chip)
			}
			if !bytes.Equal(out, dst) {
				t.Errorf("dst became %v", out)
			}
		})
	}
}

// section is one section of an image, for tests that rebuild images.
type section struct {
	typ      SectionType
	reserved uint16
	payload  []byte
}

// split returns an image's header and sections (it trusts the lengths).
func split(img []byte) (Header, []section) {
	h, err := ParseHeader(img)
	if err != nil {
		panic(err)
	}
	var secs []section
	for off := HeaderSize; off < int(h.Length); {
		n := int(binary.LittleEndian.Uint32(img[off+4:]))
		secs = append(secs, section{SectionType(binary.LittleEndian.Uint16(img[off:])), binary.LittleEndian.Uint16(img[off+2:]),
			slices.Clone(img[off+8 : off+8+n])})
		off += 12 + n
	}
	return h, secs
}

// join builds an image from sections with correct lengths and CRCs; the header's
// version and flags come from h.
func join(h Header, secs []section) []byte {
	body := []byte{}
	for _, s := range secs {
		at := len(body)
		body = binary.LittleEndian.AppendUint16(body, uint16(s.typ))
		body = binary.LittleEndian.AppendUint16(body, s.reserved)
		body = binary.LittleEndian.AppendUint32(body, uint32(len(s.payload)))
		body = append(body, s.payload...)
		body = binary.LittleEndian.AppendUint32(body, crc32.ChecksumIEEE(body[at:]))
	}
	h.Length = uint64(HeaderSize + len(body))
	h.Sections = uint32(len(secs))
	h.BodyCRC = crc32.ChecksumIEEE(body)
	return append(appendHeader(nil, h), body...)
}

// reseal recomputes every CRC, length-consistent image or not: each section's CRC over
// the bytes its length field covers, the body CRC and the header CRC. Images whose
// section lengths do not fit are resealed as far as they go.
func reseal(img []byte) []byte {
	img = slices.Clone(img)
	if len(img) < HeaderSize {
		return img
	}
	le := binary.LittleEndian
	end := len(img)
	if l := le.Uint64(img[16:]); l >= HeaderSize && l < uint64(end) {
		end = int(l)
	}
	for off := HeaderSize; off+12 <= end; {
		n := int(le.Uint32(img[off+4:]))
		if n > end-off-12 {
			break
		}
		le.PutUint32(img[off+8+n:], crc32.ChecksumIEEE(img[off:off+8+n]))
		off += 12 + n
	}
	le.PutUint32(img[28:], crc32.ChecksumIEEE(img[HeaderSize:end]))
	le.PutUint32(img[32:], crc32.ChecksumIEEE(img[:32]))
	return img
}

func TestSplitJoin(t *testing.T) {
	img := mustAppend(t, splitProgram())
	h, secs := split(img)
	if got := join(h, secs); !bytes.Equal(got, img) {
		t.Fatal("join(split(img)) != img")
	}
	if got := reseal(img); !bytes.Equal(got, img) {
		t.Fatal("reseal changed a valid image")
	}
	if len(secs) != 6+3*4 {
		t.Fatalf("%d sections, want %d", len(secs), 6+3*4)
	}
}

// TestMinorRevision: sections of unknown types (a newer minor revision's) are skipped
// by length wherever they appear, and a newer minor version and optional flags are
// accepted.
func TestMinorRevision(t *testing.T) {
	p := splitProgram()
	h, secs := split(mustAppend(t, p))
	unknown := func(typ SectionType, n int) section {
		return section{typ: typ, reserved: 7, payload: bytes.Repeat([]byte{0xee}, n)}
	}
	secs = slices.Insert(secs, 6, unknown(0x7f, 13))
	secs = slices.Insert(secs, 0, unknown(0xffff, 0))
	secs = append(secs, unknown(0x20, 1000))
	h.Minor = FormatMinor + 3
	h.Flags = 0xabcc0000 // optional flags only, not ours (FlagStaticErrorBus is bit 16)
	img := join(h, secs)
	got, n, err := Parse(img)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(img) || !reflect.DeepEqual(got, p) {
		t.Fatalf("n = %d of %d; %s", n, len(img), firstDiff(got, p))
	}
	var dump bytes.Buffer
	if err := Dump(&dump, img); err != nil {
		t.Fatal(err)
	}
	if c := strings.Count(dump.String(), "payload (unknown type, skipped)"); c != 3 {
		t.Errorf("dump lists %d skipped payloads, want 3", c)
	}
}

func TestParseTrailingBytes(t *testing.T) {
	img := mustAppend(t, tinyProgram())
	p, n, err := Parse(append(slices.Clone(img), "trailing"...))
	if err != nil || n != len(img) || p.Name != "tiny" {
		t.Fatalf("n = %d, err = %v", n, err)
	}
}

func TestParseDoesNotRetainBuffer(t *testing.T) {
	img := mustAppend(t, splitProgram())
	p, _, err := Parse(img)
	if err != nil {
		t.Fatal(err)
	}
	for i := range img {
		img[i] = 0xff
	}
	if q := splitProgram(); !reflect.DeepEqual(p, q) {
		t.Fatal(firstDiff(p, q))
	}
}

// TestStaticErrorBusFlag: a program on the static error bus sets the optional header
// flag (and only it), which brings it back; the default block bus sets none, so its
// images are those written before the flag existed.
func TestStaticErrorBusFlag(t *testing.T) {
	p := tinyProgram()
	img := roundTrip(t, p)
	if h, _ := ParseHeader(img); h.Flags != 0 {
		t.Errorf("block bus: flags %#x, want 0", h.Flags)
	}
	p.Config.ErrorBus = chip.ErrorBusStatic
	img = roundTrip(t, p)
	if h, _ := ParseHeader(img); h.Flags != FlagStaticErrorBus {
		t.Errorf("static bus: flags %#x, want %#x", h.Flags, FlagStaticErrorBus)
	}
}
