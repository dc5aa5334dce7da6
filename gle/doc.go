// Package gle is the float64 reference of Generalized Latent Equilibrium: the executable
// statement of ../shared/spec/gle-step.md that every other backend is checked against.
package gle
