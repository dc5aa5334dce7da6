package trace

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Header is the first line of every CSV trace.
const Header = "step,layer,var,b,i,j,value"

// NetworkLayer is the layer of network-level values (x, y, out, e_star, loss).
const NetworkLayer = -1

// NamedLayer is the Layer of a record read from a trace that names its layers; the name
// is in LayerName.
const NamedLayer = -2

// Record is one row of a CSV trace.
type Record struct {
	Step  int
	Layer int
	// LayerName, if not empty, is written instead of Layer by a writer with names on,
	// and is what a reader found in a named trace.
	LayerName string
	Var       string
	B, I, J   int
	Value     float64
}

// Key identifies a record's place in a trace: every field but the value.
type Key struct {
	Step  int
	Layer string
	Var   string
	B, I  int
	J     int
}

// Key returns r's key; the layer is its name if it has one, else its index.
func (r *Record) Key() Key {
	l := r.LayerName
	if l == "" {
		l = strconv.Itoa(r.Layer)
	}
	return Key{r.Step, l, r.Var, r.B, r.I, r.J}
}

// CSVWriter writes a CSV trace. It buffers; call Flush at the end.
type CSVWriter struct {
	w      *bufio.Writer
	buf    []byte
	names  bool
	header bool
	err    error
}

// NewCSVWriter returns a writer that writes the header, then one line per Write.
// With names true the layer column holds each record's LayerName (if set).
func NewCSVWriter(w io.Writer, names bool) *CSVWriter {
	return &CSVWriter{w: bufio.NewWriterSize(w, 1<<16), buf: make([]byte, 0, 128), names: names}
}

// Write writes one record. The first error is sticky and returned by every later call.
func (c *CSVWriter) Write(r Record) error {
	if c.err != nil {
		return c.err
	}
	if !c.header {
		c.header = true
		if _, err := c.w.WriteString(Header + "\n"); err != nil {
			c.err = fmt.Errorf("trace: writing: %w", err)
			return c.err
		}
	}
	b := c.buf[:0]
	b = strconv.AppendInt(b, int64(r.Step), 10)
	b = append(b, ',')
	if c.names && r.LayerName != "" {
		b = append(b, r.LayerName...)
	} else {
		b = strconv.AppendInt(b, int64(r.Layer), 10)
	}
	b = append(b, ',')
	b = append(b, r.Var...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.B), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.I), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.J), 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, r.Value, 'g', -1, 64)
	b = append(b, '\n')
	c.buf = b
	if _, err := c.w.Write(b); err != nil {
		c.err = fmt.Errorf("trace: writing: %w", err)
	}
	return c.err
}

// Flush writes buffered rows (and the header of an empty trace) to the underlying
// writer.
func (c *CSVWriter) Flush() error {
	if c.err != nil {
		return c.err
	}
	if !c.header {
		c.header = true
		if _, err := c.w.WriteString(Header + "\n"); err != nil {
			c.err = fmt.Errorf("trace: writing: %w", err)
			return c.err
		}
	}
	if err := c.w.Flush(); err != nil {
		c.err = fmt.Errorf("trace: writing: %w", err)
	}
	return c.err
}

// CSVReader reads a CSV trace row by row.
type CSVReader struct {
	s    *bufio.Scanner
	line int
}

// NewCSVReader returns a reader of the trace in r, gzip-compressed or not (detected
// from the gzip magic bytes).
func NewCSVReader(r io.Reader) (*CSVReader, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("trace: gzip: %w", err)
		}
		r = gz
	} else {
		r = br
	}
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), 1<<20)
	return &CSVReader{s: s}, nil
}

// Read returns the next record, or io.EOF after the last one.
func (c *CSVReader) Read() (Record, error) {
	for c.s.Scan() {
		c.line++
		line := strings.TrimRight(c.s.Text(), "\r")
		if line == "" {
			continue
		}
		if c.line == 1 {
			if line != Header {
				return Record{}, fmt.Errorf("trace: line 1: header %q, want %q; is this a glemu trace?", clip(line), Header)
			}
			continue
		}
		r, err := parseRecord(line)
		if err != nil {
			return Record{}, fmt.Errorf("trace: line %d: %w", c.line, err)
		}
		return r, nil
	}
	if err := c.s.Err(); err != nil {
		return Record{}, fmt.Errorf("trace: line %d: %w", c.line+1, err)
	}
	if c.line == 0 {
		return Record{}, errors.New("trace: empty file; a trace starts with the header " + Header)
	}
	return Record{}, io.EOF
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func parseRecord(line string) (Record, error) {
	var f [7]string
	rest := line
	for k := range 6 {
		var ok bool
		f[k], rest, ok = strings.Cut(rest, ",")
		if !ok {
			return Record{}, fmt.Errorf("%d columns, want 7 (%s)", k+1, Header)
		}
	}
	if strings.Contains(rest, ",") {
		return Record{}, fmt.Errorf("more than 7 columns, want 7 (%s)", Header)
	}
	f[6] = rest
	var r Record
	ints := []struct {
		name string
		dst  *int
		s    string
	}{{"step", &r.Step, f[0]}, {"b", &r.B, f[3]}, {"i", &r.I, f[4]}, {"j", &r.J, f[5]}}
	for _, x := range ints {
		v, err := strconv.Atoi(x.s)
		if err != nil {
			return Record{}, fmt.Errorf("column %s: %q is not an integer", x.name, clip(x.s))
		}
		*x.dst = v
	}
	if l, err := strconv.Atoi(f[1]); err == nil {
		r.Layer = l
	} else if f[1] == "" {
		return Record{}, errors.New("column layer is empty; give an index or a population name")
	} else {
		r.Layer, r.LayerName = NamedLayer, f[1]
	}
	if f[2] == "" {
		return Record{}, errors.New("column var is empty")
	}
	r.Var = f[2]
	v, err := strconv.ParseFloat(f[6], 64)
	if err != nil {
		return Record{}, fmt.Errorf("column value: %q is not a number", clip(f[6]))
	}
	r.Value = v
	return r, nil
}

// ReadAll reads every record of the trace in r.
func ReadAll(r io.Reader) ([]Record, error) {
	cr, err := NewCSVReader(r)
	if err != nil {
		return nil, err
	}
	var out []Record
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
}

// ReadFile reads every record of the trace file at path (.csv or .csv.gz).
func ReadFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	defer f.Close()
	recs, err := ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return recs, nil
}
