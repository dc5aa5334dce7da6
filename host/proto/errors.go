package proto

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error this package returns matches one of them with errors.Is.
var (
	// ErrIncomplete: buf holds no 0x00 delimiter yet; read more bytes and try again.
	ErrIncomplete = errors.New("proto: incomplete frame (no 0x00 delimiter yet); read more bytes")
	// ErrEmpty: two delimiters in a row. Harmless; skip it.
	ErrEmpty = errors.New("proto: empty frame")
	// ErrCOBS: the bytes between two delimiters are not valid COBS (line noise).
	ErrCOBS = errors.New("proto: malformed COBS")
	// ErrShort: the frame is too short to hold a header and a CRC (line noise).
	ErrShort = errors.New("proto: frame too short")
	// ErrLength: the header's payload length disagrees with the frame's size.
	ErrLength = errors.New("proto: payload length mismatch")
	// ErrCRC: the CRC does not match; the frame was damaged on the line.
	ErrCRC = errors.New("proto: crc mismatch")
	// ErrVersion: the frame is intact but speaks another protocol version.
	ErrVersion = errors.New("proto: protocol version mismatch")
	// ErrPayload: a link-level message's payload (HELLO, ACK, NACK, RESPONSE) is malformed.
	ErrPayload = errors.New("proto: malformed payload")
	// ErrTooLarge: a payload is longer than MaxPayload.
	ErrTooLarge = errors.New("proto: payload too large")
)

// FrameError is a damaged frame: bad COBS, too short, wrong length or wrong CRC.
// Kind is one of ErrCOBS, ErrShort, ErrLength, ErrCRC.
type FrameError struct {
	Kind   error
	Detail string
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("%v: %s; check the baud rate and the cable", e.Kind, e.Detail)
}

func (e *FrameError) Unwrap() error { return e.Kind }

func errCOBS(at int, what string) error {
	return &FrameError{Kind: ErrCOBS, Detail: fmt.Sprintf("%s at byte %d", what, at)}
}

// CRCError is a frame whose CRC does not match its header and payload.
type CRCError struct {
	Got, Want uint16
}

func (e *CRCError) Error() string {
	return fmt.Sprintf("proto: crc mismatch (got 0x%04x, want 0x%04x); check the baud rate and the cable", e.Got, e.Want)
}

func (e *CRCError) Is(target error) bool { return target == ErrCRC }

// VersionError is an intact frame of another protocol version.
type VersionError struct {
	Got, Want uint8
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("proto: peer speaks protocol version %d, this side speaks %d; update the host software or the board firmware so they match", e.Got, e.Want)
}

func (e *VersionError) Is(target error) bool { return target == ErrVersion }

func errPayload(t Type, format string, args ...any) error {
	return fmt.Errorf("%w: %v: %s", ErrPayload, t, fmt.Sprintf(format, args...))
}
