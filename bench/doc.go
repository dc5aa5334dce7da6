// Package bench is glemu's performance suite: named, deterministic workloads and the
// report that compares them against baselines measured in the same run.
package bench
