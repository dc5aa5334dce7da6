// Package train owns the training loop of glemu: it drives any Backend (the float
// reference today, the chip later) through a task's stream of inputs and targets,
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
//
// Invariants:
//   - The loop never looks inside a backend; everything it needs goes through the
//     Backend interface (and Checkpointer for checkpoints). A chip backend is one more
//     implementation of it.
//   - A run is a pure function of its Config: the data order depends only on the seed
//     and the epoch, the network's dynamic state is never reset (it carries over from
//     sample to sample, from training into evaluation and back), so a run resumed from
//     a checkpoint equals the uninterrupted one bit for bit on a deterministic backend.
//   - Losses and accuracies count each real sample once; padding contexts never count.
//   - Tasks (package tasks) supply data and teachers; the loop owns the schedule
//     (warm-up without learning, epochs, learning rate).
package train
