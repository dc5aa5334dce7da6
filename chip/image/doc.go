// Package image encodes a chip.Program as the versioned binary image that the host loads
// onto the emulator or a board, and decodes it again.
package image

// FormatVersion is the version of the binary image format this package writes.
const FormatVersion = 1
