package chip

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
)

// A snapshot holds a whole chip: the program it was loaded with (configuration and the
// die's analog settings included), every dynamic state, parameter, optimizer moment and
// learning register, the crossbar cells, the host port and the counters. Restoring it
// and stepping on gives the bits an uninterrupted run gives.
//
// Layout (SnapshotVersion 2): the 8 bytes "GLEMUSNP"; the version as a little-endian
// uint32; the program as JSON, preceded by its length (uvarint); the arrays in the order
// Chip.arrays lists them, each a uvarint length and zigzag varints; the scalars as
// zigzag varints; per non-input population its error bus shift, the shift range seen
// and whether any (four zigzag varints, version 2 only); and the CRC-32 (IEEE) of
// everything before it, little-endian.
//
// Version 1 (before the block error bus) is still read: its chips ran the static error
// bus, so it restores with Config.ErrorBus = ErrorBusStatic and steps on as it would
// have.

// SnapshotVersion is the version of the snapshot layout AppendSnapshot writes.
const SnapshotVersion = 2

var snapshotMagic = []byte("GLEMUSNP")

// ErrSnapshot is matched (errors.Is) by every error Restore returns for data that is
// not a valid snapshot.
var ErrSnapshot = errors.New("chip: not a valid snapshot")

// arrays lists every array a snapshot holds, in order.
func (c *Chip) arrays() [][]int64 {
	var as [][]int64
	for _, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		as = append(as, q.u, q.v, q.r, q.rp, q.eps, q.ub, q.eb, q.inst, q.du, q.estar,
			q.tauM, q.b, q.trimTau, q.trimOff, q.bOpt.m, q.bOpt.v, q.tOpt.m, q.tOpt.v)
	}
	for _, tl := range c.tiles {
		for _, b := range tl.blocks {
			as = append(as, b.wMem, b.opt.m, b.opt.v)
		}
	}
	as = append(as, c.target, c.out)
	return as
}

// buses lists the int16 arrays a snapshot holds.
func (c *Chip) buses() [][]int16 {
	var bs [][]int16
	for _, q := range c.pops {
		bs = append(bs, q.rateBus, q.errBus)
	}
	for _, tl := range c.tiles {
		for _, b := range tl.blocks {
			bs = append(bs, b.wX)
		}
	}
	return bs
}

// scalars lists the scalar registers a snapshot holds: signed ones, then counters.
func (c *Chip) scalars() ([]*int64, []*uint64) {
	i := []*int64{&c.learn.p1, &c.learn.p2, &c.learn.bc2}
	u := []*uint64{&c.steps, &c.learn.t, &c.hostCnt.Saturations, &c.hostCnt.Wraps}
	for _, tl := range c.tiles {
		for k := range tl.cnt {
			u = append(u, &tl.cnt[k].Saturations, &tl.cnt[k].Wraps)
		}
		s := &tl.stats
		u = append(u, &s.macs, &s.neuronUpdates, &s.sramReads, &s.sramWrites, &s.divides, &s.wordsSent, &s.stalledCycles, &s.busyCycles)
	}
	for t := range c.links {
		for d := range 4 {
			u = append(u, &c.links[t][d])
		}
	}
	return i, u
}

// AppendSnapshot appends a snapshot of the chip to dst.
func (c *Chip) AppendSnapshot(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = append(dst, snapshotMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, SnapshotVersion)
	js, err := json.Marshal(&c.prog)
	if err != nil {
		return nil, fmt.Errorf("chip: snapshot: %v", err)
	}
	dst = binary.AppendUvarint(dst, uint64(len(js)))
	dst = append(dst, js...)
	flags := int64(0)
	if c.learnOn {
		flags |= 1
	}
	if c.hasTarget {
		flags |= 2
	}
	dst = binary.AppendVarint(dst, flags)
	for _, a := range c.arrays() {
		dst = binary.AppendUvarint(dst, uint64(len(a)))
		for _, x := range a {
			dst = binary.AppendVarint(dst, x)
		}
	}
	for _, a := range c.buses() {
		dst = binary.AppendUvarint(dst, uint64(len(a)))
		for _, x := range a {
			dst = binary.AppendVarint(dst, int64(x))
		}
	}
	is, us := c.scalars()
	for _, p := range is {
		dst = binary.AppendVarint(dst, *p)
	}
	for _, p := range us {
		dst = binary.AppendUvarint(dst, *p)
	}
	for _, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		seen := int64(0)
		if q.busSeen {
			seen = 1
		}
		for _, x := range [...]int64{int64(q.busShift), int64(q.busMin), int64(q.busMax), seen} {
			dst = binary.AppendVarint(dst, x)
		}
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:])), nil
}

// Snapshot returns a snapshot of the chip.
func (c *Chip) Snapshot() ([]byte, error) { return c.AppendSnapshot(nil) }

