package chip

import "syscall"

// threadNanos is the calling thread's CPU time in ns: steadier than the wall clock on
// a shared machine. chip_test reaches it and processNanos as ThreadCPU, ProcessCPU.
func threadNanos() int64 { return rusage(1 /* RUSAGE_THREAD */) }

// processNanos is the CPU time of all the process's threads in ns.
func processNanos() int64 { return rusage(syscall.RUSAGE_SELF) }

func rusage(who int) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
