package compiler_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/network"
)

// readHex reads a $readmemh file: one word per line after "//" comments.
func readHex(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var words []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if l := s.Text(); !strings.HasPrefix(l, "//") {
			words = append(words, l)
		}
	}
	return words
}

func signExtend(t *testing.T, word string, width int) int64 {
	t.Helper()
	u, err := strconv.ParseUint(word, 16, 64)
	if err != nil || len(word) != (width+3)/4 {
		t.Fatalf("word %q of width %d: %v", word, width, err)
	}
	v := int64(u << (64 - width))
	return v >> (64 - width)
}

// TestWriteMem: the memory files hold exactly the program's tiles: every weight at its
// crossbar cell, every slot, τ and bias, every block and route; mem.json lists them.
func TestWriteMem(t *testing.T) {
	n, err := network.Load("testdata/sparse.net.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(n, compiler.Options{Config: smallChip(4, 4, 32, 24), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Program
	dir := t.TempDir()
	m, err := compiler.WriteMem(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]compiler.MemFile{}
	for _, f := range m.Files {
		byName[strconv.Itoa(f.Tile)+"/"+f.Name] = f
		if got := len(readHex(t, filepath.Join(dir, f.File))); got != f.Depth {
			t.Errorf("%s: %d words, the manifest says %d", f.File, got, f.Depth)
		}
	}
	F := p.Config.InputsPerNeuron
	tiles := 0
	for ti, tl := range p.Tiles {
		if len(tl.Slots) == 0 && len(tl.Blocks) == 0 && len(tl.Routes) == 0 {
			continue
		}
		tiles++
		key := strconv.Itoa(ti) + "/"
		wf := byName[key+"w_mem"]
		cells := readHex(t, filepath.Join(dir, wf.File))
		plastic := readHex(t, filepath.Join(dir, byName[key+"plastic"].File))
		for _, b := range tl.Blocks {
			for i := range b.Rows {
				for j := range b.Cols {
					a := (b.CrossbarRow+i)*F + b.CrossbarCol + j
					if got := signExtend(t, cells[a], wf.Width); got != b.W[i*b.Cols+j] {
						t.Fatalf("tile %d cell %d: %d, want %d", ti, a, got, b.W[i*b.Cols+j])
					}
					if (plastic[a] == "1") != b.Plastic {
						t.Fatalf("tile %d cell %d: plastic %s, block %v", ti, a, plastic[a], b.Plastic)
					}
				}
			}
		}
		slots := readHex(t, filepath.Join(dir, byName[key+"slots"].File))
		tm := readHex(t, filepath.Join(dir, byName[key+"tau_m"].File))
		bias := readHex(t, filepath.Join(dir, byName[key+"bias"].File))
		for s, ref := range tl.Slots {
			w := signExtend(t, "0"+slots[s], 48)
			if got := (chip.NeuronRef{Population: int(w>>24) & 0xffff, Neuron: int(w & 0xffffff)}); w>>40 != 1 || got != ref {
				t.Fatalf("tile %d slot %d: %s, want %+v", ti, s, slots[s], ref)
			}
			q := p.Populations[ref.Population]
			if q.TauM != nil && signExtend(t, tm[s], 24) != q.TauM[ref.Neuron] {
				t.Fatalf("tile %d slot %d: tau_m %s, want %d", ti, s, tm[s], q.TauM[ref.Neuron])
			}
			if q.B != nil && signExtend(t, bias[s], 32) != q.B[ref.Neuron] {
				t.Fatalf("tile %d slot %d: bias %s, want %d", ti, s, bias[s], q.B[ref.Neuron])
			}
		}
		blocks := readHex(t, filepath.Join(dir, byName[key+"blocks"].File))
		for k, b := range tl.Blocks {
			want := []int{b.Projection, b.Row0, b.Rows, b.Col0, b.Cols, b.CrossbarRow, b.CrossbarCol, 0}
			if b.Plastic {
				want[7] = 1
			}
			for f, v := range want {
				if got := signExtend(t, blocks[k][8*f:8*f+8], 32); got != int64(v) {
					t.Fatalf("tile %d block %d field %d: %d, want %d", ti, k, f, got, v)
				}
			}
		}
		routes := readHex(t, filepath.Join(dir, byName[key+"routes"].File))
		if len(routes) != len(tl.Routes) {
			t.Fatalf("tile %d: %d routes, want %d", ti, len(routes), len(tl.Routes))
		}
	}
	if tiles == 0 || tiles != res.Report.TilesUsed {
		t.Errorf("%d tiles written, the report uses %d", tiles, res.Report.TilesUsed)
	}
	pops := readHex(t, filepath.Join(dir, "populations.hex"))
	for q, pop := range p.Populations {
		if got := signExtend(t, pops[q][40:48], 32); got != int64(pop.RateExp) {
			t.Errorf("population %d rate_exp %d, want %d", q, got, pop.RateExp)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "mem.json")); err != nil {
		t.Error(err)
	}
}