// Restore builds a chip from a snapshot; opts apply as in New (WithAnalog replaces the
// die's settings saved in the snapshot).
func Restore(data []byte, opts ...Option) (*Chip, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrSnapshot}, args...)...)
	}
	if len(data) < len(snapshotMagic)+8 || !bytes.Equal(data[:len(snapshotMagic)], snapshotMagic) {
		return nil, bad("it does not start with %q", snapshotMagic)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, bad("CRC mismatch (stored %#08x, computed %#08x); the data is corrupted", sum, got)
	}
	r := &reader{buf: body[len(snapshotMagic):]}
	version := r.u32()
	if version != 1 && version != SnapshotVersion {
		return nil, bad("version %d; this glemu reads versions 1 and %d (a newer glemu wrote it?)", version, SnapshotVersion)
	}
	n := r.uvarint()
	js := r.take(n)
	if r.err != nil {
		return nil, bad("program: %v", r.err)
	}
	var prog Program
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&prog); err != nil {
		return nil, bad("program: %v", err)
	}
	if version == 1 {
		prog.Config.ErrorBus = ErrorBusStatic // version 1 chips had only the static bus
	}
	if err := prog.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	// Every element takes at least one byte: refuse programs the data cannot hold
	// before allocating their state.
	if need := prog.stateElements(); need > uint64(len(data)) {
		return nil, bad("its program needs %d state values, the snapshot holds at most %d bytes", need, len(data))
	}
	c, err := New(&prog, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	flags := r.varint()
	for i, a := range c.arrays() {
		if n := r.uvarint(); r.err == nil && n != uint64(len(a)) {
			return nil, bad("array %d has %d values, the program needs %d", i, n, len(a))
		}
		for k := range a {
			a[k] = r.varint()
		}
	}
	for i, a := range c.buses() {
		if n := r.uvarint(); r.err == nil && n != uint64(len(a)) {
			return nil, bad("bus %d has %d values, the program needs %d", i, n, len(a))
		}
		for k := range a {
			x := r.varint()
			if x < -1<<15 || x >= 1<<15 {
				r.fail("bus value %d does not fit 16 bits", x)
			}
			a[k] = int16(x)
		}
	}
	is, us := c.scalars()
	for _, p := range is {
		*p = r.varint()
	}
	for _, p := range us {
		*p = r.uvarint()
	}
	sMax := c.f.eB.Format.Width() - c.f.errBus.Format.Width()
	for _, q := range c.pops {
		if q.role == RoleInput || version == 1 {
			continue
		}
		var v [4]int64
		for k := range v {
			v[k] = r.varint()
		}
		for _, x := range v[:3] {
			if r.err == nil && (x < 0 || x > int64(max(sMax, c.staticShift()))) {
				r.fail("population %q: error bus shift %d is out of range", q.name, x)
			}
		}
		q.busShift, q.busMin, q.busMax, q.busSeen = int(v[0]), int(v[1]), int(v[2]), v[3] != 0
	}
	if r.err != nil {
		return nil, bad("%v", r.err)
	}
	if len(r.buf) != 0 {
		return nil, bad("%d bytes after the last value", len(r.buf))
	}
	c.learnOn = flags&1 != 0
	c.hasTarget = flags&2 != 0
	c.cost = nil
	for _, q := range c.pops {
		if q.role == RoleInput {
			continue
		}
		for _, t := range q.tauM {
			if t < int64(1)<<c.f.tau.Format.Frac || t > c.f.tau.Format.Max() {
				return nil, bad("population %q: τm %d is out of range", q.name, t)
			}
		}
		c.deriveConstants(q, 0, q.size, nil)
		q.updatePhiAdjust()
	}
	c.learn.setRates(c, int64(1)<<c.f.decy.Format.Frac)
	c.busScales()
	return c, nil
}

// stateElements bounds the number of state values a chip for p holds.
func (p *Program) stateElements() uint64 {
	var n uint64
	C := uint64(p.Contexts)
	for _, q := range p.Populations {
		n += (C*16 + 8) * uint64(q.Size)
	}
	for _, t := range p.Tiles {
		for _, b := range t.Blocks {
			n += 4 * uint64(len(b.W))
		}
	}
	return n / 4 // a lower bound is enough: each array holds at least a quarter of this
}

// reader decodes a snapshot; the first error sticks.
type reader struct {
	buf []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *reader) u32() uint32 {
	if len(r.buf) < 4 {
		r.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint32(r.buf)
	r.buf = r.buf[4:]
	return v
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail("truncated or malformed number")
		r.buf = nil
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.fail("truncated or malformed number")
		r.buf = nil
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *reader) take(n uint64) []byte {
	if n > uint64(len(r.buf)) {
		r.fail("truncated: %d bytes announced, %d left", n, len(r.buf))
		return nil
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b
}
