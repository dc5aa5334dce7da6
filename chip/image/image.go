package image

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
)

// FormatMinor is the minor revision of the format this package writes. A minor revision
// only adds section types (which older readers skip by length) or optional flags; a
// change an older reader would misread takes a new FormatVersion.
const FormatMinor = 0

// HeaderSize is the length of the fixed header that starts every image.
const HeaderSize = 36

// Magic is the first eight bytes of every image. Like PNG's signature, it holds a
// non-ASCII byte, a CR LF pair and a DOS end-of-file byte, so an image mangled by a
// text-mode copy (7-bit stripping, line-ending conversion) is refused at once.
const Magic = "\x89GLE\r\n\x1a\n"

// Section framing: type (2 bytes), reserved (2), payload length (4), payload, CRC (4).
const (
	sectionHead     = 8
	sectionOverhead = sectionHead + 4
)

// requiredFlags are the header flag bits a reader must understand; bits outside the mask
// are optional and ignored. Format 1.0 defines no required flag.
const requiredFlags = 0x0000ffff

// FlagStaticErrorBus (optional) marks a program whose Config.ErrorBus is
// chip.ErrorBusStatic. Without it a program runs the block error bus (the default);
// readers from before the block bus ignore the bit and run the static bus, which is
// what the bit asks for.
const FlagStaticErrorBus = 1 << 16

// SectionType identifies a section's payload.
type SectionType uint16

// The section types of format 1.0, in the order an image holds them. Types not listed
// here (a newer minor revision's) are skipped by length.
const (
	SectionConfig      SectionType = 1    // chip.Config without its formats
	SectionFormats     SectionType = 2    // chip.Config.Formats, the fixedpoint table
	SectionProgram     SectionType = 3    // name, seed, dt, contexts, error mode
	SectionPopulations SectionType = 4    // populations without their per-neuron values
	SectionProjections SectionType = 5    // projections
	SectionLearning    SectionType = 6    // loss and learning registers
	SectionNeurons     SectionType = 0x10 // one tile's slots with their neuron constants
	SectionWeights     SectionType = 0x11 // one tile's weight blocks
	SectionRoutes      SectionType = 0x12 // one tile's routing table
)

// String names the section type as errors and dumps do.
func (t SectionType) String() string {
	switch t {
	case SectionConfig:
		return "config"
	case SectionFormats:
		return "formats"
	case SectionProgram:
		return "program"
	case SectionPopulations:
		return "populations"
	case SectionProjections:
		return "projections"
	case SectionLearning:
		return "learning"
	case SectionNeurons:
		return "neurons"
	case SectionWeights:
		return "weights"
	case SectionRoutes:
		return "routes"
	}
	return "unknown type 0x" + strconv.FormatUint(uint64(t), 16)
}

// Sentinel errors; every error of Parse, Read and Load matches exactly one of them with
// errors.Is. The messages themselves name the section, the byte offset and what to do.
var (
	// ErrNotImage: the bytes do not start with Magic.
	ErrNotImage = errors.New("image: not a glemu image")
	// ErrTruncated: the image ends before the length its header gives.
	ErrTruncated = errors.New("image: truncated")
	// ErrCorrupt: a CRC mismatch, or a structure no encoder writes.
	ErrCorrupt = errors.New("image: corrupted")
	// ErrNewer: the image needs a newer glemu (a newer major version or a required
	// flag this version does not know).
	ErrNewer = errors.New("image: newer format")
	// ErrInvalid: the image decodes, but the chip refuses its program
	// (chip.Program.Validate), or AppendImage was given a program the chip refuses.
	ErrInvalid = errors.New("image: invalid program")
)

