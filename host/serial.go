package host

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"time"

	"go.bug.st/serial"

	"github.com/glemu/glemu/host/link"
)

// Errors of the board path, re-exported from package link so users match them without
// importing it.
var (
	// ErrTimeout: the board stopped answering, or a serial read timed out.
	ErrTimeout = link.ErrTimeout
	// ErrDisconnected: the serial port failed (the cable was pulled, the board or the
	// firmware simulator went away).
	ErrDisconnected = link.ErrDisconnected
	// ErrVersionMismatch: the board speaks another protocol version.
	ErrVersionMismatch = link.ErrVersionMismatch
)

// DefaultBaudRate is the serial line rate used when none is given.
const DefaultBaudRate = 3_000_000

// SerialPort is a serial port opened for a board: 8 data bits, no parity, one stop bit,
// no flow control, raw. It is what package link runs over: Read and Write may be called
// from two goroutines, and Close makes a pending Read return.
type SerialPort struct {
	port     serial.Port
	path     string
	baudRate int
}

// OpenSerial opens the serial device at path (a USB–UART bridge like /dev/ttyUSB0, or
// a pty such as the firmware simulator's /dev/pts/N, which no listing shows) at
// baudRate bits per second. readTimeout > 0 makes a Read that gets no byte in that time
// return an error matching ErrTimeout (package link then simply reads again); 0 lets a
// Read wait until a byte comes or the port is closed.
func OpenSerial(path string, baudRate int, readTimeout time.Duration) (*SerialPort, error) {
	if baudRate <= 0 {
		return nil, fmt.Errorf("host: baud rate %d for %s; use a positive rate such as 115200 or %d", baudRate, path, DefaultBaudRate)
	}
	p, err := serial.Open(path, &serial.Mode{BaudRate: baudRate, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, serialOpenError(path, baudRate, err)
	}
	timeout := serial.NoTimeout
	if readTimeout > 0 {
		timeout = readTimeout
	}
	if err := p.SetReadTimeout(timeout); err != nil {
		p.Close()
		return nil, fmt.Errorf("host: %s: set the read timeout to %v: %w", path, readTimeout, err)
	}
	return &SerialPort{port: p, path: path, baudRate: baudRate}, nil
}

func serialOpenError(path string, baudRate int, err error) error {
	var pe *serial.PortError
	if errors.As(err, &pe) {
		switch pe.Code() {
		case serial.PortBusy:
			return fmt.Errorf("host: open %s: the port is busy; close the other program that uses it: %w", path, err)
		case serial.PermissionDenied:
			return fmt.Errorf("host: open %s: permission denied; add your user to the group that owns it (often dialout) and log in again: %w", path, err)
		case serial.InvalidSpeed:
			return fmt.Errorf("host: open %s: %d baud is not supported by this port; choose another rate (115200, 1000000, 3000000): %w", path, baudRate, err)
		case serial.PortNotFound:
			return fmt.Errorf("host: open %s: %w: no such serial port; check the cable and the path (the board list shows the candidates)", path, ErrNoBoard)
		case serial.InvalidSerialPort:
			return fmt.Errorf("host: open %s: not a serial port: %w", path, err)
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("host: open %s: %w: no such serial port; check the cable and the path (the board list shows the candidates)", path, ErrNoBoard)
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("host: open %s: permission denied; add your user to the group that owns it (often dialout) and log in again: %w", path, err)
	}
	return fmt.Errorf("host: open %s: %w", path, err)
}

// Path is the device path.
func (p *SerialPort) Path() string { return p.path }

// BaudRate is the line rate in bits per second.
func (p *SerialPort) BaudRate() int { return p.baudRate }

// timeoutError is a read that got no byte in time: go.bug.st/serial reports it as (0, nil).
type timeoutError struct{ path string }

func (e timeoutError) Error() string {
	return fmt.Sprintf("host: %s: read timed out", e.path)
}
func (e timeoutError) Is(target error) bool { return target == ErrTimeout }
func (e timeoutError) Timeout() bool        { return true }

// Read reads from the port. A read timeout, which go.bug.st/serial reports as (0, nil),
// is returned as an error matching ErrTimeout.
func (p *SerialPort) Read(b []byte) (int, error) {
	n, err := p.port.Read(b)
	if n == 0 && err == nil && len(b) > 0 {
		return 0, timeoutError{p.path}
	}
	if err != nil {
		return n, fmt.Errorf("host: read %s: %w", p.path, err)
	}
	return n, nil
}

// Write writes to the port.
func (p *SerialPort) Write(b []byte) (int, error) {
	n, err := p.port.Write(b)
	if err != nil {
		return n, fmt.Errorf("host: write %s: %w", p.path, err)
	}
	return n, nil
}

// Close closes the port; a Read in progress returns.
func (p *SerialPort) Close() error { return p.port.Close() }

// ParseSerialURL splits a device name such as "serial:///dev/ttyUSB0?baud=3000000" into
// the device path and the baud rate (DefaultBaudRate when the URL gives none).
func ParseSerialURL(s string) (path string, baudRate int, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "serial" || u.Path == "" || u.Host != "" || u.Opaque != "" {
		return "", 0, fmt.Errorf("host: device %q: want serial:///PATH[?baud=RATE], such as serial:///dev/ttyUSB0?baud=3000000", s)
	}
	baudRate = DefaultBaudRate
	for k, v := range u.Query() {
		if k != "baud" || len(v) != 1 {
			return "", 0, fmt.Errorf("host: device %q: unknown option %q; the only option is baud=RATE", s, k)
		}
		if baudRate, err = strconv.Atoi(v[0]); err != nil || baudRate <= 0 {
			return "", 0, fmt.Errorf("host: device %q: baud %q is not a positive integer", s, v[0])
		}
	}
	return u.Path, baudRate, nil
}
