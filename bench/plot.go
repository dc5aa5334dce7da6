package bench

import (
	"bytes"
	"fmt"
	"image/color"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Curve is one line of a scaling plot: steps/s (Y) against a series' parameter (X).
type Curve struct {
	Name string
	X, Y []float64
}

// Curves returns the scaling curves of a series found in the report: the chip's
// steps/s and gle's on the same workloads, sorted by X. Either is empty when the
// report has no point of the series.
func (rep *Report) Curves(s Series) (chipCurve, floatCurve Curve) {
	chipCurve.Name, floatCurve.Name = "chip emulator", "float reference (gle)"
	var rs []Result
	for _, r := range rep.Results {
		if r.Series == s && r.Skipped == "" && r.StepsPerSec > 0 {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b Result) int {
		switch {
		case a.X < b.X:
			return -1
		case a.X > b.X:
			return 1
		}
		return 0
	})
	for _, r := range rs {
		chipCurve.X, chipCurve.Y = append(chipCurve.X, r.X), append(chipCurve.Y, r.StepsPerSec)
		if r.FloatStepsPerSec > 0 {
			floatCurve.X, floatCurve.Y = append(floatCurve.X, r.X), append(floatCurve.Y, r.FloatStepsPerSec)
		}
	}
	return chipCurve, floatCurve
}

// PlotPNG draws the report's scaling curves as a PNG: steps/s against neurons per tile
// (a full 4×4 mesh learning, one context) and against contexts (the MNIST-1D network
// learning), chip and float reference, on log–log axes. A report without the sweeps'
// workloads (Select with sweeps) is an error.
func (rep *Report) PlotPNG() ([]byte, error) {
	panels := []struct {
		s            Series
		title, xl    string
		chipC, float Curve
	}{
		{s: SeriesNeurons, title: "4×4 mesh learning, 1 context: steps/s against tile size", xl: "neurons per tile (N = F)"},
		{s: SeriesContexts, title: "MNIST-1D network learning: steps/s against contexts", xl: "contexts (batch)"},
	}
	var plots [][]*plot.Plot
	for i := range panels {
		pn := &panels[i]
		pn.chipC, pn.float = rep.Curves(pn.s)
		if len(pn.chipC.X) == 0 {
			return nil, fmt.Errorf("bench: plot: the report has no %q sweep; run the suite with the sweeps (glemu bench --plot)", pn.s)
		}
		p := plot.New()
		p.Title.Text = pn.title
		p.X.Label.Text = pn.xl
		p.Y.Label.Text = "steps/s"
		p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
		p.X.Tick.Marker = pointTicks(pn.chipC.X)
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		for j, c := range []Curve{pn.chipC, pn.float} {
			if len(c.X) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(c.X))
			for k := range c.X {
				xy[k].X, xy[k].Y = c.X[k], c.Y[k]
			}
			l, sc, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, fmt.Errorf("bench: plot: %w", err)
			}
			col := []color.Color{color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}}[j]
			l.Color, sc.Color = col, col
			l.Width = vg.Points(1.5)
			if j == 1 {
				l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			p.Add(l, sc)
			p.Legend.Add(c.Name, l, sc)
		}
		plots = append(plots, []*plot.Plot{p})
	}
	img := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(8*vg.Inch, 9*vg.Inch), vgimg.UseDPI(96))}
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: 6 * vg.Millimeter,
		PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := img.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("bench: plot: %w", err)
	}
	return buf.Bytes(), nil
}

// pointTicks labels an axis at the measured points.
type pointTicks []float64

func (t pointTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for _, x := range t {
		if x >= lo && x <= hi {
			ts = append(ts, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', 6, 64)})
		}
	}
	return ts
}
