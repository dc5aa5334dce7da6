package chip_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/network"
)

// TestErrorBusExponentsAcrossPlacements: the block bus's shifts are one per population
// and step, whatever the placement (populations split over tiles included) and the
// worker count, and they really move with the errors.
func TestErrorBusExponentsAcrossPlacements(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			net := smallNet(v.loss, v.opt, v.errors, v.tau, v.gamma)
			var want []chip.BusExponent
			for pi, pl := range placements(3) {
				p, err := chiptest.Map(net, nil, pl.opt)
				if err != nil {
					t.Fatalf("%s: %v", pl.name, err)
				}
				for _, workers := range []int{1, 3} {
					c, err := chip.New(p, chip.WithWorkers(workers))
					if err != nil {
						t.Fatalf("%s: %v", pl.name, err)
					}
					drive(t, c, 120, 7, 1.5, v.loss == network.LossCrossEntropy)
					got := c.ErrorBusExponents()
					c.Close()
					if pi == 0 && workers == 1 {
						want = got
						moved := false
						for _, x := range got {
							moved = moved || x.MinShift != x.MaxShift
						}
						if !moved {
							t.Errorf("no population's shift moved in 120 steps: %+v", got)
						}
						continue
					}
					if !equalBus(got, want) {
						t.Errorf("%s, %d workers: shifts %+v, want %+v", pl.name, workers, got, want)
					}
				}
			}
		})
	}
}

func equalBus(a, b []chip.BusExponent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestErrorBusValues: every err_bus value is its ĕ within one LSB of the step's shift,
// and State reports it at that scale; the static bus keeps its fixed shift.
func TestErrorBusValues(t *testing.T) {
	for _, mode := range []chip.ErrorBusMode{chip.ErrorBusBlock, chip.ErrorBusStatic} {
		v := variants[0]
		p := mapSmall(t, v, 3, chiptest.Options{})
		p.Config.ErrorBus = mode
		c, err := chip.New(p)
		if err != nil {
			t.Fatal(err)
		}
		drive(t, c, 60, 3, 1.5, v.loss == network.LossCrossEntropy)
		eB, _ := p.Config.Formats.Lookup("e_breve")
		eBus, _ := p.Config.Formats.Lookup("err_bus")
		static := eB.Format.Frac - eBus.Format.Frac
		qi := 0
		for pi, q := range p.Populations {
			if q.Role == chip.RoleInput {
				continue
			}
			x := c.ErrorBusExponents()[qi]
			qi++
			if x.Population != q.Name || x.LSBExp != q.ErrorExp-eB.Format.Frac+x.Shift {
				t.Fatalf("%v: %+v for population %q (ErrorExp %d)", mode, x, q.Name, q.ErrorExp)
			}
			if mode == chip.ErrorBusStatic && (x.Shift != static || x.MinShift != static || x.MaxShift != static) {
				t.Errorf("static bus: %+v, want shift %d throughout", x, static)
			}
			bus, err := c.State(pi, "err_bus", nil)
			if err != nil {
				t.Fatal(err)
			}
			eb, _ := c.State(pi, "e_breve", nil)
			lsb := math.Ldexp(1, x.LSBExp)
			top := math.Ldexp(float64(eBus.Format.Max()), x.LSBExp)
			for i := range bus {
				if mode == chip.ErrorBusStatic && math.Abs(eb[i]) >= top {
					continue // the static bus saturates
				}
				if d := math.Abs(bus[i] - eb[i]); d > lsb {
					t.Errorf("%v: %s value %d: bus %g, ĕ %g: %g apart, more than one LSB (%g)", mode, q.Name, i, bus[i], eb[i], d, lsb)
					break
				}
			}
		}
		if mode == chip.ErrorBusBlock && !strings.Contains(c.Health(), "error bus shifts of ĕ") {
			t.Errorf("the health report does not give the bus shifts:\n%s", c.Health())
		}
		c.Close()
	}
}

// TestSnapshotErrorBus: a block-bus chip restores with its shifts (and their range), and
// a version-1 snapshot (written before the block bus) restores as the static chip it
// was and steps on bit for bit.
func TestSnapshotErrorBus(t *testing.T) {
	v := variants[0]
	ce := v.loss == network.LossCrossEntropy
	p := mapSmall(t, v, 2, chiptest.Options{})
	a, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	drive(t, a, 40, 1, 1.5, ce)
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := chip.Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	if !equalBus(a.ErrorBusExponents(), b.ErrorBusExponents()) {
		t.Fatalf("restored shifts %+v, want %+v", b.ErrorBusExponents(), a.ErrorBusExponents())
	}
	for qi := range p.Populations {
		x, _ := a.State(qi, "err_bus", nil)
		y, _ := b.State(qi, "err_bus", nil)
		for i := range x {
			if x[i] != y[i] {
				t.Fatalf("population %d: restored err_bus %g, want %g", qi, y[i], x[i])
			}
		}
	}
	drive(t, a, 30, 2, 1.5, ce)
	drive(t, b, 30, 2, 1.5, ce)
	if chip.Digest(a) != chip.Digest(b) || !equalBus(a.ErrorBusExponents(), b.ErrorBusExponents()) {
		t.Fatal("after 30 more steps the restored chip differs from the uninterrupted one")
	}

	// Version 1: the static chip's snapshot as the old layout wrote it.
	p.Config.ErrorBus = chip.ErrorBusStatic
	s, err := chip.New(p)
	if err != nil {
		t.Fatal(err)
	}
	drive(t, s, 40, 1, 1.5, ce)
	snap, err = s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	nPops := 0
	for _, q := range p.Populations {
		if q.Role != chip.RoleInput {
			nPops++
		}
	}
	old := toVersion1(t, snap, nPops)
	r, err := chip.Restore(old)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Program().Config.ErrorBus; got != chip.ErrorBusStatic {
		t.Fatalf("a version 1 snapshot restored with the %v bus, want static", got)
	}
	drive(t, s, 30, 2, 1.5, ce)
	drive(t, r, 30, 2, 1.5, ce)
	if chip.Digest(s) != chip.Digest(r) {
		t.Fatal("the version 1 snapshot's chip differs from the uninterrupted static one")
	}
	bad := bytes.Clone(old)
	binary.LittleEndian.PutUint32(bad[8:], 3)
	binary.LittleEndian.PutUint32(bad[len(bad)-4:], crc32.ChecksumIEEE(bad[:len(bad)-4]))
	if _, err := chip.Restore(bad); err == nil || !strings.Contains(err.Error(), "version 3; this glemu reads versions 1 and 2") {
		t.Errorf("version 3: error %v", err)
	}
}

// toVersion1 rewrites a static-bus snapshot as SnapshotVersion 1 wrote it: version 1,
// no ErrorBus in the program, no bus shifts at the end.
func toVersion1(t *testing.T, snap []byte, nPops int) []byte {
	t.Helper()
	body := snap[12:]
	n, k := binary.Uvarint(body)
	js := string(body[k : k+int(n)])
	rest := body[k+int(n) : len(body)-4]
	if !strings.Contains(js, `"ErrorBus":1,`) {
		t.Fatalf("no ErrorBus in the program JSON: %.200s", js)
	}
	js = strings.Replace(js, `"ErrorBus":1,`, "", 1)
	rest = rest[:len(rest)-4*nPops] // four one-byte varints per population
	out := append([]byte(nil), snap[:8]...)
	out = binary.LittleEndian.AppendUint32(out, 1)
	out = binary.AppendUvarint(out, uint64(len(js)))
	out = append(out, js...)
	out = append(out, rest...)
	return binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(out))
}
