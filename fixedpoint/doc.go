// Package fixedpoint owns the chip's arithmetic: fixed-point formats, rounding and
// overflow rules, their counters, nonlinearity lookup tables and the integer kernels of
// the chip's hot loop.
//
// It imports nothing else from glemu.
package fixedpoint
