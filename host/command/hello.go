package command

import (
	"fmt"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
)

// Version is the version of the command set this package speaks, carried in the chip
// description of every HELLO. Host and board must speak the same one.
const Version = 1

// Role says which side sent a HELLO description.
type Role uint8

const (
	RoleHost  Role = 0
	RoleBoard Role = 1
)

func (r Role) String() string {
	switch r {
	case RoleHost:
		return "host"
	case RoleBoard:
		return "board"
	}
	return fmt.Sprintf("role %d", uint8(r))
}

// Chip is the structure of a chip that a program must fit: its mesh, tile sizes,
// contexts and arithmetic. A board announces its chip in its HELLO; a host may say
// which chip it expects. Timing, energy and the analog die are not part of it: a
// program brings its own (they do not decide whether it runs).
type Chip struct {
	Rows, Cols      int
	NeuronsPerTile  int
	InputsPerNeuron int
	MaxContexts     int
	LUTSegments     int
	// Formats is the arithmetic: every variable's format, rounding and overflow (the
	// Doc strings are not sent).
	Formats fixedpoint.Table
}

// ChipOf returns the structure of cfg.
func ChipOf(cfg chip.Config) Chip {
	f := make(fixedpoint.Table, len(cfg.Formats))
	for i, v := range cfg.Formats {
		v.Doc = ""
		f[i] = v
	}
	return Chip{Rows: cfg.Rows, Cols: cfg.Cols, NeuronsPerTile: cfg.NeuronsPerTile, InputsPerNeuron: cfg.InputsPerNeuron,
		MaxContexts: cfg.MaxContexts, LUTSegments: cfg.LUTSegments, Formats: f}
}

func (c Chip) String() string {
	return fmt.Sprintf("%d×%d mesh of %d-neuron tiles with %d inputs per neuron, up to %d contexts",
		c.Rows, c.Cols, c.NeuronsPerTile, c.InputsPerNeuron, c.MaxContexts)
}

// Fits reports whether program p runs on this chip: its mesh and tiles no larger, its
// contexts within MaxContexts, and the same arithmetic. The error says what differs and
// what to do.
func (c Chip) Fits(p *chip.Program) error {
	pc := &p.Config
	recompile := fmt.Sprintf("compile the network for this chip (glemu compile --mesh %dx%d --neurons %d --inputs %d)", c.Rows, c.Cols, c.NeuronsPerTile, c.InputsPerNeuron)
	switch {
	case pc.Rows > c.Rows || pc.Cols > c.Cols:
		return fmt.Errorf("the program needs a %d×%d mesh of tiles; this chip has %d×%d; %s", pc.Rows, pc.Cols, c.Rows, c.Cols, recompile)
	case pc.NeuronsPerTile > c.NeuronsPerTile:
		return fmt.Errorf("the program uses %d neurons per tile; this chip's tiles have %d; %s", pc.NeuronsPerTile, c.NeuronsPerTile, recompile)
	case pc.InputsPerNeuron > c.InputsPerNeuron:
		return fmt.Errorf("the program uses %d inputs per neuron; this chip's crossbars have %d; %s", pc.InputsPerNeuron, c.InputsPerNeuron, recompile)
	case p.Contexts > c.MaxContexts:
		return fmt.Errorf("the program runs %d contexts; this chip holds at most %d; compile it with --contexts %d or fewer", p.Contexts, c.MaxContexts, c.MaxContexts)
	case pc.LUTSegments != c.LUTSegments:
		return fmt.Errorf("the program's nonlinearity units have %s; this chip's have %s; compile it with the chip's", segments(pc.LUTSegments), segments(c.LUTSegments))
	}
	return sameFormats("the program", pc.Formats, "this chip", c.Formats)
}

func segments(n int) string {
	if n == 0 {
		return "the default segments"
	}
	return fmt.Sprintf("%d segments", n)
}

// sameFormats reports the first difference between two tables.
func sameFormats(an string, a fixedpoint.Table, bn string, b fixedpoint.Table) error {
	for _, v := range a {
		w, ok := b.Lookup(v.Name)
		if !ok {
			return fmt.Errorf("%s declares the variable %q, which %s does not have; use a matching glemu on both sides", an, v.Name, bn)
		}
		if v.Format != w.Format || v.Rounding != w.Rounding || v.Overflow != w.Overflow {
			return fmt.Errorf("%s holds %s as %v (%v, %v); %s holds it as %v (%v, %v); compile with the chip's formats",
				an, v.Name, v.Format, v.Rounding, v.Overflow, bn, w.Format, w.Rounding, w.Overflow)
		}
	}
	for _, w := range b {
		if _, ok := a.Lookup(w.Name); !ok {
			return fmt.Errorf("%s declares the variable %q, which %s does not have; use a matching glemu on both sides", bn, w.Name, an)
		}
	}
	return nil
}

// Same reports whether the chips are the same, and if not, the first difference.
func (c Chip) Same(o Chip) error {
	if c.Rows != o.Rows || c.Cols != o.Cols || c.NeuronsPerTile != o.NeuronsPerTile || c.InputsPerNeuron != o.InputsPerNeuron || c.MaxContexts != o.MaxContexts {
		return fmt.Errorf("expected a %v; got a %v", c, o)
	}
	if c.LUTSegments != o.LUTSegments {
		return fmt.Errorf("expected nonlinearity units with %s; got %s", segments(c.LUTSegments), segments(o.LUTSegments))
	}
	return sameFormats("the expected chip", c.Formats, "the board's chip", o.Formats)
}

