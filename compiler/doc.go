// Package compiler maps a network graph onto the chip's tiles: design-rule checks,
// quantization, partitioning, placement, routing and the reports that explain them. Its
// output is a chip.Program.
package compiler
