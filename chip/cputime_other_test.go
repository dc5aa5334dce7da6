//go:build !linux

package chip

// threadNanos is 0 where the thread's CPU time is not available.
func threadNanos() int64 { return 0 }

// processNanos is 0 where the process's CPU time is not available.
func processNanos() int64 { return 0 }
