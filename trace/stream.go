package trace

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Stream is a sequence of input or target vectors read from CSV: Steps × Contexts rows
// of Width values.
type Stream struct {
	// Columns names the value columns (from the header; "c0", "c1", … without one).
	Columns []string
	// Width is the number of values per context and step.
	Width int
	// Contexts is the number of contexts per step (1 without a context column).
	Contexts int
	// Steps is the number of steps.
	Steps int
	// Values holds every value, step-major, then context, then column.
	Values []float64
}

// Row returns the Contexts × Width values of step k (k taken modulo Steps, so a short
// stream repeats).
func (s *Stream) Row(k int) []float64 {
	n := s.Contexts * s.Width
	k %= s.Steps
	return s.Values[k*n : (k+1)*n]
}

// maxStreamValues bounds the size of a stream read from a file (1 GiB of float64).
const maxStreamValues = 1 << 27

// ReadStream reads a stream: one row per step, one column per input or target value,
// an optional column named "context" whose rows for contexts 0 … C−1 of one step are
// consecutive. A header row is optional (it is the first row if any of its fields is
// not a number); a context column needs one. Empty lines and lines starting with # are
// skipped.
func ReadStream(r io.Reader) (*Stream, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	s := &Stream{}
	ctxCol := -1
	line := 0
	var fields []string
	prevCtx := -1
	rows := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(strings.TrimRight(sc.Text(), "\r"))
		if text == "" || text[0] == '#' {
			continue
		}
		fields = strings.Split(text, ",")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		if s.Columns == nil {
			if isHeader(fields) {
				for i, f := range fields {
					if f == "context" {
						if ctxCol >= 0 {
							return nil, fmt.Errorf("trace: stream: line %d: two context columns; keep one", line)
						}
						ctxCol = i
						continue
					}
					if f == "" {
						return nil, fmt.Errorf("trace: stream: line %d: column %d has no name", line, i+1)
					}
					s.Columns = append(s.Columns, f)
				}
				if len(s.Columns) == 0 {
					return nil, fmt.Errorf("trace: stream: line %d: no value columns besides context", line)
				}
				s.Width = len(s.Columns)
				continue
			}
			for i := range fields {
				s.Columns = append(s.Columns, "c"+strconv.Itoa(i))
			}
			s.Width = len(fields)
		}
		want := s.Width
		if ctxCol >= 0 {
			want++
		}
		if len(fields) != want {
			return nil, fmt.Errorf("trace: stream: line %d: %d columns, want %d like the first row", line, len(fields), want)
		}
		ctx := 0
		for i, f := range fields {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, fmt.Errorf("trace: stream: line %d: column %d: %q is not a number", line, i+1, clip(f))
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("trace: stream: line %d: column %d: %s is not a finite number", line, i+1, f)
			}
			if i == ctxCol {
				if v != float64(int(v)) || v < 0 || v > 1<<20 {
					return nil, fmt.Errorf("trace: stream: line %d: context %q is not a context index", line, f)
				}
				ctx = int(v)
				continue
			}
			if len(s.Values) >= maxStreamValues {
				return nil, fmt.Errorf("trace: stream: line %d: more than %d values; split the stream", line, maxStreamValues)
			}
			s.Values = append(s.Values, v)
		}
		// Contexts run 0, 1, …, C−1 within each step.
		switch {
		case ctx == 0:
			if prevCtx >= 0 {
				if s.Contexts == 0 {
					s.Contexts = prevCtx + 1
				} else if prevCtx+1 != s.Contexts {
					return nil, fmt.Errorf("trace: stream: line %d: step %d has %d contexts, the first step has %d; give every step all contexts", line, s.Steps-1, prevCtx+1, s.Contexts)
				}
			}
			s.Steps++
		case ctx != prevCtx+1:
			return nil, fmt.Errorf("trace: stream: line %d: context %d follows context %d; list contexts 0, 1, … in order within a step", line, ctx, prevCtx)
		case s.Contexts > 0 && ctx >= s.Contexts:
			return nil, fmt.Errorf("trace: stream: line %d: context %d, but the first step has %d contexts", line, ctx, s.Contexts)
		}
		prevCtx = ctx
		rows++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("trace: stream: line %d: %w", line+1, err)
	}
	if rows == 0 {
		return nil, errors.New("trace: stream: no rows; give one row of values per step")
	}
	if s.Contexts == 0 {
		s.Contexts = prevCtx + 1
	} else if prevCtx+1 != s.Contexts {
		return nil, fmt.Errorf("trace: stream: line %d: the last step has %d contexts, the first step has %d; give every step all contexts", line, prevCtx+1, s.Contexts)
	}
	return s, nil
}

// isHeader reports whether a row is a header: some field is not a number.
func isHeader(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseFloat(f, 64); err != nil {
			return true
		}
	}
	return false
}

// ReadStreamFile reads the stream in the CSV file at path.
func ReadStreamFile(path string) (*Stream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	defer f.Close()
	s, err := ReadStream(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return s, nil
}
