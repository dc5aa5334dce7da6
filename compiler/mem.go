package compiler

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/glemu/glemu/chip"
)

// Memory files for an RTL testbench: WriteMem writes what every tile of a program holds
// as Verilog $readmemh files (one hexadecimal word per line, a "//" comment line first)
// and a JSON manifest (mem.json) naming each file, its word width, depth and layout, so a
// testbench loads exactly the state the emulator runs. Signed values are written in two's
// complement in the memory's width. Files of one tile are named tileTTT_NAME.hex; the
// chip-wide registers go to populations.hex and projections.hex.

// MemFormat names the memory manifest's JSON document.
const MemFormat = "glemu-mem"

// MemManifest describes the memory files of a program.
type MemManifest struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Network  string    `json:"network"`
	Rows     int       `json:"rows"`
	Cols     int       `json:"cols"`
	Neurons  int       `json:"neurons_per_tile"`
	Inputs   int       `json:"inputs_per_neuron"`
	Contexts int       `json:"contexts"`
	Seed     uint64    `json:"seed"`
	Files    []MemFile `json:"files"`
}

// MemFile is one $readmemh file.
type MemFile struct {
	// Tile is the tile the memory belongs to, −1 for chip-wide registers.
	Tile  int    `json:"tile"`
	Name  string `json:"name"`
	File  string `json:"file"`
	Width int    `json:"width"` // bits per word
	Depth int    `json:"depth"` // words
	// Layout says what a word holds, most significant field first.
	Layout string `json:"layout"`
}

// memLayouts documents each memory.
var memLayouts = map[string]string{
	"w_mem":       "weight memory cell (crossbar row r, column c) at address r·InputsPerNeuron + c: raw w_mem, two's complement, exponent the projection's WeightExp; 0 where no block lies",
	"plastic":     "1 where the cell belongs to a plastic block (its weight learns), else 0; same addresses as w_mem",
	"slots":       "slot s: valid[40] | population[39:24] | neuron[23:0]",
	"tau_m":       "slot s: raw τm (format tau_m, units of dt); 0 for empty slots and inputs",
	"tau_r":       "slot s: raw τr (format tau_m, units of dt); 0 for empty slots and inputs",
	"bias":        "slot s: raw bias (format b, exponent the population's StateExp), two's complement; 0 without bias",
	"blocks":      "block k, eight 32-bit fields: projection | row0 | rows | col0 | cols | crossbar_row | crossbar_col | plastic",
	"routes":      "route k, five 32-bit fields: kind (1 rate, 2 sum, 3 error, 4 error-sum) | population or projection | lo | hi | to",
	"populations": "population q, ten 32-bit fields: role (0 hidden, 1 input, 2 output) | activation (fixedpoint.Func) | bias | gamma raw | gamma exp | rate_exp | state_exp | error_exp | bias_grad_exp | tau_grad_exp",
	"projections": "projection p, four 32-bit fields: source | target | weight_exp | grad_exp",
}

// hexWriter writes one memory file.
type hexWriter struct {
	w      *bufio.Writer
	digits int
	mask   uint64
	words  int
}

func (h *hexWriter) word(v int64) {
	fmt.Fprintf(h.w, "%0*x\n", h.digits, uint64(v)&h.mask)
	h.words++
}

// fields writes one word of n 32-bit fields, the first most significant.
func (h *hexWriter) fields(vs ...int64) {
	for _, v := range vs {
		fmt.Fprintf(h.w, "%08x", uint32(v))
	}
	h.w.WriteByte('\n')
	h.words++
}

