package host

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/glemu/glemu/host/command"
	"github.com/glemu/glemu/host/link"
)

// More errors of the Device, matched with errors.Is.
var (
	// ErrClosed: the Device was closed.
	ErrClosed = errors.New("host: device closed")
	// ErrNoProgram: the command needs a loaded program and none is.
	ErrNoProgram = command.ErrNoProgram
	// ErrBoard: the board (or the emulator) could not execute a command; the error
	// says why, in the board's words.
	ErrBoard = errors.New("host: the command failed on the device")
	// ErrIncompatible: the board's protocol, command set or chip does not suit this
	// host (or what it was asked to expect).
	ErrIncompatible = link.ErrIncompatible
	// ErrSessionLost: the board was reset or restarted and no longer knows this
	// session; open the device again and restore from a snapshot.
	ErrSessionLost = link.ErrSessionLost
)

// boardError is a command that failed on the board: the board's text, matching
// ErrBoard (and ErrNoProgram when that is what the board said).
type boardError struct {
	op, text string
}

func (e *boardError) Error() string {
	return fmt.Sprintf("host: %s failed on the board: %s", e.op, e.text)
}

func (e *boardError) Is(target error) bool {
	return target == ErrBoard || (target == ErrNoProgram && e.text == ErrNoProgram.Error())
}

// RunError is a run that the link lost: the board stopped answering or the cable was
// pulled. It says which step was the last one the host knows completed, so that a
// caller restores the last snapshot and resumes from there. It matches the link's
// error (ErrTimeout, ErrDisconnected, …).
type RunError struct {
	// LastGoodStep is the chip's step count after the last step whose results the host
	// received.
	LastGoodStep uint64
	Err          error
}

func (e *RunError) Error() string {
	return fmt.Sprintf("host: %s; last good step %s; restore from the snapshot and resume", summary(e.Err), commas(e.LastGoodStep))
}

func (e *RunError) Unwrap() error { return e.Err }

// summary is a link error's message without its package prefix and its advice (which
// RunError replaces with its own).
func summary(err error) string {
	s := strings.TrimPrefix(err.Error(), "link: ")
	if i := strings.Index(s, "; check "); i >= 0 {
		s = s[:i]
	}
	return s
}

// commas formats n with thousands separators: 40000 → "40,000".
func commas(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
