package compiler

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Placement puts every group on a tile of the mesh so that Σ words × hops (XY routes)
// is small: a greedy pass (groups in order of falling traffic, each on the free tile
// nearest, in weighted hops, to the groups already placed) and simulated annealing
// (swaps of two tiles' contents, a geometric temperature schedule, the best placement
// kept), with a seeded generator, so a seed gives one placement. Pinned groups stay on
// their tiles. The naive placement it is compared with puts group i on the i-th free
// tile in row-major order.

// edge is traffic (words per step, both directions) between two groups.
type edge struct{ to, words int }

// trafficGraph returns, per group, the groups it exchanges words with, and the directed
// words per step between them (key: from, to).
func (pl *plan) trafficGraph(groups []*group) ([][]edge, map[[2]int]int) {
	n := pl.net
	C := pl.contexts()
	type homeAt struct {
		s seg
		g int
	}
	homes := make([][]homeAt, len(n.Populations))
	for gi, g := range groups {
		for _, h := range g.homes {
			homes[h.pop] = append(homes[h.pop], homeAt{h, gi})
		}
	}
	dir := map[[2]int]int{}
	send := func(pop, lo, hi, g, words int, toHome bool) {
		for _, h := range homes[pop] {
			o := min(hi, h.s.hi) - max(lo, h.s.lo)
			if o <= 0 || h.g == g {
				continue
			}
			if toHome {
				dir[[2]int{g, h.g}] += words * o
			} else {
				dir[[2]int{h.g, g}] += words * o
			}
		}
	}
	for gi, g := range groups {
		// Rates and errors: once per neuron per destination tile.
		for _, u := range unions(g.colSegs) {
			send(u.pop, u.lo, u.hi, gi, C, false)
		}
		for _, u := range unions(g.rowSegs) {
			send(u.pop, u.lo, u.hi, gi, C, false)
		}
		// Partial sums, per projection block.
		for _, b := range g.blocks {
			send(b.tgt, b.row0, b.row0+b.rows, gi, 2*C, true)
			if !n.Populations[b.src].Input {
				send(b.src, b.col0, b.col0+b.cols, gi, 2*C, true)
			}
		}
	}
	adj := make([][]edge, len(groups))
	sym := map[[2]int]int{}
	for k, w := range dir {
		a, b := min(k[0], k[1]), max(k[0], k[1])
		sym[[2]int{a, b}] += w
	}
	keys := make([][2]int, 0, len(sym))
	for k := range sym {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		adj[k[0]] = append(adj[k[0]], edge{k[1], sym[k]})
		adj[k[1]] = append(adj[k[1]], edge{k[0], sym[k]})
	}
	return adj, dir
}

