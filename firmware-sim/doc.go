// Package firmwaresim is the board's firmware, simulated: it serves the host protocol
// (docs/protocol.md: framing and session from host/link, commands from host/command)
// over any byte stream, a pty in end-to-end tests and in `glemu firmware-sim --pty`,
// and drives the chip emulator with the limits a real board has: a finite receive
// buffer and window, a maximum frame payload, the largest image and staged argument it
// holds, and UART pacing of both directions at the configured baud rate.
//
// Invariants: a Firmware executes every request exactly once (it counts executions per
// type, and re-executions, which the link's duplicate detection keeps at zero); it
// never acts on a frame the link did not accept (bad CRC, COBS or length); its chip
// outlives sessions, so a host that reconnects finds the chip as it left it, while
// transfers in progress (an image being loaded, a staged argument, a spooled result, a
// RUN) end with their session. Handle never panics, whatever the payload.
package firmwaresim
