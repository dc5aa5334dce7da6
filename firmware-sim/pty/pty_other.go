//go:build !linux

package pty

import (
	"errors"
	"os"
	"runtime"
)

var errUnsupported = errors.New("pty: not implemented yet on " + runtime.GOOS + "; run the firmware simulator on Linux")

// Pty is an open pseudo-terminal pair (Linux only for now).
type Pty struct {
	Master    *os.File
	SlavePath string
}

// Open is not implemented yet on this system.
func Open() (*Pty, error) { return nil, errUnsupported }

// OpenSlave is not implemented yet on this system.
func OpenSlave(path string) (*os.File, error) { return nil, errUnsupported }

// MakeRaw is not implemented yet on this system.
func MakeRaw(f *os.File) error { return errUnsupported }

// Close does nothing.
func (p *Pty) Close() error { return nil }
