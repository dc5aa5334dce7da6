// Package tasks owns the data and teachers that glemu trains on: MNIST-1D generated to
// the bit, the lag-line teacher–student chain and the lag-net network.
package tasks
