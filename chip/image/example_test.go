package image_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"log"
	"strings"

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
	p := smallProgram()
	img, err := image.AppendImage(nil, p)
	if err != nil {
		log.Fatal(err)
	}
	q, n, err := image.Parse(img)
	if err != nil {
		log.Fatal(err)
	}
	again, _ := image.AppendImage(nil, q)
	fmt.Printf("%q: %d populations, weights %v\n", q.Name, len(q.Populations), q.Tiles[0].Blocks[0].W)
	fmt.Println("whole image read:", n == len(img))
	fmt.Println("same bytes again:", bytes.Equal(again, img))
	// Output:
	// "small": 2 populations, weights [268435456 -268435456]
	// whole image read: true
	// same bytes again: true
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
	fmt.Printf("version %d.%d, %d sections\n", h.Major, h.Minor, h.Sections)
	var crc uint32
	for off := uint64(image.HeaderSize); off < h.Length; off += 256 { // 256-byte chunks
		chunk := img[off:min(off+256, h.Length)]
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	fmt.Println("body intact:", crc == h.BodyCRC)
	// Output:
	// version 1.0, 9 sections
	// body intact: true
}

// Every error matches a sentinel, names the section and byte offset, and says what to
// do.
func ExampleParse_errors() {
	img, err := image.AppendImage(nil, smallProgram())
	if err != nil {
		log.Fatal(err)
	}
	damaged := bytes.Clone(img)
	damaged[0x30] ^= 0x01 // one bit of Config.Cols, in section 0
	_, _, err = image.Parse(damaged)
	fmt.Println(errors.Is(err, image.ErrCorrupt))
	msg, _, _ := strings.Cut(err.Error(), " (got") // the rest gives the two CRCs
	fmt.Println(msg)
	_, _, err = image.Parse(img[:100])
	fmt.Println(errors.Is(err, image.ErrTruncated))
	// Output:
	// true
	// image: section 0 (config, offset 0x24): crc mismatch
	// true
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
	for i := 0; i < 4 && s.Scan(); i++ {
		fmt.Println(s.Text())
	}
	// Output:
	// # header
	// 000000  89 47 4c 45 0d 0a 1a 0a  magic = "\x89GLE\r\n\x1a\n"
	// 000008  01 00                    major version = 1
	// 00000a  00 00                    minor version = 0
}
