// Package tilemap draws a compiled network's tile map: the chip's mesh with every tile
// shaded by how much of its crossbar it uses, labelled with its populations and
// utilisation, and every link drawn as a lane whose width and colour show its load
// (words per step). It reads only a compiler.Report, so it draws any report, also one
// read back from JSON.
package tilemap
