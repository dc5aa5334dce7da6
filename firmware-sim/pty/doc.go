// Package pty opens pseudo-terminals for the firmware simulator: a master end the
// simulator serves the protocol on, and a slave device path (/dev/pts/N) the host opens
// as if it were a USB serial adapter.
//
// It opens /dev/ptmx itself with golang.org/x/sys/unix rather than using creack/pty,
// whose master ignores deadlines and whose Close does not unblock a Read: here the
// master is set non-blocking before os.NewFile, so it joins the runtime's poller,
// SetReadDeadline and SetWriteDeadline work, and Close makes a pending Read return.
//
// Invariants: the slave is in raw mode (8 data bits, no echo, no line editing, no
// translation of bytes) before Open returns; the Pty keeps one descriptor of the slave
// open until Close, so the master never reads a hang-up (EIO) while no host has the
// device open, and a host can open, close and reopen the path.
package pty
