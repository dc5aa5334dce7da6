//go:build !linux

package chip_test

// threadCPU is not measured here.
func threadCPU() int64 { return 0 }

// processCPU is not measured here.
func processCPU() int64 { return 0 }
