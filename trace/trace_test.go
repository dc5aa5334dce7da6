package trace

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestCSVRoundTripExact(t *testing.T) {
	recs := []Record{
		{Step: -1, Layer: 0, Var: "W", B: -1, I: 0, J: 0, Value: 0.1},
		{Step: 0, Layer: NetworkLayer, Var: "x", B: 0, I: 0, J: -1, Value: 1.0249973959147123},
		{Step: 1, Layer: 2, Var: "e_bottom", B: 3, I: 15, J: -1, Value: -1e-300},
		{Step: 2, Layer: 1, Var: "u", B: 0, I: 0, J: -1, Value: math.Copysign(0, -1)},
		{Step: 3, Layer: 1, Var: "u", B: 0, I: 0, J: -1, Value: math.MaxFloat64},
	}
	var buf bytes.Buffer
	w := NewCSVWriter(&buf, false)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := Header + "\n-1,0,W,-1,0,0,0.1\n0,-1,x,0,0,-1,1.0249973959147123\n1,2,e_bottom,3,15,-1,-1e-300\n2,1,u,0,0,-1,-0\n3,1,u,0,0,-1,1.7976931348623157e+308\n"
	if buf.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
	got, err := ReadAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if got[i].Key() != recs[i].Key() || math.Float64bits(got[i].Value) != math.Float64bits(recs[i].Value) {
			t.Errorf("record %d: %+v, want %+v", i, got[i], recs[i])
		}
	}
}

func TestCSVNamedLayers(t *testing.T) {
	var buf bytes.Buffer
	w := NewCSVWriter(&buf, true)
	_ = w.Write(Record{Step: 0, Layer: 1, LayerName: "h0", Var: "u", B: 0, I: 2, J: -1, Value: 0.5})
	_ = w.Write(Record{Step: 0, Layer: -1, Var: "x", B: 0, I: 0, J: -1, Value: 1})
	_ = w.Flush()
	if want := Header + "\n0,h0,u,0,2,-1,0.5\n0,-1,x,0,0,-1,1\n"; buf.String() != want {
		t.Errorf("got\n%s", buf.String())
	}
	recs, err := ReadAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].Layer != NamedLayer || recs[0].LayerName != "h0" || recs[1].Layer != -1 {
		t.Errorf("read %+v", recs)
	}
}

func TestCSVEmptyTraceHasHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := NewCSVWriter(&buf, false).Flush(); err != nil || buf.String() != Header+"\n" {
		t.Errorf("empty trace %q, %v", buf.String(), err)
	}
}

func TestReadGzip(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	io.WriteString(gz, Header+"\n0,0,u,0,0,-1,0.25\n")
	gz.Close()
	recs, err := ReadAll(&buf)
	if err != nil || len(recs) != 1 || recs[0].Value != 0.25 {
		t.Errorf("gzip trace: %+v, %v", recs, err)
	}
}

func TestCSVReaderErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "trace: empty file; a trace starts with the header step,layer,var,b,i,j,value"},
		{"a,b,c\n", `trace: line 1: header "a,b,c", want "step,layer,var,b,i,j,value"; is this a glemu trace?`},
		{Header + "\n0,0,u,0,0\n", "trace: line 2: 5 columns, want 7 (step,layer,var,b,i,j,value)"},
		{Header + "\n0,0,u,0,0,-1,1,2\n", "trace: line 2: more than 7 columns, want 7 (step,layer,var,b,i,j,value)"},
		{Header + "\n0,0,u,0,0,-1,1\nx,0,u,0,0,-1,1\n", `trace: line 3: column step: "x" is not an integer`},
		{Header + "\n0,0,u,0,0,-1,one\n", `trace: line 2: column value: "one" is not a number`},
		{Header + "\n0,,u,0,0,-1,1\n", "trace: line 2: column layer is empty; give an index or a population name"},
		{Header + "\n0,0,,0,0,-1,1\n", "trace: line 2: column var is empty"},
		{"\x1f\x8bjunk", "trace: gzip: unexpected EOF"},
	}
	for _, c := range cases {
		_, err := ReadAll(strings.NewReader(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("ReadAll(%q):\n got %v\nwant %s", c.in, err, c.want)
		}
	}
}

