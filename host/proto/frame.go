package proto

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/sigurn/crc16"
)

const (
	// Version is the protocol version this package speaks, byte 0 of every frame.
	Version = 1
	// HeaderLen is the size of the decoded header: version, type, flags, seq (2), length (2).
	HeaderLen = 7
	// CRCLen is the size of the CRC trailer.
	CRCLen = 2
	// MaxPayload is the largest payload the header's length field can describe.
	MaxPayload = 0xFFFF
	// Delimiter ends every frame on the wire.
	Delimiter = 0x00
)

var crcTable = crc16.MakeTable(crc16.CRC16_CCITT_FALSE)

// Frame is one decoded frame. Payload aliases the buffer it was parsed from.
type Frame struct {
	Version uint8 // protocol version; AppendFrame writes it as given (use Version)
	Type    Type
	Flags   Flags
	Seq     uint16 // sequence number in the sender's stream; 0 for unsequenced types
	Payload []byte
}

func (f Frame) String() string {
	return fmt.Sprintf("%v seq %d (%d bytes)", f.Type, f.Seq, len(f.Payload))
}

// MaxFrameLen is the largest number of bytes a frame with a payload of n bytes takes on
// the wire, delimiter included.
func MaxFrameLen(n int) int { return MaxCOBSLen(HeaderLen+n+CRCLen) + 1 }

// CRC returns the CRC-16/CCITT-FALSE of header and payload, as the trailer carries it.
func CRC(header, payload []byte) uint16 {
	c := crc16.Init(crcTable)
	c = crc16.Update(c, header, crcTable)
	c = crc16.Update(c, payload, crcTable)
	return crc16.Complete(c, crcTable)
}

func putHeader(h *[HeaderLen]byte, f *Frame) {
	h[0] = f.Version
	h[1] = byte(f.Type)
	h[2] = byte(f.Flags)
	binary.LittleEndian.PutUint16(h[3:], f.Seq)
	binary.LittleEndian.PutUint16(h[5:], uint16(len(f.Payload)))
}

// AppendFrame appends f as it goes on the wire, COBS(header ‖ payload ‖ crc) and the
// 0x00 delimiter, to dst. It panics if the payload is longer than MaxPayload: callers
// bound payloads by the negotiated maximum before they build a frame.
func AppendFrame(dst []byte, f Frame) []byte {
	if len(f.Payload) > MaxPayload {
		panic(fmt.Sprintf("proto: AppendFrame: %d-byte payload exceeds MaxPayload %d", len(f.Payload), MaxPayload))
	}
	var h [HeaderLen]byte
	putHeader(&h, &f)
	var c [CRCLen]byte
	binary.LittleEndian.PutUint16(c[:], CRC(h[:], f.Payload))
	e := newCOBSEncoder(dst)
	e.write(h[:])
	e.write(f.Payload)
	e.write(c[:])
	return append(e.finish(), Delimiter)
}

// ParseFrame decodes the first frame in buf, which holds bytes as read from the wire. It
// returns the frame and n, the number of bytes up to and including the frame's
// delimiter, which the caller drops before parsing the next frame; n is also set when
// the frame is damaged, so that the caller resynchronises at the next delimiter. With no
// delimiter in buf it returns ErrIncomplete and n = 0.
//
// ParseFrame decodes in place: buf[:n] is overwritten and the frame's Payload aliases it.
// An error matches ErrEmpty, ErrCOBS, ErrShort, ErrLength, ErrCRC (a *CRCError) or
// ErrVersion (a *VersionError; the frame's Version and Type are then set).
func ParseFrame(buf []byte) (Frame, int, error) {
	i := bytes.IndexByte(buf, Delimiter)
	if i < 0 {
		return Frame{}, 0, ErrIncomplete
	}
	if i == 0 {
		return Frame{}, 1, ErrEmpty
	}
	raw, err := DecodeCOBS(buf[:0], buf[:i])
	if err != nil {
		return Frame{}, i + 1, err
	}
	f, err := DecodeFrame(raw)
	return f, i + 1, err
}

// DecodeFrame decodes a frame already stripped of COBS and delimiter: header ‖ payload ‖
// crc. The returned frame's Payload aliases raw.
func DecodeFrame(raw []byte) (Frame, error) {
	if len(raw) < HeaderLen+CRCLen {
		return Frame{}, &FrameError{Kind: ErrShort, Detail: fmt.Sprintf("%d bytes, need at least %d", len(raw), HeaderLen+CRCLen)}
	}
	body := raw[:len(raw)-CRCLen]
	got := binary.LittleEndian.Uint16(raw[len(body):])
	if want := CRC(body[:HeaderLen], body[HeaderLen:]); got != want {
		return Frame{}, &CRCError{Got: got, Want: want}
	}
	f := Frame{Version: body[0], Type: Type(body[1]), Flags: Flags(body[2])}
	if f.Version != Version {
		return f, &VersionError{Got: f.Version, Want: Version}
	}
	f.Seq = binary.LittleEndian.Uint16(body[3:])
	n := int(binary.LittleEndian.Uint16(body[5:]))
	if n != len(body)-HeaderLen {
		return Frame{}, &FrameError{Kind: ErrLength, Detail: fmt.Sprintf("header says %d payload bytes, frame holds %d", n, len(body)-HeaderLen)}
	}
	f.Payload = body[HeaderLen:]
	return f, nil
}
