// Package chip is the fixed-point, cycle-stepped model of the GLE chip: a mesh of tiles
// stepping GLE synchronously, learning on chip, with analog non-idealities, counters and
// a cycle and energy model. A chip.Program is what gets loaded onto it.
package chip
