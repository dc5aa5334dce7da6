package compiler

import "slices"

// Partitioning. A population is cut into row chunks of at most N neurons (balanced),
// each the home of its neurons (their slots) and of their crossbar rows. The columns a
// target population reads (the sources of its incoming projections, in file order) are
// cut into column chunks of at most F (balanced). Row chunk r × column chunk k is a
// piece: a rectangle of crossbar holding the weights of every projection part it
// covers. Piece (r, 0) travels with its home chunk, so a projection that needs no split
// keeps its partial sums on the neurons' own tile; pieces (r, k > 0) hold crossbar rows
// whose partial sums travel to the home tile and are added there in the same step.
//
// Items (a home chunk with its first piece, or an extra piece) are packed into groups,
// one group per tile, by first fit in file order, preferring the group that exchanges
// most traffic with the item. Within a group, every crossbar row belongs to one target
// neuron and every column to one source neuron: a piece reuses the rows of its target
// segment and the columns of a source segment already in the group when the cell
// rectangle is free, so projections that share a source share its columns.

// seg is neurons lo…hi−1 of population pop.
type seg struct{ pop, lo, hi int }

func (s seg) size() int { return s.hi - s.lo }

// colPart is source neurons lo…hi−1 of projection proj's source.
type colPart struct{ proj, src, lo, hi int }

// piece is a crossbar rectangle: target rows × the column parts of one column chunk.
type piece struct {
	rows  seg
	parts []colPart
	cols  int
	chunk int // column chunk index (0: travels with the home chunk)
}

// item is what packing places: a home chunk (slots) and/or a piece.
type item struct {
	home   *seg
	piece  *piece
	pinned int // physical tile, or −1
}

// group is what one tile holds.
type group struct {
	pinned int // physical tile, or −1
	homes  []seg
	slots  int

	rowSegs []seg
	rowOff  []int
	rows    int
	colSegs []seg
	colOff  []int
	cols    int
	cells   map[[2]int]bool // (row seg, col seg) pairs holding a block
	blocks  []pblock
}

// pblock is a block before its weights are filled in.
type pblock struct {
	proj           int
	row0, rows     int
	col0, cols     int
	xrow, xcol     int
	rowSeg, colSeg int
	src, tgt       int
}

func newGroup(pinned int) *group {
	return &group{pinned: pinned, cells: map[[2]int]bool{}}
}

// fit returns the slots, crossbar rows and columns adding it would take.
func (g *group) fit(it *item) (slots, rows, cols int) {
	if it.home != nil {
		slots = it.home.size()
	}
	pc := it.piece
	if pc == nil {
		return
	}
	ri := slices.Index(g.rowSegs, pc.rows)
	if ri < 0 {
		rows = pc.rows.size()
	}
	used := map[int]bool{}
	for _, cp := range pc.parts {
		s := seg{cp.src, cp.lo, cp.hi}
		found := false
		if ri >= 0 {
			for ci, cs := range g.colSegs {
				if cs == s && !g.cells[[2]int{ri, ci}] && !used[ci] {
					used[ci], found = true, true
					break
				}
			}
		}
		if !found {
			cols += s.size()
		}
	}
	return
}

// add puts the item into the group and records its blocks.
func (g *group) add(it *item) {
	if it.home != nil {
		g.homes = append(g.homes, *it.home)
		g.slots += it.home.size()
	}
	pc := it.piece
	if pc == nil {
		return
	}
	ri := slices.Index(g.rowSegs, pc.rows)
	if ri < 0 {
		ri = len(g.rowSegs)
		g.rowSegs = append(g.rowSegs, pc.rows)
		g.rowOff = append(g.rowOff, g.rows)
		g.rows += pc.rows.size()
	}
	for _, cp := range pc.parts {
		s := seg{cp.src, cp.lo, cp.hi}
		ci := -1
		for k, cs := range g.colSegs {
			if cs == s && !g.cells[[2]int{ri, k}] {
				ci = k
				break
			}
		}
		if ci < 0 {
			ci = len(g.colSegs)
			g.colSegs = append(g.colSegs, s)
			g.colOff = append(g.colOff, g.cols)
			g.cols += s.size()
		}
		g.cells[[2]int{ri, ci}] = true
		g.blocks = append(g.blocks, pblock{
			proj: cp.proj, row0: pc.rows.lo, rows: pc.rows.size(), col0: cp.lo, cols: cp.hi - cp.lo,
			xrow: g.rowOff[ri], xcol: g.colOff[ci], rowSeg: ri, colSeg: ci, src: cp.src, tgt: pc.rows.pop,
		})
	}
}

// balanced cuts n into ⌈n/max⌉ nearly equal parts and returns their bounds ([0] for
// n ≤ 0).
func balanced(n, max int) []int {
	if n <= 0 {
		return []int{0}
	}
	k := (n + max - 1) / max
	out := make([]int, k+1)
	for i := range k + 1 {
		out[i] = i * n / k
	}
	return out
}

// validPins reports whether every pinned tile exists (GLE009 reports those that do
// not; the population is then placed as if unpinned).
func validPins(tiles []int, n int) bool {
	for _, t := range tiles {
		if t < 0 || t >= n {
			return false
		}
	}
	return true
}

