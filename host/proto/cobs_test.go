package proto

import (
	"bytes"
	"errors"
	"testing"
)

func seqBytes(from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(from + i)
	}
	return b
}

// The examples of the COBS paper and its common test vectors.
func TestCOBS(t *testing.T) {
	tests := []struct {
		name      string
		raw, wire []byte
	}{
		{"empty", []byte{}, []byte{0x01}},
		{"zero", []byte{0x00}, []byte{0x01, 0x01}},
		{"two zeros", []byte{0x00, 0x00}, []byte{0x01, 0x01, 0x01}},
		{"zero inside", []byte{0x11, 0x22, 0x00, 0x33}, []byte{0x03, 0x11, 0x22, 0x02, 0x33}},
		{"no zero", []byte{0x11, 0x22, 0x33, 0x44}, []byte{0x05, 0x11, 0x22, 0x33, 0x44}},
		{"trailing zeros", []byte{0x11, 0x00, 0x00, 0x00}, []byte{0x02, 0x11, 0x01, 0x01, 0x01}},
		{"254 non-zero", seqBytes(1, 254), append([]byte{0xFF}, seqBytes(1, 254)...)},
		{"255 non-zero", seqBytes(1, 255), append(append([]byte{0xFF}, seqBytes(1, 254)...), 0x02, 0xFF)},
		{"zero then 254", append([]byte{0x00}, seqBytes(1, 254)...), append([]byte{0x01, 0xFF}, seqBytes(1, 254)...)},
		{"254 then zero", append(seqBytes(1, 254), 0x00), append(append([]byte{0xFF}, seqBytes(1, 254)...), 0x01, 0x01)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendCOBS([]byte{0xAA}, tt.raw)
			if !bytes.Equal(got[1:], tt.wire) || got[0] != 0xAA {
				t.Fatalf("AppendCOBS(% x)\n got % x\nwant % x", tt.raw, got[1:], tt.wire)
			}
			if len(tt.wire) > MaxCOBSLen(len(tt.raw)) {
				t.Errorf("encoding is %d bytes, MaxCOBSLen(%d) = %d", len(tt.wire), len(tt.raw), MaxCOBSLen(len(tt.raw)))
			}
			dec, err := DecodeCOBS(nil, tt.wire)
			if err != nil || !bytes.Equal(dec, tt.raw) {
				t.Fatalf("DecodeCOBS(% x) = % x, %v; want % x", tt.wire, dec, err, tt.raw)
			}
			inPlace := bytes.Clone(tt.wire)
			dec, err = DecodeCOBS(inPlace[:0], inPlace)
			if err != nil || !bytes.Equal(dec, tt.raw) {
				t.Fatalf("in place: DecodeCOBS(% x) = % x, %v; want % x", tt.wire, dec, err, tt.raw)
			}
		})
	}
}

func TestDecodeCOBSFails(t *testing.T) {
	tests := []struct {
		name string
		wire []byte
		err  string
	}{
		{"zero code", []byte{0x00}, "proto: malformed COBS: a 0x00 inside the frame at byte 0; check the baud rate and the cable"},
		{"zero in block", []byte{0x03, 0x11, 0x00}, "proto: malformed COBS: a 0x00 inside the frame at byte 2; check the baud rate and the cable"},
		{"block past end", []byte{0x05, 0x11, 0x22}, "proto: malformed COBS: block runs past the end at byte 0; check the baud rate and the cable"},
		{"second block past end", []byte{0x02, 0x11, 0x04, 0x22}, "proto: malformed COBS: block runs past the end at byte 2; check the baud rate and the cable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeCOBS(nil, tt.wire)
			if !errors.Is(err, ErrCOBS) || err.Error() != tt.err {
				t.Fatalf("DecodeCOBS(% x) error = %v\nwant %s", tt.wire, err, tt.err)
			}
		})
	}
}

// FuzzCOBSRoundtrip has the shape of encoding/csv's FuzzRoundtrip: whatever goes in
// comes back out, and the encoding never holds the delimiter.
func FuzzCOBSRoundtrip(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add(seqBytes(1, 254))
	f.Add(append(seqBytes(1, 254), 0))
	f.Add(bytes.Repeat([]byte{0xFF}, 600))
	f.Fuzz(func(t *testing.T, raw []byte) {
		enc := AppendCOBS(nil, raw)
		if bytes.IndexByte(enc, 0) >= 0 {
			t.Fatalf("encoding of % x holds 0x00: % x", raw, enc)
		}
		if len(enc) > MaxCOBSLen(len(raw)) {
			t.Fatalf("encoding is %d bytes, more than MaxCOBSLen(%d) = %d", len(enc), len(raw), MaxCOBSLen(len(raw)))
		}
		dec, err := DecodeCOBS(enc[:0], enc)
		if err != nil {
			t.Fatalf("DecodeCOBS: %v", err)
		}
		if !bytes.Equal(dec, raw) {
			t.Fatalf("round trip of % x gave % x", raw, dec)
		}
	})
}

// FuzzDecodeCOBS: arbitrary input never panics, and whatever decodes re-encodes to
// something that decodes to the same bytes.
func FuzzDecodeCOBS(f *testing.F) {
	f.Add([]byte{0x01})
	f.Add([]byte{0xFF, 0x01})
	f.Add([]byte{0x05, 0x11})
	f.Fuzz(func(t *testing.T, wire []byte) {
		dec, err := DecodeCOBS(nil, wire)
		if err != nil {
			if !errors.Is(err, ErrCOBS) {
				t.Fatalf("error %v does not match ErrCOBS", err)
			}
			return
		}
		again, err := DecodeCOBS(nil, AppendCOBS(nil, dec))
		if err != nil || !bytes.Equal(again, dec) {
			t.Fatalf("re-encoding % x: % x, %v", dec, again, err)
		}
	})
}
