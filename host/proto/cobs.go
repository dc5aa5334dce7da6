package proto

// COBS (Consistent Overhead Byte Stuffing, Cheshire and Baker 1999) turns any byte string
// into one without 0x00, at a cost of one byte plus one byte per 254 bytes of input.
// Each block starts with a code byte c (1…255): c−1 non-zero data bytes follow, and,
// unless c is 255 or the block ends the input, an implicit 0x00.

// MaxCOBSLen returns the largest encoded length of n input bytes (without delimiter).
func MaxCOBSLen(n int) int { return n + n/254 + 1 }

// cobsEncoder appends the COBS encoding of a byte string given in several pieces, so
// AppendFrame can encode header, payload and CRC without first joining them.
type cobsEncoder struct {
	dst  []byte
	code int  // index in dst of the current block's code byte
	full bool // the current block was opened because the previous one was full
}

func newCOBSEncoder(dst []byte) cobsEncoder {
	e := cobsEncoder{dst: dst, code: len(dst)}
	e.dst = append(e.dst, 1)
	return e
}

func (e *cobsEncoder) write(src []byte) {
	for _, b := range src {
		if b == 0 {
			e.code, e.full = len(e.dst), false
			e.dst = append(e.dst, 1)
			continue
		}
		e.dst = append(e.dst, b)
		e.dst[e.code]++
		if e.dst[e.code] == 0xFF {
			e.code, e.full = len(e.dst), true
			e.dst = append(e.dst, 1)
		}
	}
}

// finish returns the encoding. An empty last block opened only because the one before
// it was full is dropped, as the canonical encoding does (it would decode to nothing).
func (e *cobsEncoder) finish() []byte {
	if e.full && e.code == len(e.dst)-1 {
		e.dst = e.dst[:e.code]
	}
	return e.dst
}

// AppendCOBS appends the COBS encoding of src (without the 0x00 delimiter) to dst.
func AppendCOBS(dst, src []byte) []byte {
	e := newCOBSEncoder(dst)
	e.write(src)
	return e.finish()
}

// DecodeCOBS appends the decoding of the COBS block sequence src (without delimiter) to
// dst and returns the extended slice. dst may be src[:0]: decoding in place is safe,
// since the output never overtakes the input. It returns an error matching ErrCOBS if
// src holds a 0x00 or a block runs past the end.
func DecodeCOBS(dst, src []byte) ([]byte, error) {
	for i := 0; i < len(src); {
		c := int(src[i])
		if c == 0 {
			return dst, errCOBS(i, "a 0x00 inside the frame")
		}
		i++
		end := i + c - 1
		if end > len(src) {
			return dst, errCOBS(i-1, "block runs past the end")
		}
		for j := i; j < end; j++ {
			if src[j] == 0 {
				return dst, errCOBS(j, "a 0x00 inside the frame")
			}
		}
		dst = append(dst, src[i:end]...)
		i = end
		if c < 0xFF && i < len(src) {
			dst = append(dst, 0)
		}
	}
	return dst, nil
}
