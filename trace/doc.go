// Package trace owns the per-step trace format that every glemu backend writes
// (CSV rows of step,layer,var,b,i,j,value and VCD for waveform viewers) and the CSV
// streams of inputs and targets that drive a run.
//
// It imports nothing else from glemu.
package trace
