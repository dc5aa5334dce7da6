// Package compiler maps a network graph (package network) onto the chip: it runs the
// design rules, chooses the scale registers, partitions populations and projections into
// crossbar pieces, places them on the mesh, routes the traffic and returns a
// chip.Program with a manifest (what went where) and a report (tiles, utilisation,
// SQNR, links, placement, the chip's cost model). docs/compiler.md is its user
// documentation.
//
// # Invariants
//
//   - Compile is deterministic: the same network, parameters and Options give the same
//     program bytes, manifest and report (placement annealing draws from a generator
//     keyed by Options.Seed; no map order leaks into results).
//   - A program Compile returns validates (chip.Program.Validate) and loads (chip.New);
//     every weight is held exactly once, every crossbar row of a tile belongs to one
//     target neuron and every column to one source neuron.
//   - Design rules never stop each other: Compile reports every finding at once in a
//     *CheckError (errors) or Result.Findings (warnings), each with a rule ID, a message
//     naming the item and a fix. User input never panics.
//   - The compiler never models the chip twice: cycles, step rate and energy come from
//     the chip's own cost model (chip.Chip.Cost); link loads are counted from the
//     program's routes with the cost model's word sizes.
//   - Masked synapses stay zero and never learn: frozen projections keep masked zeros in
//     their blocks; a learning masked projection is split into plastic blocks of kept
//     synapses and frozen zero blocks (the chip has no per-synapse mask bit).
package compiler
