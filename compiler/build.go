package compiler

import (
	"fmt"
	"slices"

	"github.com/glemu/glemu/chip"
)

// maxMaskBlocks bounds the weight blocks one learning masked projection may split
// into: the chip has no per-synapse mask bit, so masked synapses are held in frozen
// zero blocks beside the plastic ones.
const maxMaskBlocks = 4096

// projStats are per-projection facts of the mapping.
type projStats struct {
	blocks    int
	tiles     []int
	maskSplit int // blocks added by splitting for a learning mask
	signal    float64
	noise     float64
}

// buildTiles fills the program's tiles: slots, blocks with their raw weights.
func (pl *plan) buildTiles(pm placement) ([]projStats, error) {
	n, prog := pl.net, pl.prog
	stats := make([]projStats, len(n.Projections))
	wm, wc := pl.format("w_mem"), pl.format("w")
	for gi, g := range pl.groups {
		t := pm.tileOf[gi]
		tl := &prog.Tiles[t]
		for _, h := range g.homes {
			for i := h.lo; i < h.hi; i++ {
				tl.Slots = append(tl.Slots, chip.NeuronRef{Population: h.pop, Neuron: i})
			}
		}
		for _, b := range g.blocks {
			st := &stats[b.proj]
			cols := n.Populations[b.src].Size
			w := pl.params.Weights[b.proj]
			mask := pl.masks[b.proj]
			we := prog.Projections[b.proj].WeightExp
			plastic := n.Projections[b.proj].IsPlastic()
			split := mask != nil && plastic && n.Learning.Weights
			sub := []rect{{0, b.rows, 0, b.cols, true}}
			if split {
				sub = maskRects(mask, cols, b)
			}
			for _, r := range sub {
				blk := chip.Block{
					Projection: b.proj, Row0: b.row0 + r.r0, Rows: r.r1 - r.r0, Col0: b.col0 + r.c0, Cols: r.c1 - r.c0,
					CrossbarRow: b.xrow + r.r0, CrossbarCol: b.xcol + r.c0, Plastic: plastic && r.keep,
					W: make([]int64, (r.r1-r.r0)*(r.c1-r.c0)),
				}
				qm, qc := newQuantizer(wm, we), newQuantizer(wc, we)
				k := 0
				for i := blk.Row0; i < blk.Row0+blk.Rows; i++ {
					for j := blk.Col0; j < blk.Col0+blk.Cols; j++ {
						x := w[i*cols+j]
						blk.W[k], _ = qm.raw(x)
						k++
						if mask == nil || mask[i*cols+j] {
							cell, _ := qc.raw(x)
							d := x - qc.value(cell)
							st.signal += x * x
							st.noise += d * d
						}
					}
				}
				tl.Blocks = append(tl.Blocks, blk)
				st.blocks++
			}
			st.maskSplit += len(sub) - 1
			if !slices.Contains(st.tiles, t) {
				st.tiles = append(st.tiles, t)
			}
		}
	}
	for p := range stats {
		slices.Sort(stats[p].tiles)
		pr := n.Projections[p]
		st := &stats[p]
		switch {
		case st.blocks > maxMaskBlocks:
			pl.fs.errorf("mask-blocks", "freeze the projection (\"plastic\": false), switch weight learning off, or use a block-structured mask (rows with equal patterns, runs of synapses)",
				"projection %d (%s → %s): its learning mask splits it into %d weight blocks (at most %d); the chip has no per-synapse mask bit, so masked synapses need frozen zero blocks",
				p, pr.Source, pr.Target, st.blocks, maxMaskBlocks)
		case st.maskSplit > 16*(st.blocks-st.maskSplit):
			pl.fs.warnf("mask-blocks", "a block-structured mask keeps the block count low",
				"projection %d (%s → %s): its learning mask splits %d blocks into %d", p, pr.Source, pr.Target, st.blocks-st.maskSplit, st.blocks)
		}
	}
	return stats, nil
}

// rect is rows r0…r1−1 × columns c0…c1−1 of a block (relative), all kept or all masked.
type rect struct {
	r0, r1, c0, c1 int
	keep           bool
}

// maskRects cuts block b into rectangles of equal mask value: bands of consecutive rows
// with the same pattern, each cut into runs.
func maskRects(mask []bool, cols int, b pblock) []rect {
	var out []rect
	row := func(i int) []bool {
		a := (b.row0+i)*cols + b.col0
		return mask[a : a+b.cols]
	}
	for i := 0; i < b.rows; {
		e := i + 1
		for e < b.rows && slices.Equal(row(e), row(i)) {
			e++
		}
		pat := row(i)
		for c := 0; c < b.cols; {
			d := c + 1
			for d < b.cols && pat[d] == pat[c] {
				d++
			}
			out = append(out, rect{i, e, c, d, pat[c]})
			c = d
		}
		i = e
	}
	return out
}

// describe names projection p for messages.
func (pl *plan) describe(p int) string {
	pr := pl.net.Projections[p]
	return fmt.Sprintf("projection %d (%s → %s)", p, pr.Source, pr.Target)
}
