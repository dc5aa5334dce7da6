// Package fixedpoint owns the chip's arithmetic: fixed-point formats, rounding and
// overflow rules and their counters, the stochastic-rounding generator, the nonlinearity
// units, the integer kernels of the chip's hot loop, and the Table that declares every
// chip variable's format once.
//
// It imports nothing else from glemu. docs/arithmetic.md is generated from this
// package (go test ./fixedpoint -run TestArithmeticDoc -update) and a test fails when
// the two differ.
//
// Invariants that hold everywhere in the package:
//
//   - A value is a raw int64 n in a Format f and means n·2^−f.Frac. Valid formats are
//     1 to 63 bits wide, so every raw value and its negation fit an int64.
//   - Every operation forms its exact result first (in 128 bits where 64 do not
//     suffice: full-width products of 63-bit values, aligned sums), then rounds once with
//     the destination Var's Rounding and checks once against its range with its
//     Overflow policy. There is no hidden intermediate rounding or scaling.
//   - Overflow events are counted in a caller-owned *Counters (plain fields, no locks;
//     nil counts nothing). Nothing in the package is shared mutable state.
//   - Stochastic rounding reads a 64-bit draw that is a pure function of a Key (seed,
//     variable, context, step, index), never of evaluation order; see Stream.
//   - Kernels work on raw int16 operands with int32 wrapping accumulators. Each has a
//     ...Plain reference loop; the fast path chosen at run time (AVX-512 VNNI, AVX2,
//     or unrolled Go; see Kernels) agrees with it bit for bit. Kernels never allocate.
//     Build with -tags purego to use only Go.
//   - User input (format strings, flags, table and unit configuration) gets an error
//     beginning "fixedpoint:", never a panic. Kernels panic on impossible shapes, which
//     are programmer errors.
package fixedpoint
