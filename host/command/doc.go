// Package command owns the command layer of the host–board protocol: the payloads of
// every command (LOAD_BEGIN … RESET), of their results and of the DATA streams a RUN
// uses; the chip description a HELLO carries; and Machine, what every command does to
// a chip. The firmware simulator (firmware-sim) runs a Machine behind the serial link
// and host.Device's emulator backend runs one in process, so that both paths give the
// same bits. docs/protocol.md ("Commands") describes the bytes; its examples are
// decoded by this package's tests.
//
// Invariants, everywhere in the package:
//
//   - Multi-byte integers are little-endian; counts and most integers of variable size
//     are uvarints (encoding/binary), signed ones zigzag varints.
//   - Codecs follow encoding/binary: AppendX(dst, v) appends and returns the extended
//     slice; ParseX(b) decodes all of b and refuses trailing bytes. Decoders never
//     panic and never allocate for a count the payload's bytes cannot back; their
//     errors match ErrMalformed.
//   - Raw chip values travel in the fewest whole bytes of their format's width (two's
//     complement, sign-extended when read), as chip/image stores them.
//   - Every response body begins with one byte: inline (the result follows) or spooled
//     (length, CRC-32, first bytes; the rest is fetched with FETCH). Large arguments
//     are inline or staged beforehand with STAGE and named by length and CRC-32.
//   - Machine works in raw values and is not safe for concurrent use; its errors come
//     from the chip ("chip: …") or begin "command:".
package command