func FuzzCSVReader(f *testing.F) {
	f.Add([]byte(Header + "\n-1,0,W,-1,0,0,0.5\n0,h,u,0,0,-1,-0\n"))
	f.Add([]byte(Header + "\n0,0,u,0,0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ReadAll(bytes.NewReader(data))
		if err != nil {
			return
		}
		// What was read writes back and reads again to the same records.
		var buf bytes.Buffer
		w := NewCSVWriter(&buf, true)
		for _, r := range recs {
			if strings.ContainsAny(r.Var+r.LayerName, ",\n\r") {
				return
			}
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		again, err := ReadAll(&buf)
		if err != nil {
			t.Fatalf("re-reading %q: %v", buf.String(), err)
		}
		if len(again) != len(recs) {
			t.Fatalf("%d records, then %d", len(recs), len(again))
		}
		for i := range recs {
			a, b := recs[i], again[i]
			if a.Key() != b.Key() || (a.Value != b.Value && !(math.IsNaN(a.Value) && math.IsNaN(b.Value))) {
				t.Fatalf("record %d: %+v then %+v", i, a, b)
			}
		}
	})
}

func TestVCD(t *testing.T) {
	var buf bytes.Buffer
	v, err := NewVCDWriter(&buf, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct{ scope, name string }{{"network", "out[0]"}, {"h0", "u[0]"}, {"h0", "r 1"}} {
		if _, err := v.Var(d.scope, d.name); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Sample(0, []float64{0, 0.5, 1}); err != nil {
		t.Fatal(err)
	}
	if err := v.Sample(1, []float64{0, 0.75, 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Var("late", "x"); err == nil {
		t.Error("Var after Sample accepted")
	}
	if err := v.Sample(2, []float64{1}); err == nil || err.Error() != "trace: vcd: 1 values for 3 variables" {
		t.Errorf("short sample: %v", err)
	}
	if err := v.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `$version glemu trace $end
$timescale 10 ms $end
$scope module network $end
$var real 64 ! out[0] $end
$upscope $end
$scope module h0 $end
$var real 64 " u[0] $end
$var real 64 # r_1 $end
$upscope $end
$enddefinitions $end
#0
r0 !
r0.5 "
r1 #
#5
r0.75 "
`
	if buf.String() != want {
		t.Errorf("VCD:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestTimescale(t *testing.T) {
	cases := []struct {
		dt    float64
		unit  string
		ticks int64
	}{{0.2, "100 ms", 2}, {0.01, "10 ms", 1}, {0.05, "10 ms", 5}, {1, "1 s", 1}, {2.5, "100 ms", 25}, {1e-9, "1 ns", 1}}
	for _, c := range cases {
		u, k, err := Timescale(c.dt)
		if err != nil || u != c.unit || k != c.ticks {
			t.Errorf("Timescale(%v) = %s, %d, %v; want %s, %d", c.dt, u, k, err, c.unit, c.ticks)
		}
	}
	if _, _, err := Timescale(0); err == nil {
		t.Error("Timescale(0) accepted")
	}
	if _, _, err := Timescale(math.Pi * 1e-14); err == nil || !strings.Contains(err.Error(), "femtoseconds") {
		t.Errorf("Timescale(π·1e-14): %v", err)
	}
	if vcdID(0) != "!" || vcdID(93) != "~" || vcdID(94) != "!!" {
		t.Errorf("ids %q %q %q", vcdID(0), vcdID(93), vcdID(94))
	}
}

func TestReadStream(t *testing.T) {
	s, err := ReadStream(strings.NewReader("x0,x1\n1,2\n3,4\n5,6\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Width != 2 || s.Contexts != 1 || s.Steps != 3 || !reflect.DeepEqual(s.Row(1), []float64{3, 4}) || !reflect.DeepEqual(s.Columns, []string{"x0", "x1"}) {
		t.Errorf("stream %+v", s)
	}
	if !reflect.DeepEqual(s.Row(4), []float64{3, 4}) {
		t.Error("Row does not wrap")
	}
	s, err = ReadStream(strings.NewReader("# contexts\nx,context\n1,0\n2,1\n3,0\n4,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Width != 1 || s.Contexts != 2 || s.Steps != 2 || !reflect.DeepEqual(s.Row(1), []float64{3, 4}) {
		t.Errorf("stream with contexts %+v", s)
	}
	s, err = ReadStream(strings.NewReader("0.5\n-1e-3\n"))
	if err != nil || s.Steps != 2 || s.Columns[0] != "c0" {
		t.Errorf("headerless stream %+v, %v", s, err)
	}
}

func TestReadStreamErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "trace: stream: no rows; give one row of values per step"},
		{"x\n", "trace: stream: no rows; give one row of values per step"},
		{"x,y\n1,2\n3\n", "trace: stream: line 3: 1 columns, want 2 like the first row"},
		{"x\n1\nabc\n", `trace: stream: line 3: column 1: "abc" is not a number`},
		{"x\n1\nNaN\n", "trace: stream: line 3: column 1: NaN is not a finite number"},
		{"x,context\n1,0\n2,2\n", "trace: stream: line 3: context 2 follows context 0; list contexts 0, 1, … in order within a step"},
		{"x,context\n1,0\n2,1\n3,0\n4,1\n5,2\n", "trace: stream: line 6: context 2, but the first step has 2 contexts"},
		{"x,context\n1,0\n2,1\n3,0\n4,0\n", "trace: stream: line 5: step 1 has 1 contexts, the first step has 2; give every step all contexts"},
		{"x,context\n1,0\n2,1\n3,0\n", "trace: stream: line 4: the last step has 1 contexts, the first step has 2; give every step all contexts"},
		{"x,context\n1,0.5\n", `trace: stream: line 2: context "0.5" is not a context index`},
		{"context\n0\n", "trace: stream: line 1: no value columns besides context"},
		{"context,x,context\n", "trace: stream: line 1: two context columns; keep one"},
	}
	for _, c := range cases {
		_, err := ReadStream(strings.NewReader(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("ReadStream(%q):\n got %v\nwant %s", c.in, err, c.want)
		}
	}
}

func FuzzReadStream(f *testing.F) {
	f.Add([]byte("x,context\n1,0\n2,1\n3,0\n4,1\n"))
	f.Add([]byte("1,2\n3,4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadStream(bytes.NewReader(data))
		if err != nil {
			return
		}
		if s.Steps <= 0 || s.Contexts <= 0 || s.Width <= 0 || len(s.Values) != s.Steps*s.Contexts*s.Width {
			t.Fatalf("inconsistent stream %+v", s)
		}
		_ = s.Row(s.Steps - 1)
	})
}

func TestWriterErrorIsSticky(t *testing.T) {
	w := NewCSVWriter(failWriter{}, false)
	for range 5000 {
		_ = w.Write(Record{Var: "u", Value: 1})
	}
	if err := w.Flush(); err == nil || !errors.Is(err, errFail) {
		t.Errorf("Flush after a failing writer: %v", err)
	}
}

var errFail = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errFail }

func BenchmarkCSVWrite(b *testing.B) {
	w := NewCSVWriter(io.Discard, false)
	r := Record{Step: 123, Layer: 2, Var: "e_breve", B: 7, I: 33, J: -1, Value: 0.123456789012345}
	b.ReportAllocs()
	for b.Loop() {
		_ = w.Write(r)
	}
}
