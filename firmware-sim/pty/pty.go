//go:build linux

package pty

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Pty is an open pseudo-terminal pair.
type Pty struct {
	// Master is the simulator's end: what is written to it, the host reads from the
	// slave, and the other way round. It supports deadlines.
	Master *os.File
	// SlavePath is the device the host opens, like /dev/pts/3.
	SlavePath string

	slave *os.File // held open: see the package invariants
}

// Open opens a new pseudo-terminal with its slave in raw mode.
func Open() (*Pty, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("pty: open /dev/ptmx: %w; is devpts mounted (mount -t devpts devpts /dev/pts)?", err)
	}
	fail := func(what string, err error) (*Pty, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("pty: %s: %w", what, err)
	}
	// unlockpt: clear the slave's lock. (grantpt has nothing to do on Linux: devpts
	// gives the slave to the opening user.)
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		return fail("unlock the slave (TIOCSPTLCK)", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		return fail("get the slave's number (TIOCGPTN)", err)
	}
	path := fmt.Sprintf("/dev/pts/%d", n)
	slave, err := OpenSlave(path)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	master := os.NewFile(uintptr(fd), "/dev/ptmx")
	return &Pty{Master: master, SlavePath: path, slave: slave}, nil
}

// OpenSlave opens a pty slave (or any tty) at path for reading and writing, in raw mode,
// as an *os.File whose deadlines work. The host side of tests uses it where a real
// program would use a serial port library.
func OpenSlave(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("pty: open %s: %w", path, err)
	}
	if err := MakeRaw(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// MakeRaw puts the terminal f in raw mode, as cfmakeraw(3) does: 8 data bits, no
// parity, no echo, no canonical mode, no signals, no translation of CR or NL, no
// output processing; a read returns as soon as one byte is there.
func MakeRaw(f *os.File) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("pty: %s: %w", f.Name(), err)
	}
	var ierr error
	err = sc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ierr = fmt.Errorf("pty: %s: get termios: %w", f.Name(), err)
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
		t.Cc[unix.VMIN] = 1
		t.Cc[unix.VTIME] = 0
		if err := unix.IoctlSetTermios(int(fd), unix.TCSETS, t); err != nil {
			ierr = fmt.Errorf("pty: %s: set termios: %w", f.Name(), err)
		}
	})
	if err != nil {
		return fmt.Errorf("pty: %s: %w", f.Name(), err)
	}
	return ierr
}

// Close closes the master and the slave descriptor the Pty holds; a Read pending on the
// master returns, and the host's next read of the slave reports a hang-up.
func (p *Pty) Close() error {
	err := p.Master.Close()
	if serr := p.slave.Close(); err == nil {
		err = serr
	}
	return err
}
