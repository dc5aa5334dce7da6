// Package gle is the float64 reference of Generalized Latent Equilibrium: the executable
// statement of ../shared/spec/gle-step.md that every other backend is checked against.
//
// A Net runs a network.Network on C contexts (a batch) that share one set of
// parameters. Net.Step is exactly the spec's step, for any graph of populations and
// projections:
//
//  1. input populations take the step's input x_k as their rate;
//  2. the reported output is the output populations' rate committed before the step, and
//     e* is computed from it and the target y_k (e* = 0 without a target);
//  3. every neuron population, reading only committed values: ε_in = Σ committed
//     e_bottom of its outgoing projections (+ e* for an output); inst_e = r′ ⊙ ε_in;
//     prospective errors v̇ = (inst_e − v)/τr, ĕ = v + τm·v̇, v ← v + dt·v̇ (or
//     instantaneous: ĕ = v = inst_e); s = Σ W r_source + b; u̇ = (s + γĕ − u)/τm,
//     ŭ = u + τr·u̇, u ← u + dt·u̇, r ← φ(ŭ), r′ ← φ′(ŭ);
//  4. every projection: e_bottom ← Wᵀĕ_target with W as it was before this step;
//  5. gradients, mean over contexts: ∂W = −ĕ r_sourceᵀ, ∂b = −ĕ, ∂τm = ĕ ⊙ u̇;
//  6. all new values are committed together, then the optimizer steps (every step,
//     step 0 included) and a learned τm is clamped from below.
//
// # Invariants
//
//   - Every state slice is C × size, row-major (context c's neuron i at c·size + i); every
//     weight matrix is target × source, row-major. Slices are allocated by New and never
//     replaced, so they may be read, or written (to set a state), between steps.
//   - Net.Params is the Net's own copy of the parameters; the W, B, TauM and TauR slices
//     of projections and populations alias it.
//   - Step does not allocate. Small layers use plain loops; large products use gonum's
//     BLAS (results agree to rounding; a run is deterministic bit for bit).
//   - State is never reset between samples unless Reset is called.
//   - Gradients exist (non-nil) only for parameters that learn; the optimizer state
//     likewise.
//   - Weights a projection's mask leaves out are zero and their gradient is held at
//     zero, so they never learn with any optimizer (Projection.Mask).
//
// ExactGradients computes the exact gradient of a window's loss by discrete
// backpropagation through time, to judge how well GLE's online gradient aligns with it.
// Checkpoint and Restore save and resume a Net bit for bit.
package gle