// WriteMem writes the program's memories as $readmemh files and mem.json into dir,
// which is created if needed, and returns the manifest.
func WriteMem(dir string, p *chip.Program) (*MemManifest, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("compiler: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("compiler: %w", err)
	}
	cfg := &p.Config
	N, F := cfg.NeuronsPerTile, cfg.InputsPerNeuron
	m := &MemManifest{Format: MemFormat, Version: 1, Network: p.Name, Rows: cfg.Rows, Cols: cfg.Cols,
		Neurons: N, Inputs: F, Contexts: p.Contexts, Seed: p.Seed}
	width := func(name string) int {
		v, _ := cfg.Formats.Lookup(name)
		return v.Format.Width()
	}
	write := func(tile int, name string, w int, fill func(h *hexWriter)) error {
		file := name + ".hex"
		if tile >= 0 {
			file = fmt.Sprintf("tile%03d_%s.hex", tile, name)
		}
		f, err := os.Create(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("compiler: %w", err)
		}
		bw := bufio.NewWriter(f)
		fmt.Fprintf(bw, "// %s: %s\n", strings.TrimSuffix(file, ".hex"), memLayouts[name])
		h := &hexWriter{w: bw, digits: (w + 3) / 4, mask: 1<<uint(w) - 1}
		if w >= 64 {
			h.mask = ^uint64(0)
		}
		fill(h)
		if err := bw.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("compiler: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("compiler: %w", err)
		}
		m.Files = append(m.Files, MemFile{Tile: tile, Name: name, File: file, Width: w, Depth: h.words, Layout: memLayouts[name]})
		return nil
	}
	for t := range p.Tiles {
		tl := &p.Tiles[t]
		if len(tl.Slots) == 0 && len(tl.Blocks) == 0 && len(tl.Routes) == 0 {
			continue
		}
		cells := make([]int64, N*F)
		plastic := make([]int64, N*F)
		for _, b := range tl.Blocks {
			for i := range b.Rows {
				for j := range b.Cols {
					a := (b.CrossbarRow+i)*F + b.CrossbarCol + j
					cells[a] = b.W[i*b.Cols+j]
					if b.Plastic {
						plastic[a] = 1
					}
				}
			}
		}
		slot := func(get func(q *chip.Population, i int) int64) func(h *hexWriter) {
			return func(h *hexWriter) {
				for s := range N {
					if s >= len(tl.Slots) {
						h.word(0)
						continue
					}
					ref := tl.Slots[s]
					h.word(get(&p.Populations[ref.Population], ref.Neuron))
				}
			}
		}
		steps := []struct {
			name string
			w    int
			fill func(h *hexWriter)
		}{
			{"w_mem", width("w_mem"), func(h *hexWriter) {
				for _, c := range cells {
					h.word(c)
				}
			}},
			{"plastic", 1, func(h *hexWriter) {
				for _, c := range plastic {
					h.word(c)
				}
			}},
			{"slots", 41, func(h *hexWriter) {
				for s := range N {
					if s >= len(tl.Slots) {
						h.word(0)
						continue
					}
					ref := tl.Slots[s]
					h.word(1<<40 | int64(ref.Population)<<24 | int64(ref.Neuron))
				}
			}},
			{"tau_m", width("tau_m"), slot(func(q *chip.Population, i int) int64 {
				if q.TauM == nil {
					return 0
				}
				return q.TauM[i]
			})},
			{"tau_r", width("tau_m"), slot(func(q *chip.Population, i int) int64 {
				if q.TauR == nil {
					return 0
				}
				return q.TauR[i]
			})},
			{"bias", width("b"), slot(func(q *chip.Population, i int) int64 {
				if q.B == nil {
					return 0
				}
				return q.B[i]
			})},
			{"blocks", 256, func(h *hexWriter) {
				for _, b := range tl.Blocks {
					pl := int64(0)
					if b.Plastic {
						pl = 1
					}
					h.fields(int64(b.Projection), int64(b.Row0), int64(b.Rows), int64(b.Col0), int64(b.Cols), int64(b.CrossbarRow), int64(b.CrossbarCol), pl)
				}
			}},
			{"routes", 160, func(h *hexWriter) {
				for _, r := range tl.Routes {
					id := r.Population
					if r.Kind == chip.RouteSum || r.Kind == chip.RouteErrorSum {
						id = r.Projection
					}
					h.fields(int64(r.Kind), int64(id), int64(r.Lo), int64(r.Hi), int64(r.To))
				}
			}},
		}
		for _, s := range steps {
			if err := write(t, s.name, s.w, s.fill); err != nil {
				return nil, err
			}
		}
	}
	if err := write(-1, "populations", 320, func(h *hexWriter) {
		for _, q := range p.Populations {
			b := int64(0)
			if q.Bias {
				b = 1
			}
			h.fields(int64(q.Role), int64(q.Activation), b, q.Gamma.Raw, int64(q.Gamma.Exp), int64(q.RateExp), int64(q.StateExp), int64(q.ErrorExp), int64(q.BiasGradExp), int64(q.TauGradExp))
		}
	}); err != nil {
		return nil, err
	}
	if err := write(-1, "projections", 128, func(h *hexWriter) {
		for _, pr := range p.Projections {
			h.fields(int64(pr.Source), int64(pr.Target), int64(pr.WeightExp), int64(pr.GradExp))
		}
	}); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, fmt.Errorf("compiler: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mem.json"), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("compiler: %w", err)
	}
	return m, nil
}
