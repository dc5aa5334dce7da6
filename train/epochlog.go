package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// ReadEpochLog reads a training log as `glemu train --log` writes it: one JSON object
// per epoch (Epoch), one per line, epochs 1, 2, … in order. Blank lines are skipped.
// A malformed line, a missing or repeated epoch, accuracies outside 0 … 1, or a log
// without any epoch is an error naming the line.
func ReadEpochLog(r io.Reader) ([]Epoch, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var es []Epoch
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Epoch
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("train: log line %d is not an epoch of glemu train --log: %v", n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("train: log line %d holds more than one JSON value; want one epoch per line", n)
		}
		if want := len(es) + 1; e.Epoch != want {
			return nil, fmt.Errorf("train: log line %d is epoch %d, want epoch %d (epochs 1, 2, … in order)", n, e.Epoch, want)
		}
		for _, m := range []struct {
			name string
			acc  float64
		}{{"train", e.Train.Accuracy}, {"test", e.Test.Accuracy}} {
			if !(m.acc >= 0 && m.acc <= 1) {
				return nil, fmt.Errorf("train: log line %d: %s accuracy %v is outside 0 … 1", n, m.name, m.acc)
			}
		}
		es = append(es, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("train: reading the log: %w", err)
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("train: the log holds no epoch; give a file glemu train --log wrote")
	}
	return es, nil
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
		var ep, teA, trL, teL []float64
		for _, e := range r.History {
			ep = append(ep, float64(e.Epoch))
			teA = append(teA, 100*e.Test.Accuracy)
			trL = append(trL, e.Train.Loss)
			teL = append(teL, e.Test.Loss)
		}
		acc.Series = append(acc.Series, Series{Name: r.Name, X: ep, Y: teA, Color: i + 1})
		loss.Series = append(loss.Series,
			Series{Name: r.Name + ", test", X: ep, Y: teL, Color: i + 1},
			Series{Name: r.Name + ", train", X: ep, Y: trL, Color: i + 1, Dashed: true})
	}
	if len(reference) > 0 {
		var rx, ry []float64
		for _, p := range reference {
			rx = append(rx, float64(p.Epoch))
			ry = append(ry, 100*p.Accuracy)
		}
		acc.Series = append(acc.Series, Series{Name: "paper (mean of 10 seeds)", X: rx, Y: ry, Dashed: true, Markers: true, Color: len(runs) + 1})
	}
	return []Panel{acc, loss}
}