// Hello is the command layer's part of a HELLO (link.Config.ChipConfig): the command
// set version, who speaks, and for a board its firmware, chip and limits.
type Hello struct {
	Version  uint8
	Role     Role
	Firmware string // the board's firmware name and version; empty from a host
	// Chip is the board's chip, or the chip a host expects (nil: any chip).
	Chip *Chip
	// MaxImage is the largest image a board loads; MaxStage the largest argument or
	// result it stages (snapshots, memories), in bytes. 0 from a host.
	MaxImage, MaxStage uint32
}

// maxHello is the most a HELLO's chip description may take (link's limit).
const maxHello = 1024

// AppendHello appends h as a HELLO chip description. It fails if the description
// would not fit a HELLO.
func AppendHello(dst []byte, h Hello) ([]byte, error) {
	start := len(dst)
	dst = append(dst, h.Version, byte(h.Role))
	flags := byte(0)
	if h.Chip != nil {
		flags |= 1
	}
	dst = append(dst, flags)
	dst = appendStr8(dst, h.Firmware)
	if c := h.Chip; c != nil {
		if c.Rows < 0 || c.Rows > 255 || c.Cols < 0 || c.Cols > 255 || len(c.Formats) > 255 || c.LUTSegments < 0 || c.LUTSegments > 0xFFFF {
			return dst[:start], fmt.Errorf("command: chip %v does not fit a HELLO", *c)
		}
		dst = append(dst, byte(c.Rows), byte(c.Cols))
		dst = appendU32(dst, uint32(c.NeuronsPerTile))
		dst = appendU32(dst, uint32(c.InputsPerNeuron))
		dst = appendU32(dst, uint32(c.MaxContexts))
		dst = appendU16(dst, uint16(c.LUTSegments))
		dst = append(dst, byte(len(c.Formats)))
		for _, v := range c.Formats {
			dst = appendStr8(dst, v.Name)
			signed := byte(0)
			if v.Format.Signed {
				signed = 1
			}
			dst = append(dst, signed, byte(v.Format.Int), byte(v.Format.Frac), byte(v.Rounding), byte(v.Overflow))
		}
	}
	dst = appendU32(dst, h.MaxImage)
	dst = appendU32(dst, h.MaxStage)
	if len(dst)-start > maxHello {
		return dst[:start], fmt.Errorf("command: the HELLO description takes %d bytes, more than the %d a HELLO carries", len(dst)-start, maxHello)
	}
	return dst, nil
}

// ParseHello decodes a HELLO chip description. A description of another command set
// version decodes only its first two bytes (Version and Role), so that the refusal can
// name the version.
func ParseHello(b []byte) (Hello, error) {
	r := newReader("HELLO", b)
	h := Hello{Version: r.u8("version"), Role: Role(r.u8("role"))}
	if r.err != nil || h.Version != Version {
		return h, r.err
	}
	flags := r.u8("flags")
	h.Firmware = r.str8("firmware")
	if flags&1 != 0 {
		c := &Chip{Rows: int(r.u8("rows")), Cols: int(r.u8("cols"))}
		c.NeuronsPerTile = int(r.u32("neurons per tile"))
		c.InputsPerNeuron = int(r.u32("inputs per neuron"))
		c.MaxContexts = int(r.u32("max contexts"))
		c.LUTSegments = int(r.u16("LUT segments"))
		n := int(r.u8("formats"))
		for range n {
			v := fixedpoint.Var{Name: r.str8("format name")}
			v.Format.Signed = r.u8("signed") != 0
			v.Format.Int, v.Format.Frac = int(r.u8("integer bits")), int(r.u8("fraction bits"))
			v.Rounding, v.Overflow = fixedpoint.Rounding(r.u8("rounding")), fixedpoint.Overflow(r.u8("overflow"))
			if r.err == nil {
				if err := v.Validate(); err != nil {
					r.fail("format %q: %v", v.Name, err)
				}
			}
			c.Formats = append(c.Formats, v)
		}
		h.Chip = c
	}
	h.MaxImage = r.u32("max image")
	h.MaxStage = r.u32("max stage")
	if err := r.done(); err != nil {
		return Hello{}, err
	}
	return h, nil
}

// Check is what a side says of the other's HELLO description: nil if it suits, else
// why not and what to do. me is this side's description, peer the other's.
func Check(me Hello, peerConfig []byte) error {
	peer, err := ParseHello(peerConfig)
	if err != nil {
		return fmt.Errorf("its chip description does not decode (%v); update glemu or the board firmware so they match", err)
	}
	if peer.Version != Version {
		return fmt.Errorf("it speaks command set %d, this %s speaks %d; update glemu or the board firmware so they match", peer.Version, me.Role, Version)
	}
	if peer.Role == me.Role {
		return fmt.Errorf("it is a %s too; connect a host to a board", peer.Role)
	}
	if me.Chip == nil || peer.Chip == nil {
		return nil
	}
	want, got := me.Chip, peer.Chip
	if me.Role == RoleBoard {
		want, got = peer.Chip, me.Chip
	}
	if err := want.Same(*got); err != nil {
		return fmt.Errorf("the host expects another chip: %v", err)
	}
	return nil
}