// unions merges segments of the same population into disjoint runs, sorted.
func unions(ss []seg) []seg {
	s := slices.Clone(ss)
	sort.Slice(s, func(i, j int) bool {
		if s[i].pop != s[j].pop {
			return s[i].pop < s[j].pop
		}
		return s[i].lo < s[j].lo
	})
	var out []seg
	for _, x := range s {
		if k := len(out) - 1; k >= 0 && out[k].pop == x.pop && x.lo <= out[k].hi {
			out[k].hi = max(out[k].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return out
}

// hops is the XY route length between tiles a and b of a mesh with cols columns.
func hops(a, b, cols int) int {
	d := a/cols - b/cols
	e := a%cols - b%cols
	if d < 0 {
		d = -d
	}
	if e < 0 {
		e = -e
	}
	return d + e
}

// placement maps groups to tiles.
type placement struct {
	tileOf []int // group → tile
	at     []int // tile → group or −1
}

func (pl *placement) cost(adj [][]edge, cols int) int {
	c := 0
	for g, es := range adj {
		for _, e := range es {
			if e.to > g {
				c += e.words * hops(pl.tileOf[g], pl.tileOf[e.to], cols)
			}
		}
	}
	return c
}

// PlacementStats compares the placement with the naive one.
type PlacementStats struct {
	// NaiveCost, GreedyCost and Cost are Σ words × hops per step of the naive row-major
	// placement, of the greedy pass and of the final placement.
	NaiveCost  int `json:"naive_cost"`
	GreedyCost int `json:"greedy_cost"`
	Cost       int `json:"cost"`
	// Improvement is 1 − Cost/NaiveCost (0 when the naive placement costs nothing).
	Improvement float64 `json:"improvement"`
	// Moves is the number of annealing moves tried.
	Moves int `json:"moves"`
}

// place returns the placement of groups on a rows×cols mesh; groups must fit.
func place(groups []*group, adj [][]edge, rows, cols int, seed uint64, moves int) (placement, PlacementStats) {
	nt := rows * cols
	newP := func() placement {
		p := placement{tileOf: make([]int, len(groups)), at: make([]int, nt)}
		for i := range p.at {
			p.at[i] = -1
		}
		for g, gr := range groups {
			p.tileOf[g] = -1
			if gr.pinned >= 0 {
				p.tileOf[g], p.at[gr.pinned] = gr.pinned, g
			}
		}
		return p
	}
	// Naive: row-major.
	naive := newP()
	next := 0
	for g := range groups {
		if naive.tileOf[g] >= 0 {
			continue
		}
		for naive.at[next] >= 0 {
			next++
		}
		naive.tileOf[g], naive.at[next] = next, g
	}
	var st PlacementStats
	st.NaiveCost = naive.cost(adj, cols)

	// Greedy.
	total := make([]int, len(groups))
	for g, es := range adj {
		for _, e := range es {
			total[g] += e.words
		}
	}
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return total[order[i]] > total[order[j]] })
	gp := newP()
	cr, cc := float64(rows-1)/2, float64(cols-1)/2
	for _, g := range order {
		if gp.tileOf[g] >= 0 {
			continue
		}
		best, bestCost, bestD := -1, math.MaxInt, math.Inf(1)
		for t := range nt {
			if gp.at[t] >= 0 {
				continue
			}
			c := 0
			for _, e := range adj[g] {
				if u := gp.tileOf[e.to]; u >= 0 {
					c += e.words * hops(t, u, cols)
				}
			}
			d := math.Abs(float64(t/cols)-cr) + math.Abs(float64(t%cols)-cc)
			if c < bestCost || c == bestCost && d < bestD {
				best, bestCost, bestD = t, c, d
			}
		}
		gp.tileOf[g], gp.at[best] = best, g
	}
	st.GreedyCost = gp.cost(adj, cols)
	if st.NaiveCost < st.GreedyCost {
		gp = naive // anneal from the better start
	}

	// Annealing over swaps of two tiles' contents.
	cur := gp
	cur.tileOf, cur.at = slices.Clone(gp.tileOf), slices.Clone(gp.at)
	bestP := placement{slices.Clone(cur.tileOf), slices.Clone(cur.at)}
	curCost := min(st.GreedyCost, st.NaiveCost)
	bestCost := curCost
	var movable []int
	for t := range nt {
		if g := cur.at[t]; g < 0 || groups[g].pinned < 0 {
			movable = append(movable, t)
		}
	}
	if len(movable) >= 2 && len(groups) >= 2 && moves > 0 && curCost > 0 {
		rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
		delta := func(a, b int) int {
			ga, gb := cur.at[a], cur.at[b]
			d := 0
			moveCost := func(g, from, to, other int) {
				for _, e := range adj[g] {
					u := cur.tileOf[e.to]
					if e.to == other {
						continue // the pair's own edge keeps its length
					}
					d += e.words * (hops(to, u, cols) - hops(from, u, cols))
				}
			}
			if ga >= 0 {
				moveCost(ga, a, b, gb)
			}
			if gb >= 0 {
				moveCost(gb, b, a, ga)
			}
			return d
		}
		// Initial temperature: the mean |Δ| of some random moves.
		sum, cnt := 0.0, 0
		for range 64 {
			a, b := movable[rng.IntN(len(movable))], movable[rng.IntN(len(movable))]
			if a == b || cur.at[a] < 0 && cur.at[b] < 0 {
				continue
			}
			sum += math.Abs(float64(delta(a, b)))
			cnt++
		}
		temp := 1.0
		if cnt > 0 && sum > 0 {
			temp = sum / float64(cnt)
		}
		cool := math.Pow(1e-3, 1/float64(moves))
		for range moves {
			st.Moves++
			a, b := movable[rng.IntN(len(movable))], movable[rng.IntN(len(movable))]
			ga, gb := cur.at[a], cur.at[b]
			if a == b || ga < 0 && gb < 0 {
				temp *= cool
				continue
			}
			d := delta(a, b)
			if d <= 0 || rng.Float64() < math.Exp(-float64(d)/temp) {
				cur.at[a], cur.at[b] = gb, ga
				if ga >= 0 {
					cur.tileOf[ga] = b
				}
				if gb >= 0 {
					cur.tileOf[gb] = a
				}
				curCost += d
				if curCost < bestCost {
					bestCost = curCost
					copy(bestP.tileOf, cur.tileOf)
					copy(bestP.at, cur.at)
				}
			}
			temp *= cool
		}
	}
	st.Cost = bestCost
	if st.NaiveCost > 0 {
		st.Improvement = 1 - float64(st.Cost)/float64(st.NaiveCost)
	}
	return bestP, st
}
