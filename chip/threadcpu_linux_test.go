package chip_test

import "syscall"

// threadCPU is the CPU time of the calling thread in ns: on a shared machine a
// steadier measure than the wall clock.
func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
