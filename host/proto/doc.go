// Package proto owns the bytes of the host–board protocol: COBS framing with a 0x00
// delimiter, the frame header, the CRC16 trailer, the registry of message types and the
// payloads of the link-level messages (HELLO, ACK, NACK, RESPONSE's reference). It does
// no I/O and keeps no state; package link builds the reliable session on top of it.
//
// docs/protocol.md in the repository root is the byte-by-byte description; the tests in
// this package decode its worked examples.
//
// Invariants, everywhere in the package:
//
//   - Multi-byte integers are little-endian on the wire, the CRC included.
//   - A frame on the wire is COBS(header ‖ payload ‖ crc16) followed by one 0x00 byte, so
//     0x00 never appears inside a frame and a receiver resynchronises at the next 0x00.
//   - The CRC is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over header and payload.
//   - In every protocol version byte 0 of a decoded frame is the version and byte 1 the
//     type, so a peer can always recognise a HELLO and refuse a version it does not speak.
//   - Codecs follow encoding/binary: AppendX(dst, v) appends to dst and returns the
//     extended slice; ParseX(buf) returns the value and the number of bytes consumed.
//     No package-level or hidden buffers: ParseFrame decodes in place, so the returned
//     Frame's Payload aliases buf.
//   - Parsers never panic, whatever the input, and report errors that match the
//     package's sentinels with errors.Is.
package proto
