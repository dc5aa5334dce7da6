// Package train owns the training loop of glemu: it drives any Backend (the float
// reference, Float, or the chip, Chip) through a task's stream of inputs and targets,
// measures what was learned, schedules the learning rate and saves and resumes runs.
//
// What it holds:
//   - Classifier and Run: sequence classification (MNIST-1D) epoch by epoch, as the
//     spec (sections 3 and 5) defines it: per-epoch shuffles (EpochOrder), C contexts
//     fed from one stream (Batches says how a set that is not a multiple of C is
//     fed), the summed-output readout and per-step test loss (Metrics), the
//     reduce-on-plateau schedule (Plateau), checkpoints (AppendCheckpoint,
//     ParseCheckpoint, Resume) and the trained network as a file (WithParams).
//   - Imitation, LagLine and LagNet: teacher–student runs, the teacher on the float
//     reference, recording the student's parameters and outputs over time.
//   - EncodePNG, LearningCurves, ImitationPanels: the plots.
//   - Float and Chip, the backends: Chip compiles the network (package compiler, scales
//     ranged on RangingSamples), loads it onto a host.Device (the emulator, a board, the
//     firmware simulator's pty) and steps it there, a whole sample window per
//     Device.Run where the loop can (WindowRunner); its learning rate is the chip's
//     learning-rate registers, its checkpoint the device's snapshot.
//
// Invariants:
//   - The loop never looks inside a backend; everything it needs goes through the
//     Backend interface (Checkpointer for checkpoints, WindowRunner for whole windows,
//     which must leave a backend exactly as the same steps one by one would).
//   - The chip backend is bit-exact: the same run gives the same bits on the emulator
//     and on a board, in windows or step by step, uninterrupted or resumed.
//   - A run is a pure function of its Config: the data order depends only on the seed
//     and the epoch, the network's dynamic state is never reset (it carries over from
//     sample to sample, from training into evaluation and back), so a run resumed from
//     a checkpoint equals the uninterrupted one bit for bit on a deterministic backend.
//   - Losses and accuracies count each real sample once; padding contexts never count.
//   - Tasks (package tasks) supply data and teachers; the loop owns the schedule
//     (warm-up without learning, epochs, learning rate).
package train
