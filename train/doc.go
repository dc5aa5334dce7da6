// Package train owns the training loop of glemu: it drives any Backend (the float
// reference today, the chip later) through a task's stream of inputs and targets and
// reports what the student learned.
//
// Invariants: the loop never looks inside a backend; everything it needs goes through
// the Backend interface. Tasks (package tasks) supply data and teachers; the loop owns
// the schedule (warm-up without learning, then learning).
package train
