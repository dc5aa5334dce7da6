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
		return nil, fmt.Errorf("train: reading the log: %w; give a file glemu train --log wrote (a line of at most 1 MiB per epoch)", err)
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("train: the log holds no epoch; give a file glemu train --log wrote")
	}
	return es, nil
}
