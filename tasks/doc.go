// Package tasks owns the data and teachers that glemu trains on: the paper's MNIST-1D
// network (MNIST1DNetwork) and data set as a sequence-classification set (NewMNIST1D,
// generated to the bit by tasks/mnist1d), the lag-line teacher–student chain and the
// lag-net network.
//
// Invariants: every task is a pure function of its seed (math/rand/v2 PCG streams with
// documented draw orders, never a global source); tasks describe networks with package
// network and run teachers with nothing but what a backend offers, so a task never
// depends on which backend trains its student. A Sequences holds its samples row-major
// and contiguous; Head shares its arrays rather than copying them.
package tasks
