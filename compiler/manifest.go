package compiler

import (
	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/fixedpoint"
)

// ManifestFormat names the manifest's JSON document.
const ManifestFormat = "glemu-manifest"

// ManifestVersion is the manifest's format version.
const ManifestVersion = 1

// Manifest says what went where in a compiled program, with the formats and scales
// chosen, in names a person reads: the JSON written beside the image.
type Manifest struct {
	Format   string  `json:"format"`
	Version  int     `json:"version"`
	Network  string  `json:"network"`
	Seed     uint64  `json:"seed"`
	Dt       float64 `json:"dt"`
	Contexts int     `json:"contexts"`
	Errors   string  `json:"errors"`
	// Chip is the configuration compiled for; Formats its arithmetic table.
	Chip    ChipConfig      `json:"chip"`
	Formats []ManifestVar   `json:"formats"`
	Pops    []ManifestPop   `json:"populations"`
	Projs   []ManifestProj  `json:"projections"`
	Tiles   []ManifestTile  `json:"tiles"`
	Loss    ManifestLoss    `json:"loss"`
	Learn   ManifestLearn   `json:"learning"`
	Host    map[string]bool `json:"host,omitempty"`
}

// ManifestVar is one variable of the format table.
type ManifestVar struct {
	Name     string `json:"name"`
	Format   string `json:"format"`
	Rounding string `json:"rounding"`
	Overflow string `json:"overflow"`
}

// ManifestReg is a register: mantissa, exponent and the value it holds.
type ManifestReg struct {
	Raw   int64   `json:"raw"`
	Exp   int     `json:"exp"`
	Value float64 `json:"value"`
}

// ManifestRun is neurons Lo…Hi−1 of a population in slots Slot…Slot+Hi−Lo−1 of a tile.
type ManifestRun struct {
	Tile int `json:"tile"`
	Slot int `json:"slot"`
	Lo   int `json:"lo"`
	Hi   int `json:"hi"`
}

// ManifestPop is one population.
type ManifestPop struct {
	Name        string        `json:"name"`
	Size        int           `json:"size"`
	Role        string        `json:"role"`
	Activation  string        `json:"activation,omitempty"`
	Bias        bool          `json:"bias,omitempty"`
	Gamma       ManifestReg   `json:"gamma"`
	RateExp     int           `json:"rate_exp"`
	StateExp    int           `json:"state_exp"`
	ErrorExp    int           `json:"error_exp"`
	BiasGradExp int           `json:"bias_grad_exp"`
	TauGradExp  int           `json:"tau_grad_exp"`
	Home        []ManifestRun `json:"home"`
}

// ManifestBlock is one weight block.
type ManifestBlock struct {
	Tile        int  `json:"tile"`
	Row0        int  `json:"row0"`
	Rows        int  `json:"rows"`
	Col0        int  `json:"col0"`
	Cols        int  `json:"cols"`
	CrossbarRow int  `json:"crossbar_row"`
	CrossbarCol int  `json:"crossbar_col"`
	Plastic     bool `json:"plastic"`
}

// ManifestProj is one projection.
type ManifestProj struct {
	Index     int             `json:"index"`
	Source    string          `json:"source"`
	Target    string          `json:"target"`
	WeightExp int             `json:"weight_exp"`
	GradExp   int             `json:"grad_exp"`
	Masked    bool            `json:"masked,omitempty"`
	Blocks    []ManifestBlock `json:"blocks"`
}

// ManifestRoute is one routing-table entry.
type ManifestRoute struct {
	Kind string `json:"kind"`
	// Of names the population (rate, error) or projection (as "source → target": sum,
	// error-sum) whose values travel.
	Of   string `json:"of"`
	Lo   int    `json:"lo"`
	Hi   int    `json:"hi"`
	To   int    `json:"to"`
	Hops int    `json:"hops"`
}

// ManifestTile is one tile's contents in brief and its routing table.
type ManifestTile struct {
	Tile   int             `json:"tile"`
	Row    int             `json:"row"`
	Col    int             `json:"col"`
	Slots  int             `json:"slots"`
	Blocks int             `json:"blocks"`
	Routes []ManifestRoute `json:"routes"`
}

// ManifestLoss is the output error.
type ManifestLoss struct {
	Kind string      `json:"kind"`
	Beta ManifestReg `json:"beta"`
}

// ManifestLearn is the learning registers.
type ManifestLearn struct {
	Optimizer string         `json:"optimizer"`
	Weights   *ManifestParam `json:"weights,omitempty"`
	Biases    *ManifestParam `json:"biases,omitempty"`
	TauM      *ManifestParam `json:"tau_m,omitempty"`
	Momentum  float64        `json:"momentum,omitempty"`
	Beta1     float64        `json:"beta1,omitempty"`
	Beta2     float64        `json:"beta2,omitempty"`
	TauMMin   float64        `json:"tau_m_min,omitempty"` // in units of dt
}

// ManifestParam is one kind of parameter's learning registers.
type ManifestParam struct {
	LR  ManifestReg  `json:"lr"`
	Eps *ManifestReg `json:"eps,omitempty"`
}

