// Package chiptest maps a network onto a chip the simple way, for the chip's own tests
// and for users who want a Program without the compiler: one population per tile when
// it fits, in population order, with options that place the same network differently
// (smaller tiles split populations, narrower blocks split projections across tiles, a
// permuted tile order). The compiler replaces it for real work.
//
// Quantization is plain: every value is rounded half-even into its format under the
// scale registers Map chooses (or Options gives) and an error says what does not fit.
//
// # Invariants
//
//   - Map never changes the network or the parameters it is given; the Program it
//     returns is its own and validates (Program.Validate).
//   - Placement is a pure function of the network, the parameters and the Options, so
//     the same call gives the same Program.
//   - Quantization errors (a value that does not fit its format under its scale) are
//     reported with the population, neuron or weight, never clipped silently.
package chiptest
