package link

import (
	"errors"
	"fmt"

	"github.com/glemu/glemu/host/proto"
)

// Sentinel errors; callers branch on them with errors.Is. Package host re-exports the
// ones its users need.
var (
	// ErrTimeout: the peer stopped answering (no acknowledgement after the configured
	// number of retransmissions), or a port read timed out.
	ErrTimeout = errors.New("link: timeout")
	// ErrDisconnected: the port failed (end of file, I/O error): the cable was pulled,
	// the board or the firmware simulator went away.
	ErrDisconnected = errors.New("link: disconnected")
	// ErrClosed: the link was closed by Close.
	ErrClosed = errors.New("link: closed")
	// ErrVersionMismatch: the peer speaks another protocol version.
	ErrVersionMismatch = errors.New("link: protocol version mismatch")
	// ErrIncompatible: a HELLO was refused: the other side's capabilities or chip
	// configuration do not suit this side, or the HELLO was malformed.
	ErrIncompatible = errors.New("link: incompatible peer")
	// ErrSessionLost: the peer no longer knows this session (it was reset or restarted).
	ErrSessionLost = errors.New("link: session lost")
	// ErrSessionReset: (responder) the initiator started a new session; whatever the
	// old one was doing is abandoned.
	ErrSessionReset = errors.New("link: session reset by the initiator")
	// ErrNoSession: (responder) there is no session yet to send in.
	ErrNoSession = errors.New("link: no session")
	// ErrTooLarge: a payload is larger than the peer accepts.
	ErrTooLarge = errors.New("link: payload too large")
	// ErrRefused: the peer refused a frame (it will refuse it again).
	ErrRefused = errors.New("link: refused by the peer")
	// ErrRemote: a request failed on the peer; the error is a *RemoteError.
	ErrRemote = errors.New("link: request failed on the peer")
)

// RemoteError is a request that reached the peer and failed there: the peer's handler
// returned an error, whose text is Message.
type RemoteError struct {
	Peer    string // "board" or "host"
	Type    proto.Type
	Seq     uint16
	Message string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("link: %s seq %d failed on the %s: %s", e.Type, e.Seq, e.Peer, e.Message)
}

func (e *RemoteError) Is(target error) bool { return target == ErrRemote }

// linkError is an error that matches a sentinel and reads as a full sentence.
type linkError struct {
	kind error
	msg  string
	err  error // cause, may be nil
}

func (e *linkError) Error() string { return e.msg }

func (e *linkError) Unwrap() []error {
	if e.err != nil {
		return []error{e.kind, e.err}
	}
	return []error{e.kind}
}

func newError(kind error, cause error, format string, args ...any) error {
	return &linkError{kind: kind, err: cause, msg: "link: " + fmt.Sprintf(format, args...)}
}
