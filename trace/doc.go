// Package trace owns the per-step trace format that every glemu backend writes
// (CSV rows of step,layer,var,b,i,j,value and VCD for waveform viewers) and the CSV
// streams of inputs and targets that drive a run.
//
// It imports nothing else from glemu.
//
// # The CSV trace
//
// One row per value, columns step,layer,var,b,i,j,value (the format of the golden
// traces, see ../shared/golden/README.md in the project's workspace):
//   - step −1 holds the initial parameters; steps count from 0;
//   - layer is the index of a neuron (non-input) population in file order, or its name
//     when the writer is asked for names; −1 marks network-level values (x, y, out,
//     e_star, loss);
//   - b is the context index, −1 for parameters; i and j are indices, −1 where unused;
//   - values are written with strconv's 'g' format and precision −1, so reading them
//     back gives the exact float64.
//
// Writers reuse one buffer and do not allocate per row. Readers accept plain or
// gzip-compressed files and report problems with their line number.
package trace
