// Package chip is the fixed-point, cycle-stepped model of the GLE chip: a mesh of tiles
// stepping GLE (../shared/spec/gle-step.md) synchronously in integer arithmetic, learning
// on chip, with analog non-idealities, counters, probes and a cycle and energy model. It
// is the golden model RTL is checked against. docs/chip.md is its user documentation.
//
// A Config describes a chip (mesh, tile sizes, the formats of fixedpoint's table,
// timing, energy, the die's non-idealities); a Program says what every tile holds
// (neurons, weight blocks, registers, routes) and is what the compiler produces and
// chip/image encodes; New loads a Program into a Chip, which steps it.
//
// # Invariants
//
//   - One step reads only values committed by the previous step (or the step's input and
//     target) and commits every new value together at its end, so every transfer
//     between populations arrives at the next step whatever the hop count.
//   - The step uses integer arithmetic only. Every value is a raw integer in a format of
//     Config.Formats, scaled by a power-of-two exponent register where the Program sets
//     one; it is rounded once into its destination with that format's rounding and
//     overflow rule (fixedpoint). Floats appear only when a Program is built, when
//     values are read back or written as floats, and inside the integer square root
//     and the exact divider of the optimizer, as estimates that integer fix-ups make
//     exact (adam_amd64.s states the bounds).
//   - The hot loops have AVX-512 kernels (neuron_amd64.s, adam_amd64.s) used where the
//     CPU has them; each gives the bits of a Go loop that stays as its twin and
//     fallback (TestKernelsMatchLoops on the block bus, the static bus and a half-even
//     static bus, TestAdamKernel, TestBusKernel, TestEpsKernel).
//     TestFingerprintStatic pins the results of reference networks on the static bus
//     to hashes recorded before the kernels existed; TestFingerprint pins the default
//     block bus's to hashes recorded when it became the default.
//   - Placement and threads cannot change a bit: partial sums are combined in wrapping
//     integer arithmetic (associative and commutative) and requantized once at the
//     neuron's home tile; sums of different projections are aligned by exact left
//     shifts; every random draw (stochastic rounding, noise, mismatch) is keyed by seed,
//     variable, owner (population or projection), step, context and declared index,
//     never by tile, block or thread.
//   - The block error bus (Config.ErrorBus, the default) shifts each population's ĕ
//     onto the bus by one exponent per step, the leading-zero count of the OR of all its
//     |ĕ| (partial ORs per tile and part, reduced in one pass between the neuron phase
//     and the bus phase): an OR is order-free, so the exponent is too. ErrorBusStatic
//     is the chip before it, bit for bit (TestFingerprintStatic).
//   - Program and Config are plain data (slices and values): New copies what it keeps,
//     so a caller may reuse or change a Program after loading it.
//   - A Chip is not safe for concurrent use; it may step its tiles on several goroutines
//     internally (WithWorkers), each tile's work split in as many parts: contexts in
//     the crossbar reads, the neuron and commit phases, a block's weight rows in its
//     learning. Each part counts saturations and sums the bias and τm gradients of its
//     contexts on its own; the parts' integers are added after, so results do not
//     depend on the number of workers (TestFingerprintParts). Step does not allocate.
//   - Bad configurations, programs, inputs and snapshots get errors beginning "chip:",
//     never a panic.
package chip
