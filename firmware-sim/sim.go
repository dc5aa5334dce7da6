package firmwaresim

import (
	"context"
	"errors"
	"os"
	"sync"

	"github.com/glemu/glemu/firmware-sim/pty"
)

// Sim is a firmware simulator serving on a pseudo-terminal: a host opens Path as it
// would a board's serial port.
type Sim struct {
	// Path is the device the host opens, like /dev/pts/3.
	Path     string
	Firmware *Firmware

	p      *pty.Pty
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

// StartPty opens a pty and serves the firmware of a board described by cfg on it until
// Close. Hosts may open, close and reopen Path.
func StartPty(cfg Config) (*Sim, error) {
	f, err := New(cfg)
	if err != nil {
		return nil, err
	}
	p, err := pty.Open()
	if err != nil {
		f.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sim{Path: p.SlavePath, Firmware: f, p: p, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		err := f.Serve(ctx, p.Master)
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}()
	return s, nil
}

// Done is closed when the simulator has stopped serving (Close, or the pty failed);
// Err then says why.
func (s *Sim) Done() <-chan struct{} { return s.done }

// Err returns why serving stopped, nil after Close.
func (s *Sim) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close stops serving, closes the pty and releases the chip.
func (s *Sim) Close() error {
	s.cancel()
	<-s.done
	err := s.p.Close()
	if errors.Is(err, os.ErrClosed) {
		err = nil // serving closed the master already
	}
	s.Firmware.Close()
	return err
}
