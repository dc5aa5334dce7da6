package chip

import "syscall"

// threadNanos is the calling thread's CPU time in ns (the internal tests' twin of
// chip_test's threadCPU): steadier than the wall clock on a shared machine.
func threadNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
