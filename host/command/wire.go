package command

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// ErrMalformed is matched (errors.Is) by every error for a payload that does not decode:
// too short, too long, a count beyond the bytes present, a field out of range.
var ErrMalformed = errors.New("command: malformed payload")

// reader decodes a payload field by field. The first problem is sticky: later reads
// return zero values, and err says what and where.
type reader struct {
	what string // the message, for errors
	b    []byte
	off  int
	err  error
}

func newReader(what string, b []byte) *reader { return &reader{what: what, b: b} }

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: byte %d: %s", ErrMalformed, r.what, r.off, fmt.Sprintf(format, args...))
	}
}

// take returns the next n bytes, or nil (and an error) if fewer remain.
func (r *reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.fail("%s needs %d bytes, %d remain", field, n, len(r.b)-r.off)
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) u8(field string) uint8 {
	if p := r.take(1, field); p != nil {
		return p[0]
	}
	return 0
}

func (r *reader) u16(field string) uint16 {
	if p := r.take(2, field); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (r *reader) u32(field string) uint32 {
	if p := r.take(4, field); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (r *reader) u64(field string) uint64 {
	if p := r.take(8, field); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (r *reader) f64(field string) float64 { return math.Float64frombits(r.u64(field)) }

func (r *reader) uvarint(field string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("%s is not a valid uvarint", field)
		return 0
	}
	r.off += n
	return v
}

func (r *reader) varint(field string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("%s is not a valid varint", field)
		return 0
	}
	r.off += n
	return v
}

// count reads a uvarint count of items that take at least minSize bytes each, and
// refuses one the remaining bytes cannot hold, so that no decoder allocates for a count
// the payload does not back.
func (r *reader) count(field string, minSize int) int {
	n := r.uvarint(field)
	if r.err != nil {
		return 0
	}
	if rest := uint64(len(r.b) - r.off); n > rest/uint64(max(minSize, 1)) {
		r.fail("%s %d exceeds what the %d remaining bytes hold", field, n, rest)
		return 0
	}
	return int(n)
}

// str8 reads a string of at most 255 bytes: a u8 length, then UTF-8.
func (r *reader) str8(field string) string {
	n := int(r.u8(field + " length"))
	p := r.take(n, field)
	if p == nil {
		return ""
	}
	if !utf8.Valid(p) {
		r.fail("%s is not UTF-8", field)
		return ""
	}
	return string(p)
}

// str reads a string with a uvarint length.
func (r *reader) str(field string) string {
	n := r.count(field+" length", 1)
	p := r.take(n, field)
	if p == nil {
		return ""
	}
	if !utf8.Valid(p) {
		r.fail("%s is not UTF-8", field)
		return ""
	}
	return string(p)
}

// rest returns every remaining byte.
func (r *reader) rest() []byte {
	if r.err != nil {
		return nil
	}
	p := r.b[r.off:]
	r.off = len(r.b)
	return p
}

// done reports the first error, or an error if bytes remain.
func (r *reader) done() error {
	if r.err == nil && r.off != len(r.b) {
		r.fail("%d bytes after the end", len(r.b)-r.off)
	}
	return r.err
}

func appendU16(dst []byte, v uint16) []byte  { return binary.LittleEndian.AppendUint16(dst, v) }
func appendU32(dst []byte, v uint32) []byte  { return binary.LittleEndian.AppendUint32(dst, v) }
func appendU64(dst []byte, v uint64) []byte  { return binary.LittleEndian.AppendUint64(dst, v) }
func appendF64(dst []byte, v float64) []byte { return appendU64(dst, math.Float64bits(v)) }

// appendStr8 appends s as a str8, cut to 255 bytes (at a rune boundary).
func appendStr8(dst []byte, s string) []byte {
	if len(s) > 255 {
		s = s[:255]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	dst = append(dst, byte(len(s)))
	return append(dst, s...)
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendInts appends a list of non-negative ints: a uvarint of len+1 (0 stands for nil,
// "all"), then the values as uvarints.
func appendInts(dst []byte, v []int) []byte {
	if v == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(v))+1)
	for _, x := range v {
		dst = binary.AppendUvarint(dst, uint64(max(x, 0)))
	}
	return dst
}

func (r *reader) ints(field string) []int {
	n := r.uvarint(field + " count")
	if r.err != nil || n == 0 {
		return nil
	}
	n--
	if n > uint64(len(r.b)-r.off) {
		r.fail("%s count %d exceeds the remaining bytes", field, n)
		return nil
	}
	out := make([]int, n)
	for i := range out {
		v := r.uvarint(field)
		if v > math.MaxInt32 {
			r.fail("%s value %d is too large", field, v)
		}
		out[i] = int(v)
	}
	return out
}

// appendRaw appends the low k bytes of v, little-endian two's complement: a raw value
// of a k-byte format.
func appendRaw(dst []byte, v int64, k int) []byte {
	for i := range k {
		dst = append(dst, byte(uint64(v)>>(8*i)))
	}
	return dst
}

// getRaw reads a k-byte raw value, sign-extended if signed.
func getRaw(p []byte, k int, signed bool) int64 {
	var u uint64
	for i := range k {
		u |= uint64(p[i]) << (8 * i)
	}
	if signed && k < 8 {
		shift := 64 - 8*k
		return int64(u<<shift) >> shift
	}
	return int64(u)
}
