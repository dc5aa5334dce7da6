package proto

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// MaxWindow is the largest number of frames a side may advertise in its HELLO: the
// ACK's selective-acknowledgement bitmap covers that many frames past the next expected.
const MaxWindow = 64

// Hello is the payload of a HELLO without FlagError: what one side tells the other
// about itself. The initiator picks Nonce; the responder echoes it.
type Hello struct {
	Nonce      uint32 // session identifier: a new nonce starts a new session
	MaxPayload uint16 // largest payload this side accepts in one frame
	RxBuffer   uint32 // bytes of received frames (HeaderLen + payload each) this side holds before consuming them
	Window     uint16 // frames this side holds before consuming them, 1…MaxWindow
	Config     []byte // opaque: the command layer's description of the chip; aliases the parsed buffer
}

// HelloLen is the size of a HELLO payload before its Config.
const HelloLen = 12

// AppendHello appends h as a HELLO payload.
func AppendHello(dst []byte, h Hello) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, h.Nonce)
	dst = binary.LittleEndian.AppendUint16(dst, h.MaxPayload)
	dst = binary.LittleEndian.AppendUint32(dst, h.RxBuffer)
	dst = binary.LittleEndian.AppendUint16(dst, h.Window)
	return append(dst, h.Config...)
}

// ParseHello decodes a HELLO payload (without FlagError). Config aliases p.
func ParseHello(p []byte) (Hello, error) {
	if len(p) < HelloLen {
		return Hello{}, errPayload(TypeHello, "%d bytes, need at least %d", len(p), HelloLen)
	}
	h := Hello{
		Nonce:      binary.LittleEndian.Uint32(p),
		MaxPayload: binary.LittleEndian.Uint16(p[4:]),
		RxBuffer:   binary.LittleEndian.Uint32(p[6:]),
		Window:     binary.LittleEndian.Uint16(p[10:]),
		Config:     p[HelloLen:],
	}
	if h.Window == 0 || h.Window > MaxWindow {
		return Hello{}, errPayload(TypeHello, "window %d outside 1…%d", h.Window, MaxWindow)
	}
	if h.MaxPayload == 0 {
		return Hello{}, errPayload(TypeHello, "max payload 0")
	}
	if h.RxBuffer < HeaderLen+uint32(h.MaxPayload) {
		return Hello{}, errPayload(TypeHello, "receive buffer %d bytes cannot hold one %d-byte frame", h.RxBuffer, HeaderLen+int(h.MaxPayload))
	}
	return h, nil
}

// Ack is a receiver's state, the payload of an ACK and the start of a NACK's.
type Ack struct {
	Next     uint16 // every frame before Next has been received
	Consumed uint16 // every frame before Consumed has left the receive buffer
	// SACK bit i set: frame Next+1+i has been received too (selective acknowledgement).
	SACK uint64
}

// AckLen is the size of an ACK payload.
const AckLen = 12

// AppendAck appends a as an ACK payload.
func AppendAck(dst []byte, a Ack) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, a.Next)
	dst = binary.LittleEndian.AppendUint16(dst, a.Consumed)
	return binary.LittleEndian.AppendUint64(dst, a.SACK)
}

// ParseAck decodes an ACK payload.
func ParseAck(p []byte) (Ack, error) {
	if len(p) != AckLen {
		return Ack{}, errPayload(TypeAck, "%d bytes, want %d", len(p), AckLen)
	}
	return parseAck(p)
}

func parseAck(p []byte) (Ack, error) {
	a := Ack{
		Next:     binary.LittleEndian.Uint16(p),
		Consumed: binary.LittleEndian.Uint16(p[2:]),
		SACK:     binary.LittleEndian.Uint64(p[4:]),
	}
	if d := a.Next - a.Consumed; d > MaxWindow {
		return Ack{}, errPayload(TypeAck, "next %d is %d frames past consumed %d, more than any window", a.Next, d, a.Consumed)
	}
	return a, nil
}

// Reason says why a NACK was sent.
type Reason uint8

const (
	// ReasonDamaged: a damaged frame arrived (bad CRC, COBS or length). Seq is the
	// receiver's next expected frame; the sender resends its oldest unacknowledged
	// frame that the receiver's state does not cover, at once rather than after a timeout.
	ReasonDamaged Reason = 1
	// ReasonRefused: the frame Seq of type Type is refused and will be refused again
	// (unknown type, payload over the advertised maximum); the text says why.
	ReasonRefused Reason = 2
	// ReasonNoSession: a sequenced frame arrived outside a session (the board was
	// reset or restarted); the sender must say HELLO again.
	ReasonNoSession Reason = 3
)

func (r Reason) String() string {
	switch r {
	case ReasonDamaged:
		return "damaged"
	case ReasonRefused:
		return "refused"
	case ReasonNoSession:
		return "no session"
	}
	return fmt.Sprintf("reason %d", uint8(r))
}

// Nack is the payload of a NACK: the receiver's state, the frame concerned and why.
type Nack struct {
	Ack
	Seq    uint16 // the frame concerned
	Type   Type   // its type, when known (refused frames)
	Reason Reason
	Text   string // UTF-8, for people; may be empty
}

// NackLen is the size of a NACK payload before its text.
const NackLen = AckLen + 4

// AppendNack appends n as a NACK payload.
func AppendNack(dst []byte, n Nack) []byte {
	dst = AppendAck(dst, n.Ack)
	dst = binary.LittleEndian.AppendUint16(dst, n.Seq)
	dst = append(dst, byte(n.Type), byte(n.Reason))
	return append(dst, n.Text...)
}

// ParseNack decodes a NACK payload.
func ParseNack(p []byte) (Nack, error) {
	if len(p) < NackLen {
		return Nack{}, errPayload(TypeNack, "%d bytes, need at least %d", len(p), NackLen)
	}
	a, err := parseAck(p)
	if err != nil {
		return Nack{}, errPayload(TypeNack, "%v", err)
	}
	n := Nack{Ack: a, Seq: binary.LittleEndian.Uint16(p[AckLen:]), Type: Type(p[AckLen+2]), Reason: Reason(p[AckLen+3])}
	if n.Reason < ReasonDamaged || n.Reason > ReasonNoSession {
		return Nack{}, errPayload(TypeNack, "unknown reason %d", p[AckLen+3])
	}
	text := p[NackLen:]
	if !utf8.Valid(text) {
		return Nack{}, errPayload(TypeNack, "text is not UTF-8")
	}
	n.Text = string(text)
	return n, nil
}

// ResponseLen is the size of a RESPONSE payload before its body: the request's seq.
const ResponseLen = 2

// AppendResponse appends a RESPONSE payload answering the request with sequence number
// ref. With FlagError set on the frame, body is the error text.
func AppendResponse(dst []byte, ref uint16, body []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, ref)
	return append(dst, body...)
}

// ParseResponse splits a RESPONSE payload into the request's seq and the body, which
// aliases p.
func ParseResponse(p []byte) (ref uint16, body []byte, err error) {
	if len(p) < ResponseLen {
		return 0, nil, errPayload(TypeResponse, "%d bytes, need at least %d", len(p), ResponseLen)
	}
	return binary.LittleEndian.Uint16(p), p[ResponseLen:], nil
}
