// Package tasks owns the data and teachers that glemu trains on: MNIST-1D generated to
// the bit, the lag-line teacher–student chain and the lag-net network.
//
// Invariants: every task is a pure function of its seed (math/rand/v2 PCG streams with
// documented draw orders, never a global source); tasks describe networks with package
// network and run teachers with nothing but what a backend offers, so a task never
// depends on which backend trains its student.
package tasks