// items lists what packing places, in file order.
func (pl *plan) items() ([]item, error) {
	n, cfg := pl.net, &pl.cfg
	N, F := cfg.NeuronsPerTile, cfg.InputsPerNeuron
	var its []item
	for q, pop := range n.Populations {
		// Row chunks: by pinned tiles (filled in order), else balanced.
		var cuts []int
		var pins []int
		if h := pop.Chip; h != nil && len(h.Tiles) > 0 && validPins(h.Tiles, cfg.Tiles()) {
			cuts = []int{0}
			for _, t := range h.Tiles {
				if cuts[len(cuts)-1] == pop.Size {
					break
				}
				cuts = append(cuts, min(pop.Size, cuts[len(cuts)-1]+N))
				pins = append(pins, t)
			}
			// What the pinned tiles cannot hold (GLE009 reports it) goes unpinned.
			for rest := balanced(pop.Size-cuts[len(cuts)-1], N); len(rest) > 1; rest = rest[1:] {
				if rest[1] > rest[0] {
					cuts = append(cuts, cuts[len(cuts)-1]+rest[1]-rest[0])
					pins = append(pins, -1)
				}
			}
		} else {
			cuts = balanced(pop.Size, N)
		}
		// Column chunks over the incoming projections' sources.
		type span struct{ proj, src, size int }
		var spans []span
		total := 0
		for _, p := range n.Incoming(q) {
			s, _ := n.Endpoints(p)
			spans = append(spans, span{p, s, n.Populations[s].Size})
			total += n.Populations[s].Size
		}
		var chunks [][]colPart
		if total > 0 {
			cc := balanced(total, F)
			for k := range len(cc) - 1 {
				lo, hi := cc[k], cc[k+1]
				var parts []colPart
				off := 0
				for _, sp := range spans {
					a, b := max(lo, off), min(hi, off+sp.size)
					if a < b {
						parts = append(parts, colPart{sp.proj, sp.src, a - off, b - off})
					}
					off += sp.size
				}
				chunks = append(chunks, parts)
			}
		}
		for r := range len(cuts) - 1 {
			home := &seg{q, cuts[r], cuts[r+1]}
			pin := -1
			if pins != nil {
				pin = pins[r]
			}
			it := item{home: home, pinned: pin}
			for k, parts := range chunks {
				pc := &piece{rows: *home, parts: parts, chunk: k}
				for _, cp := range parts {
					pc.cols += cp.hi - cp.lo
				}
				if k == 0 {
					it.piece = pc
					its = append(its, it)
					continue
				}
				its = append(its, item{piece: pc, pinned: -1})
			}
			if len(chunks) == 0 {
				its = append(its, it)
			}
		}
	}
	return its, nil
}

// pack places the items into groups.
func (pl *plan) pack(its []item) []*group {
	N, F := pl.cfg.NeuronsPerTile, pl.cfg.InputsPerNeuron
	var groups []*group
	pinned := map[int]*group{}
	// homeOf[q] lists (segment, group) of population q's placed home chunks.
	type homeAt struct {
		s seg
		g int
	}
	homeOf := make([][]homeAt, len(pl.net.Populations))
	// readers[q] lists (segment read as columns, group) of pieces reading q.
	readers := make([][]homeAt, len(pl.net.Populations))
	overlap := func(a, b seg) int { return max(0, min(a.hi, b.hi)-max(a.lo, b.lo)) }
	C := pl.contexts()
	affinity := make([]int, 0)
	for ii := range its {
		it := &its[ii]
		var g *group
		gi := -1
		if it.pinned >= 0 {
			g = pinned[it.pinned]
			if g == nil {
				g = newGroup(it.pinned)
				pinned[it.pinned] = g
				groups = append(groups, g)
			}
			gi = slices.Index(groups, g)
		} else {
			// Traffic the item exchanges with each group.
			affinity = affinity[:0]
			for range groups {
				affinity = append(affinity, 0)
			}
			if pc := it.piece; pc != nil {
				for _, cp := range pc.parts {
					for _, h := range homeOf[cp.src] {
						affinity[h.g] += 3 * C * overlap(h.s, seg{cp.src, cp.lo, cp.hi})
					}
				}
				for _, h := range homeOf[pc.rows.pop] {
					affinity[h.g] += 3 * C * overlap(h.s, pc.rows)
				}
			}
			if hm := it.home; hm != nil {
				for _, rd := range readers[hm.pop] {
					affinity[rd.g] += 3 * C * overlap(rd.s, *hm)
				}
			}
			best := -1
			for k, cand := range groups {
				if cand.pinned >= 0 {
					continue
				}
				s, r, c := cand.fit(it)
				if cand.slots+s > N || cand.rows+r > N || cand.cols+c > F {
					continue
				}
				if best < 0 || affinity[k] > affinity[best] {
					best = k
				}
			}
			if best < 0 {
				g = newGroup(-1)
				groups = append(groups, g)
				gi = len(groups) - 1
			} else {
				g, gi = groups[best], best
			}
		}
		g.add(it)
		if it.home != nil {
			homeOf[it.home.pop] = append(homeOf[it.home.pop], homeAt{*it.home, gi})
		}
		if pc := it.piece; pc != nil {
			for _, cp := range pc.parts {
				readers[cp.src] = append(readers[cp.src], homeAt{seg{cp.src, cp.lo, cp.hi}, gi})
			}
		}
	}
	return groups
}
