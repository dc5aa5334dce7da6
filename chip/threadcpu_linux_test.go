package chip_test

import "syscall"

// threadCPU is the CPU time of the calling thread in ns: on a shared machine a
// steadier measure than the wall clock.
func threadCPU() int64 { return rusage(1 /* RUSAGE_THREAD */) }

// processCPU is the CPU time of all the process's threads in ns.
func processCPU() int64 { return rusage(syscall.RUSAGE_SELF) }

func rusage(who int) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