// kindError is an error with a full message that matches one sentinel (and, for
// ErrInvalid, the chip's own error).
type kindError struct {
	msg   string
	kind  error
	cause error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

// advice is what each kind of error tells the user to do.
func advice(kind error) string {
	switch kind {
	case ErrTruncated:
		return "the image is truncated, re-copy it"
	case ErrCorrupt:
		return "the image is corrupted, recompile or re-copy it"
	case ErrNewer:
		return "upgrade glemu"
	case ErrInvalid:
		return "recompile the program with this glemu"
	}
	return "give a file written by glemu compile or image.Save"
}

func newError(kind error, format string, args ...any) error {
	return &kindError{msg: "image: " + fmt.Sprintf(format, args...) + "; " + advice(kind), kind: kind}
}

// wrapError is newError that also matches cause.
func wrapError(kind, cause error, format string, args ...any) error {
	e := newError(kind, format, args...).(*kindError)
	e.cause = cause
	return e
}

// plural gives "1 byte", "2 bytes".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// Header is the fixed header at the start of every image. A loader that receives an
// image in chunks reads the first HeaderSize bytes with ParseHeader, learns from it how
// many bytes follow and their CRC, and can verify the rest as it arrives (see
// docs/image-format.md, "Loading in chunks").
type Header struct {
	Major, Minor uint16 // format version; Major ≤ FormatVersion is readable
	Flags        uint32 // FlagStaticErrorBus or 0
	Length       uint64 // bytes of the whole image, header included
	Sections     uint32 // number of sections after the header
	// BodyCRC is the image's CRC: CRC-32/IEEE of bytes HeaderSize…Length−1, every
	// section. The header's own CRC (bytes 32…35) protects it and the other fields, so
	// the two together verify every byte of the image.
	BodyCRC uint32
}

// ParseHeader decodes and checks the header at the start of buf: the magic, the version,
// the header's CRC and that its length and section count are consistent. It needs only
// the first HeaderSize bytes; it does not check that the rest of the image is present.
func ParseHeader(buf []byte) (Header, error) {
	var h Header
	n := min(len(buf), len(Magic))
	if string(buf[:n]) != Magic[:n] {
		return h, newError(ErrNotImage, "the first bytes are % x, not the image magic % x", buf[:n], Magic)
	}
	if len(buf) < HeaderSize {
		return h, newError(ErrTruncated, "%d bytes; the header alone is %d", len(buf), HeaderSize)
	}
	le := binary.LittleEndian
	h.Major = le.Uint16(buf[8:])
	h.Minor = le.Uint16(buf[10:])
	h.Flags = le.Uint32(buf[12:])
	h.Length = le.Uint64(buf[16:])
	h.Sections = le.Uint32(buf[24:])
	h.BodyCRC = le.Uint32(buf[28:])
	want := le.Uint32(buf[32:])
	got := crc32.ChecksumIEEE(buf[:32])
	switch {
	case h.Major == 0:
		return h, newError(ErrCorrupt, "header (offset 0x8): format version 0 does not exist")
	case h.Major > FormatVersion:
		// A real image of a newer version carries a CRC over its own version; one whose
		// CRC fits our version had its version field damaged.
		var tmp [32]byte
		copy(tmp[:], buf[:32])
		le.PutUint16(tmp[8:], FormatVersion)
		if got != want && crc32.ChecksumIEEE(tmp[:]) == want {
			return h, newError(ErrCorrupt, "header (offset 0x8): format version %d, but the header crc fits version %d", h.Major, FormatVersion)
		}
		return h, newError(ErrNewer, "format version %d is newer than this glemu (reads %d)", h.Major, FormatVersion)
	case got != want:
		return h, newError(ErrCorrupt, "header (offset 0x0): crc mismatch (got 0x%08x, want 0x%08x)", got, want)
	case h.Flags&requiredFlags != 0:
		return h, newError(ErrNewer, "header flags 0x%08x are not understood by this glemu (reads %d.%d)", h.Flags&requiredFlags, FormatVersion, FormatMinor)
	case h.Length < HeaderSize || h.Length-HeaderSize < uint64(h.Sections)*sectionOverhead:
		return h, newError(ErrCorrupt, "header: %d sections cannot fit an image of %d bytes", h.Sections, h.Length)
	}
	return h, nil
}

// appendHeader appends h with its CRC.
func appendHeader(dst []byte, h Header) []byte {
	start := len(dst)
	dst = append(dst, Magic...)
	dst = binary.LittleEndian.AppendUint16(dst, h.Major)
	dst = binary.LittleEndian.AppendUint16(dst, h.Minor)
	dst = binary.LittleEndian.AppendUint32(dst, h.Flags)
	dst = binary.LittleEndian.AppendUint64(dst, h.Length)
	dst = binary.LittleEndian.AppendUint32(dst, h.Sections)
	dst = binary.LittleEndian.AppendUint32(dst, h.BodyCRC)
	return binary.LittleEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}
