// Package mnist1d owns the MNIST-1D data set: it generates it exactly as the original
// Python generator does, from numpy's legacy random stream, so that glemu trains on the
// same numbers as the GLE paper. The spec it follows is shared/spec/mnist1d.md.
//
// MNIST-1D is by Sam Greydanus ("Scaling down deep learning", 2020,
// github.com/greydanus/mnist1d), under the Apache License 2.0; the ten digit templates
// in templates.go are taken from it, and the generation steps follow its code.
//
// # What it holds
//
//   - Generate and Config: the data set for any configuration. DefaultConfig is the
//     published one (5000 samples of 40 points, seed 42); the GLE paper uses
//     FinalSeqLength 360. Nothing is cached: generation takes tens of milliseconds.
//   - RandomState: numpy's legacy RandomState over MT19937 (seeding, rand, randn,
//     bounded integers, permutation), bit for bit.
//
// # Invariants
//
//   - Values are float64. A Dataset's samples are rows, row-major and contiguous:
//     sample i of the training set is TrainX[i·L : (i+1)·L] for L = Length(); Train
//     and Test return views into those arrays, not copies.
//   - The same Config gives the same data set, bit for bit, on every platform: every
//     product is rounded before it is added (no fused multiply-add), sums run in
//     numpy's order, and the logarithm in randn is this package's own, correctly
//     rounded (Go's math.Log is not, and differs between platforms).
//   - Against the original generator (numpy with glibc on x86-64), the default data set
//     agrees in 99.96 % of its values bit for bit and everywhere to 4.5e-16; the rest
//     trace back to the few arguments glibc's log rounds wrongly, which no correctly
//     rounded log reproduces. The normalisation mean and std agree bit for bit.
//   - Invalid configurations get a *ConfigError (errors.Is ErrInvalidConfig) that
//     names the field and a usable value; Generate never panics on a Config.
package mnist1d
