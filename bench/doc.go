// Package bench is glemu's performance suite: named, deterministic workloads, the run
// that measures them against baselines taken in the same run, and the report (a
// table, JSON for comparison across commits, scaling curves as PNG). `glemu bench`
// is its command line (`glemu bench --list` describes every workload); docs/chip.md,
// "Performance", gives the figures measured with it.
//
// Workloads (Workloads, Select):
//
//   - baselines: the plain-Go scalar int16 multiply-accumulate rate
//     (fixedpoint.MatVecPlain) and the fast kernel's peak (fixedpoint.PeakMACLoop);
//   - kernels: fixedpoint.MatMat, MatTMat and OuterSum on the chip's shapes;
//   - steps: the spec's MNIST-1D network at 1 and 100 contexts (forward only, and
//     learning), a full 4×4 mesh of 256×256 tiles learning, the lag-line chain, each
//     compiled with compiler.Compile and stepped on the chip, and stepped on gle with
//     the same parameters and inputs;
//   - an MNIST-1D training epoch (14 400 steps at 100 contexts), by name only;
//   - compiles of 10⁴, 10⁶ and 10⁷ synapses;
//   - a streaming run through host.Device, in process and through the firmware
//     simulator on a pty at 3 Mbaud.
//
// Invariants:
//
//   - A workload is a pure function of its name: networks, parameters, inputs and
//     programs come from fixed seeds, never from the clock or a global source.
//   - Every reported rate is a median of repetitions, and every ratio divides two
//     figures of the same run (the scalar and peak baselines, gle on the same
//     workload), so that a report holds on a shared, noisy machine.
//   - Synaptic operations count the multiply-accumulates a step needs: the forward
//     read of every block, the transposed read of blocks whose source is not an
//     input, and with learning the gradient of plastic blocks, each once per synapse
//     and context (stepMACs). Optimizer arithmetic is not counted.
//   - Run never changes what it measures: a workload's chip and gle run exactly as a
//     user's would (chip.New, compiler.Compile, host.Open), one workload at a time.
//   - A workload that cannot run here (no pty) is reported as skipped with the
//     reason; other errors stop the run.
package bench
