// Package host is the one Device API over the in-process chip emulator or a board on a
// serial port, and the framed protocol (COBS, CRC16) that talks to the board.
package host

// ProtocolVersion is the version of the host–board protocol spoken by this package.
const ProtocolVersion = 1
