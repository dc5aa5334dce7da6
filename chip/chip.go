package chip

import "errors"

// Chip is a loaded Program: the state of every tile, stepped by Step.
type Chip struct {
	prog Program
}

// Option configures New.
type Option func(*options)

type options struct {
	workers  int
	analog   *Analog
	learnOff bool
}

// WithWorkers steps tiles on n goroutines (default 1). Results do not depend on n.
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// WithAnalog replaces the program's Config.Analog: the same program on another die.
func WithAnalog(a Analog) Option { return func(o *options) { o.analog = &a } }

// New loads prog (copied) onto a chip. Every dynamic state starts at zero; learning
// is on when the program's Learning switches any parameter kind on.
func New(prog *Program, opts ...Option) (*Chip, error) {
	if prog == nil {
		return nil, errors.New("chip: no program; build one with the compiler or chiptest")
	}
	if err := prog.Validate(); err != nil {
		return nil, err
	}
	return nil, errors.New("chip: not implemented yet: stepping a loaded program")
}
