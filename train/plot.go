package train

import (
	"bytes"
	"fmt"
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// CurvePoint is one point of a reference learning curve: the test accuracy (0 … 1)
// after an epoch.
type CurvePoint struct {
	Epoch    int
	Accuracy float64
}

// Series is one named curve of a panel; Dashed draws it dashed (a reference), Markers
// marks its points; Color, if > 0, picks palette entry Color−1 (else the series'
// position does).
type Series struct {
	Name            string
	X, Y            []float64
	Dashed, Markers bool
	Color           int
}

// Panel is one plot of a figure.
type Panel struct {
	Title, XLabel, YLabel string
	Series                []Series
	// YMin, YMax fix the y range when YMax > YMin.
	YMin, YMax float64
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	color.RGBA{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
}

// EncodePNG draws panels stacked top to bottom into a PNG of width × height points
// (at 96 dpi) and returns its bytes.
func EncodePNG(panels []Panel, width, height vg.Length) ([]byte, error) {
	plots := make([][]*plot.Plot, len(panels))
	for i, pn := range panels {
		p := plot.New()
		p.Title.Text = pn.Title
		p.X.Label.Text = pn.XLabel
		p.Y.Label.Text = pn.YLabel
		p.Legend.Top = true
		p.X.Tick.Marker = exactTicks{}
		p.Y.Tick.Marker = exactTicks{}
		p.Add(plotter.NewGrid())
		for j, s := range pn.Series {
			if len(s.X) != len(s.Y) {
				return nil, fmt.Errorf("train: plot series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
			}
			if len(s.X) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(s.X))
			for k := range s.X {
				xy[k].X, xy[k].Y = s.X[k], s.Y[k]
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return nil, fmt.Errorf("train: plot series %q: %w", s.Name, err)
			}
			l.Color = palette[j%len(palette)]
			if s.Color > 0 {
				l.Color = palette[(s.Color-1)%len(palette)]
			}
			l.Width = vg.Points(1.5)
			if s.Dashed {
				l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			p.Add(l)
			p.Legend.Add(s.Name, l)
			if s.Markers {
				sc, err := plotter.NewScatter(xy)
				if err == nil {
					sc.Color = l.Color
					p.Add(sc)
				}
			}
		}
		if pn.YMax > pn.YMin {
			p.Y.Min, p.Y.Max = pn.YMin, pn.YMax
		}
		plots[i] = []*plot.Plot{p}
	}
	img := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(96))}
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := img.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("train: plot: %w", err)
	}
	return buf.Bytes(), nil
}

// exactTicks are gonum's default ticks labelled with as many digits as their values
// need: the default labels round 2.125 to "2.1", which misplaces the axis by eye.
type exactTicks struct{}

func (exactTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 6, 64)
		}
	}
	return ts
}

// epochCurves are a run's per-epoch figures as plot coordinates (accuracies in %).
type epochCurves struct{ epoch, trainAcc, testAcc, trainLoss, testLoss []float64 }

func curvesOf(history []Epoch) epochCurves {
	var c epochCurves
	for _, e := range history {
		c.epoch = append(c.epoch, float64(e.Epoch))
		c.trainAcc = append(c.trainAcc, 100*e.Train.Accuracy)
		c.testAcc = append(c.testAcc, 100*e.Test.Accuracy)
		c.trainLoss = append(c.trainLoss, e.Train.Loss)
		c.testLoss = append(c.testLoss, e.Test.Loss)
	}
	return c
}

// referenceSeries draws a reference curve (the paper's test accuracy) dashed, with
// markers; color as in Series.
func referenceSeries(reference []CurvePoint, name string, color int) Series {
	s := Series{Name: name, Dashed: true, Markers: true, Color: color}
	for _, r := range reference {
		s.X = append(s.X, float64(r.Epoch))
		s.Y = append(s.Y, 100*r.Accuracy)
	}
	return s
}

// LearningCurves returns the panels of a classification run's learning curves: the
// training and test accuracy per epoch with the reference curve (the paper's) beside
// them, and the training and test loss with the learning rate's reductions marked.
func LearningCurves(history []Epoch, reference []CurvePoint, name string) []Panel {
	c := curvesOf(history)
	acc := Panel{Title: name + ": accuracy", XLabel: "epoch", YLabel: "accuracy (%)", YMin: 0, YMax: 100,
		Series: []Series{{Name: "train", X: c.epoch, Y: c.trainAcc}, {Name: "test", X: c.epoch, Y: c.testAcc}}}
	if len(reference) > 0 {
		acc.Series = append(acc.Series, referenceSeries(reference, "paper, test (mean of 10 seeds)", 0))
	}
	loss := Panel{Title: "cross-entropy per step", XLabel: "epoch", YLabel: "loss",
		Series: []Series{{Name: "train", X: c.epoch, Y: c.trainLoss}, {Name: "test", X: c.epoch, Y: c.testLoss}}}
	return []Panel{acc, loss}
}

// NamedHistory is one training run's history under a name, for CompareCurves.
type NamedHistory struct {
	Name    string
	History []Epoch
}

// CompareCurves returns the panels that put several runs side by side (say, the chip's
// and the float reference's): every run's test accuracy per epoch with the reference
// curve (the paper's) beside them, and every run's training and test loss per step.
func CompareCurves(runs []NamedHistory, reference []CurvePoint) []Panel {
	acc := Panel{Title: "test accuracy", XLabel: "epoch", YLabel: "accuracy (%)", YMin: 0, YMax: 100}
	loss := Panel{Title: "cross-entropy per step (solid: test, dashed: train)", XLabel: "epoch", YLabel: "loss"}
	for i, r := range runs {
		c := curvesOf(r.History)
		acc.Series = append(acc.Series, Series{Name: r.Name, X: c.epoch, Y: c.testAcc, Color: i + 1})
		loss.Series = append(loss.Series,
			Series{Name: r.Name + ", test", X: c.epoch, Y: c.testLoss, Color: i + 1},
			Series{Name: r.Name + ", train", X: c.epoch, Y: c.trainLoss, Color: i + 1, Dashed: true})
	}
	if len(reference) > 0 {
		acc.Series = append(acc.Series, referenceSeries(reference, "paper (mean of 10 seeds)", len(runs)+1))
	}
	return []Panel{acc, loss}
}

// PlotLearningCurves writes LearningCurves as a PNG file at path.
func PlotLearningCurves(path string, history []Epoch, reference []CurvePoint, name string) error {
	return writePanels(path, LearningCurves(history, reference, name))
}

// PlotComparison writes CompareCurves as a PNG file at path.
func PlotComparison(path string, runs []NamedHistory, reference []CurvePoint) error {
	return writePanels(path, CompareCurves(runs, reference))
}

// writePanels writes panels as an 8 × 8 inch PNG file at path.
func writePanels(path string, panels []Panel) error {
	png, err := EncodePNG(panels, 8*vg.Inch, 8*vg.Inch)
	if err != nil {
		return err
	}
	return writeFile(path, png)
}
