// Package image encodes a chip.Program as the versioned binary image that the host loads
// onto the emulator or a board, and decodes it again. docs/image-format.md describes the
// format byte by byte; its worked example is this package's Dump output, checked by a
// test.
//
// An image is a fixed header (magic, format version, flags, length, section count, the
// CRC of everything after the header, the header's own CRC) followed by sections (type,
// length, payload, CRC-32/IEEE): the configuration, its formats table, the program's
// scalars, populations, projections, loss and learning registers, then for every tile
// its neuron slots with their constants, its weight blocks and its routing table.
// AppendImage and Parse are the codec (encoding/binary's shape: no hidden buffers);
// Write, Read, Save and Load wrap them for streams and files; ParseHeader serves loaders
// that receive an image in chunks; Dump lists an image field by field.
//
// # Invariants
//
//   - Everything is little-endian. Raw values of a table format (τ, biases, weights) take
//     the fewest whole bytes that hold the format's width, two's complement for signed
//     formats; every other integer has a fixed width.
//   - The encoding is canonical: a program has exactly one image, and re-encoding a
//     decoded program gives the same bytes. Empty slices decode as nil.
//   - Only programs that pass chip.Program.Validate are encoded, and Parse returns only
//     programs that pass it.
//   - Decoding never panics and never allocates more than a small multiple of the
//     image's length, whatever its lengths and counts say: every count is checked
//     against the configuration and against the bytes present before anything is
//     allocated for it.
//   - Every error begins "image:", matches exactly one of ErrNotImage, ErrTruncated,
//     ErrCorrupt, ErrNewer, ErrInvalid (errors.Is), names the section and byte offset
//     where there is one, and says what to do.
//   - Format 1 readers accept any minor revision of format 1: a minor revision only
//     adds section types (skipped by length) and optional header flags. A newer major
//     version is refused with ErrNewer.
//   - Parse does not retain its buffer; the returned Program owns all its slices.
package image

// FormatVersion is the major version of the binary image format this package writes and
// the newest it reads.
const FormatVersion = 1
