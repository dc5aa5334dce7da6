// Package hosttest holds fakes for testing code that talks to a board over a byte
// stream: Faulty, a transport wrapper that damages the stream in every way a serial
// cable can, and Recorder / Playback, which record a session's bytes and replay them,
// failing on any byte the recording does not expect (as periph.io/x/conn's conntest
// does for buses); and SkipIfNoBoard, which skips a hardware test where no board
// answers.
//
// Invariants: randomness is seeded (Faults.Seed), so a failing run repeats; faults act
// on whole frames, the byte runs ending in 0x00 that package proto writes, and a wrapper
// writes each frame to the wrapped port in one Write call; every wrapper is safe for one
// reading and one writing goroutine at a time, as package link uses a port.
package hosttest
