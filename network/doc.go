// Package network owns the description of a GLE network: its populations, projections
// and parameters, the versioned JSON file that stores it, its validation, and the one
// seeded initialisation every backend uses.
//
// It imports nothing else from glemu: it is plain data at the bottom of the dependency
// graph.
package network

// FormatVersion is the version of the network file format this package writes. Files of
// every earlier version still load.
const FormatVersion = 1
