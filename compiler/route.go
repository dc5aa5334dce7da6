package compiler

import (
	"sort"

	"github.com/glemu/glemu/chip"
)

// Routing. Program.DeriveRoutes writes every tile's routing table (the exact set of
// transfers the placement needs, as maximal runs of neurons); every route follows the
// mesh's dimension-ordered XY path (columns first, then rows). linkLoads walks those
// paths and counts the words each directed link carries per step, the way the chip's
// cost model does: a rate or an error is one 16-bit word, a partial sum two, per
// context.

// LinkLoad is the traffic of one directed link between neighbouring tiles.
type LinkLoad struct {
	From int    `json:"from"`
	To   int    `json:"to"`
	Dir  string `json:"dir"` // "east", "west", "south", "north"
	// Words is the 16-bit words per step; Bits = 16·Words; Cycles = ⌈Bits/LinkBits⌉,
	// the cycles the link is busy per step.
	Words  int `json:"words"`
	Bits   int `json:"bits"`
	Cycles int `json:"cycles"`
	// Rates, Sums, Errors and ErrorSums split Words by what they carry.
	Rates     int `json:"rates"`
	Sums      int `json:"sums"`
	Errors    int `json:"errors"`
	ErrorSums int `json:"error_sums"`
}

var dirNames = [4]string{"east", "west", "south", "north"}

// xyWalk calls fn for every link of the XY route from tile a to tile b.
func xyWalk(a, b, cols int, fn func(from, to, dir int)) {
	ar, ac := a/cols, a%cols
	br, bc := b/cols, b%cols
	for ac != bc {
		t := ar*cols + ac
		if ac < bc {
			fn(t, t+1, 0)
			ac++
		} else {
			fn(t, t-1, 1)
			ac--
		}
	}
	for ar != br {
		t := ar*cols + ac
		if ar < br {
			fn(t, t+cols, 2)
			ar++
		} else {
			fn(t, t-cols, 3)
			ar--
		}
	}
}

// linkLoads returns every link that carries something, busiest first (ties by from, dir).
func linkLoads(p *chip.Program, contexts int) []LinkLoad {
	cols := p.Config.Cols
	type key struct{ from, dir int }
	loads := map[key]*LinkLoad{}
	for t := range p.Tiles {
		for _, r := range p.Tiles[t].Routes {
			words := contexts * (r.Hi - r.Lo)
			if r.Kind == chip.RouteSum || r.Kind == chip.RouteErrorSum {
				words *= 2
			}
			xyWalk(t, r.To, cols, func(from, to, dir int) {
				k := key{from, dir}
				l := loads[k]
				if l == nil {
					l = &LinkLoad{From: from, To: to, Dir: dirNames[dir]}
					loads[k] = l
				}
				l.Words += words
				switch r.Kind {
				case chip.RouteRate:
					l.Rates += words
				case chip.RouteSum:
					l.Sums += words
				case chip.RouteError:
					l.Errors += words
				case chip.RouteErrorSum:
					l.ErrorSums += words
				}
			})
		}
	}
	out := make([]LinkLoad, 0, len(loads))
	for _, l := range loads {
		l.Bits = 16 * l.Words
		l.Cycles = (l.Bits + p.Config.LinkBits - 1) / p.Config.LinkBits
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Words != b.Words {
			return a.Words > b.Words
		}
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	return out
}
