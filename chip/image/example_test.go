package image_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"log"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/image"
	"github.com/glemu/glemu/fixedpoint"
)

// smallProgram is a one-tile program: input x (2 neurons) → output y (1 tanh neuron).
func smallProgram() *chip.Program {
	cfg := chip.DefaultConfig()
	cfg.Rows, cfg.Cols = 1, 1
	cfg.NeuronsPerTile, cfg.InputsPerNeuron, cfg.MaxContexts = 4, 4, 1
	p := &chip.Program{
		Name: "small", Config: cfg, Seed: 1, Dt: 1, Contexts: 1,
		Populations: []chip.Population{
			{Name: "x", Size: 2, Role: chip.RoleInput},
			{Name: "y", Size: 1, Role: chip.RoleOutput, Activation: fixedpoint.Tanh,
				Gamma: chip.Reg{Raw: 1 << 12}, TauM: []int64{2 << 16}, TauR: []int64{1 << 16}},
		},
		Projections: []chip.Projection{{Source: 0, Target: 1}},
		Tiles: []chip.Tile{{
			Slots:  []chip.NeuronRef{{Population: 0, Neuron: 0}, {Population: 0, Neuron: 1}, {Population: 1, Neuron: 0}},
			Blocks: []chip.Block{{Projection: 0, Rows: 1, Cols: 2, W: []int64{1 << 28, -1 << 28}}},
		}},
	}
	if err := p.DeriveRoutes(); err != nil {
		log.Fatal(err)
	}
	return p
}

func ExampleAppendImage() {
	img, err := image.AppendImage(nil, smallProgram())
	if err != nil {
		log.Fatal(err)
	}
	p, n, err := image.Parse(img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes; %q: %d populations, weights %v\n", n, p.Name, len(p.Populations), p.Tiles[0].Blocks[0].W)
	// Output:
	// 4445 bytes; "small": 2 populations, weights [268435456 -268435456]
}

// A loader that receives an image in chunks (a board on a serial link) checks the
// header as soon as it has arrived and the body's CRC as the rest streams in.
func ExampleParseHeader() {
	img, err := image.AppendImage(nil, smallProgram())
	if err != nil {
		log.Fatal(err)
	}
	h, err := image.ParseHeader(img[:image.HeaderSize])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("version %d.%d, %d bytes in %d sections, body crc %#08x\n", h.Major, h.Minor, h.Length, h.Sections, h.BodyCRC)
	var crc uint32
	for off := uint64(image.HeaderSize); off < h.Length; off += 256 { // 256-byte chunks
		chunk := img[off:min(off+256, h.Length)]
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	fmt.Println("body intact:", crc == h.BodyCRC)
	// Output:
	// version 1.0, 4445 bytes in 9 sections, body crc 0xb4f2c8b6
	// body intact: true
}

// Every error names the section and byte offset, matches a sentinel, and says what to
// do.
func ExampleParse_errors() {
	img, err := image.AppendImage(nil, smallProgram())
	if err != nil {
		log.Fatal(err)
	}
	img[len(img)-10] ^= 0x01 // one bit of the last section
	_, _, err = image.Parse(img)
	fmt.Println(err)
	fmt.Println(errors.Is(err, image.ErrCorrupt))
	_, _, err = image.Parse(img[:100])
	fmt.Println(err)
	// Output:
	// image: section 8 (routes, offset 0x1151): crc mismatch (got 0x4a62b9bd, want 0x3d6e6b81); the image is corrupted, recompile or re-copy it
	// true
	// image: the header gives 4445 bytes, only 100 are present; the image is truncated, re-copy it
}

func ExampleDump() {
	img, err := image.AppendImage(nil, smallProgram())
	if err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	if err := image.Dump(&out, img); err != nil {
		log.Fatal(err)
	}
	s := bufio.NewScanner(&out)
	for i := 0; i < 14 && s.Scan(); i++ {
		fmt.Println(s.Text())
	}
	// Output:
	// # header
	// 000000  89 47 4c 45 0d 0a 1a 0a  magic = "\x89GLE\r\n\x1a\n"
	// 000008  01 00                    major version = 1
	// 00000a  00 00                    minor version = 0
	// 00000c  00 00 00 00              flags = 0x00000000
	// 000010  5d 11 00 00 00 00 00 00  length = 4445
	// 000018  09 00 00 00              sections = 9
	// 00001c  b6 c8 f2 b4              body crc = 0xb4f2c8b6
	// 000020  b8 7c 3c 9e              header crc = 0x9e3c7cb8
	// # section 0: config
	// 000024  01 00                    type = 1 (config)
	// 000026  00 00                    reserved = 0
	// 000028  9c 00 00 00              payload length = 156
	// 00002c  01 00 00 00              Rows = 1
}
