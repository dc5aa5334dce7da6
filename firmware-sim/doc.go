// Package firmwaresim is the board's firmware, simulated: it serves the host protocol
// over any byte stream (a pty in end-to-end tests) and drives the chip emulator, with
// the limits a real board has.
package firmwaresim
