package tilemap

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/glemu/glemu/compiler"
)

// EncodePNG draws the tile map of r into a PNG of about width points per mesh column
// and returns its bytes.
func EncodePNG(r *compiler.Report) ([]byte, error) {
	rows, cols := r.Chip.Rows, r.Chip.Cols
	if rows < 1 || cols < 1 {
		return nil, fmt.Errorf("tilemap: the report's mesh is %d×%d; draw a compiled report", rows, cols)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %d of %d tiles, busiest link %s", r.Network, r.TilesUsed, rows*cols, busiest(r))
	p.HideAxes()
	p.X.Min, p.X.Max = -0.6, float64(cols)-0.4
	p.Y.Min, p.Y.Max = -float64(rows)+0.4, 0.6

	used := map[int]compiler.TileUse{}
	for _, t := range r.Tiles {
		used[t.Tile] = t
	}
	for t := range rows * cols {
		x, y := center(t, cols)
		poly, err := plotter.NewPolygon(plotter.XYs{{X: x - 0.4, Y: y - 0.4}, {X: x + 0.4, Y: y - 0.4}, {X: x + 0.4, Y: y + 0.4}, {X: x - 0.4, Y: y + 0.4}})
		if err != nil {
			return nil, fmt.Errorf("tilemap: %w", err)
		}
		poly.LineStyle.Color = color.Gray{Y: 0x90}
		poly.LineStyle.Width = vg.Points(0.8)
		u, ok := used[t]
		if !ok {
			poly.Color = color.Gray{Y: 0xee}
		} else {
			poly.Color = shade(u.CrossbarUse)
		}
		p.Add(poly)
	}
	// Links: one lane per direction, offset from the line between the centres.
	maxWords := 1
	for _, l := range r.Links {
		maxWords = max(maxWords, l.Words)
	}
	var lx plotter.XYs
	var ll []string
	for _, l := range r.Links {
		x0, y0 := center(l.From, cols)
		x1, y1 := center(l.To, cols)
		const off = 0.07
		switch l.Dir {
		case "east":
			y0, y1 = y0+off, y1+off
		case "west":
			y0, y1 = y0-off, y1-off
		case "south":
			x0, x1 = x0+off, x1+off
		case "north":
			x0, x1 = x0-off, x1-off
		}
		// Draw only the gap between the tiles' squares.
		a, b := plotter.XY{X: x0 + 0.4*(x1-x0), Y: y0 + 0.4*(y1-y0)}, plotter.XY{X: x1 - 0.4*(x1-x0), Y: y1 - 0.4*(y1-y0)}
		ln, err := plotter.NewLine(plotter.XYs{a, b})
		if err != nil {
			return nil, fmt.Errorf("tilemap: %w", err)
		}
		f := float64(l.Words) / float64(maxWords)
		ln.LineStyle.Width = vg.Points(1 + 7*f)
		ln.LineStyle.Color = color.RGBA{R: uint8(120 + 135*f), G: uint8(60 * (1 - f)), B: uint8(40 * (1 - f)), A: 0xff}
		p.Add(ln)
		lx = append(lx, plotter.XY{X: (a.X + b.X) / 2, Y: (a.Y + b.Y) / 2})
		ll = append(ll, fmt.Sprint(l.Words))
	}
	// Tile labels.
	var tx plotter.XYs
	var tl []string
	for t := range rows * cols {
		x, y := center(t, cols)
		tx = append(tx, plotter.XY{X: x, Y: y})
		u, ok := used[t]
		if !ok {
			tl = append(tl, fmt.Sprintf("%d", t))
			continue
		}
		pops := strings.Join(u.Populations, " ")
		if len(pops) > 18 {
			pops = pops[:17] + "…"
		}
		rows := strings.Join(u.Targets, " ")
		if len(rows) > 18 {
			rows = rows[:17] + "…"
		}
		tl = append(tl, fmt.Sprintf("tile %d\nneurons %.0f%%  %s\ncrossbar %.0f%%  → %s", t, 100*u.SlotUse, pops, 100*u.CrossbarUse, rows))
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: tx, Labels: tl})
	if err != nil {
		return nil, fmt.Errorf("tilemap: %w", err)
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign = draw.XCenter
		labels.TextStyle[i].YAlign = draw.YCenter
		labels.TextStyle[i].Font.Size = vg.Points(7)
	}
	p.Add(labels)
	if len(lx) > 0 {
		ls, err := plotter.NewLabels(plotter.XYLabels{XYs: lx, Labels: ll})
		if err != nil {
			return nil, fmt.Errorf("tilemap: %w", err)
		}
		for i := range ls.TextStyle {
			ls.TextStyle[i].XAlign = draw.XCenter
			ls.TextStyle[i].YAlign = draw.YCenter
			ls.TextStyle[i].Font.Size = vg.Points(6)
		}
		p.Add(ls)
	}
	side := vg.Points(130)
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(side*vg.Length(cols)+vg.Points(40), side*vg.Length(rows)+vg.Points(60)), vgimg.UseDPI(96))}
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("tilemap: %w", err)
	}
	return buf.Bytes(), nil
}

// Save writes the tile map of r as a PNG file.
func Save(path string, r *compiler.Report) error {
	b, err := EncodePNG(r)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("tilemap: %w", err)
	}
	return nil
}

func center(t, cols int) (x, y float64) { return float64(t % cols), -float64(t / cols) }

// shade maps a crossbar use in [0, 1] from pale to deep blue.
func shade(u float64) color.Color {
	u = min(max(u, 0), 1)
	return color.RGBA{R: uint8(235 - 180*u), G: uint8(243 - 130*u), B: uint8(255 - 55*u), A: 0xff}
}

func busiest(r *compiler.Report) string {
	if len(r.Links) == 0 {
		return "none"
	}
	l := r.Links[0]
	return fmt.Sprintf("%d→%d: %d words/step", l.From, l.To, l.Words)
}