var roundingNames = map[fixedpoint.Rounding]string{fixedpoint.Floor: "floor", fixedpoint.HalfEven: "half-even", fixedpoint.HalfAway: "half-away", fixedpoint.Stochastic: "stochastic"}

func (pl *plan) mreg(r chip.Reg, name string) ManifestReg {
	return ManifestReg{Raw: r.Raw, Exp: r.Exp, Value: pl.regValue(r, name)}
}

// manifest describes the compiled program.
func (pl *plan) manifest(pm placement) *Manifest {
	n, prog, cfg := pl.net, pl.prog, &pl.cfg
	m := &Manifest{
		Format: ManifestFormat, Version: ManifestVersion, Network: n.Name, Seed: prog.Seed, Dt: prog.Dt,
		Contexts: prog.Contexts, Errors: n.Errors,
		Chip: ChipConfig{cfg.Rows, cfg.Cols, cfg.NeuronsPerTile, cfg.InputsPerNeuron, cfg.MACUnits, cfg.LinkBits, cfg.ClockHz},
	}
	for _, v := range cfg.Formats {
		ov := "saturate"
		if v.Overflow == fixedpoint.Wrap {
			ov = "wrap"
		}
		m.Formats = append(m.Formats, ManifestVar{v.Name, v.Format.String(), roundingNames[v.Rounding], ov})
	}
	for q, pop := range n.Populations {
		pp := &prog.Populations[q]
		mp := ManifestPop{Name: pp.Name, Size: pp.Size, Role: pp.Role.String(), Bias: pp.Bias,
			Gamma: pl.mreg(pp.Gamma, "gamma"), RateExp: pp.RateExp, StateExp: pp.StateExp, ErrorExp: pp.ErrorExp,
			BiasGradExp: pp.BiasGradExp, TauGradExp: pp.TauGradExp}
		if !pop.Input {
			mp.Activation = pp.Activation.String()
		}
		tiles, slots := prog.Home(q)
		for i := 0; i < len(tiles); {
			e := i + 1
			for e < len(tiles) && tiles[e] == tiles[i] && slots[e] == slots[e-1]+1 {
				e++
			}
			mp.Home = append(mp.Home, ManifestRun{Tile: tiles[i], Slot: slots[i], Lo: i, Hi: e})
			i = e
		}
		m.Pops = append(m.Pops, mp)
	}
	for p := range n.Projections {
		pr := &prog.Projections[p]
		m.Projs = append(m.Projs, ManifestProj{Index: p, Source: n.Populations[pr.Source].Name, Target: n.Populations[pr.Target].Name,
			WeightExp: pr.WeightExp, GradExp: pr.GradExp, Masked: n.Projections[p].Mask != nil})
	}
	for t := range prog.Tiles {
		tl := &prog.Tiles[t]
		for _, b := range tl.Blocks {
			mp := &m.Projs[b.Projection]
			mp.Blocks = append(mp.Blocks, ManifestBlock{t, b.Row0, b.Rows, b.Col0, b.Cols, b.CrossbarRow, b.CrossbarCol, b.Plastic})
		}
		if len(tl.Slots) == 0 && len(tl.Blocks) == 0 && len(tl.Routes) == 0 {
			continue
		}
		mt := ManifestTile{Tile: t, Row: t / cfg.Cols, Col: t % cfg.Cols, Slots: len(tl.Slots), Blocks: len(tl.Blocks)}
		for _, r := range tl.Routes {
			of := ""
			switch r.Kind {
			case chip.RouteRate, chip.RouteError:
				of = prog.Populations[r.Population].Name
			default:
				pr := prog.Projections[r.Projection]
				of = prog.Populations[pr.Source].Name + " → " + prog.Populations[pr.Target].Name
			}
			mt.Routes = append(mt.Routes, ManifestRoute{r.Kind.String(), of, r.Lo, r.Hi, r.To, hops(t, r.To, cfg.Cols)})
		}
		m.Tiles = append(m.Tiles, mt)
	}
	m.Loss = ManifestLoss{Kind: prog.Loss.Kind.String(), Beta: pl.mreg(prog.Loss.Beta, "beta")}
	l := &prog.Learning
	m.Learn.Optimizer = l.Optimizer.String()
	param := func(pl2 chip.ParamLearning) *ManifestParam {
		if !pl2.On {
			return nil
		}
		mp := &ManifestParam{LR: pl.mreg(pl2.LR, "lr")}
		if l.Optimizer == chip.OptAdam {
			e := pl.mreg(pl2.Eps, "adam_eps")
			mp.Eps = &e
		}
		return mp
	}
	m.Learn.Weights, m.Learn.Biases, m.Learn.TauM = param(l.Weights), param(l.Biases), param(l.TauM)
	decay := pl.format("decay")
	m.Learn.Momentum, m.Learn.Beta1, m.Learn.Beta2 = decay.ToFloat(l.Momentum), decay.ToFloat(l.Beta1), decay.ToFloat(l.Beta2)
	if l.TauMMin != 0 {
		m.Learn.TauMMin = pl.format("tau_m").ToFloat(l.TauMMin)
	}
	if n.Learning.Plateau != nil {
		m.Host = map[string]bool{"plateau": true} // the host's training loop schedules lr
	}
	return m
}
