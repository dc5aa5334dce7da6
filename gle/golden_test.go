package gle

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/glemu/glemu/network"
	"github.com/glemu/glemu/trace"
)

// The golden traces of ../shared/golden (copied into testdata/), each rebuilt from its
// .json as a network file in testdata/*.net.json, loaded through package network.

const goldenTol = 1e-10

func loadNet(t testing.TB, path string, contexts int) *Net {
	t.Helper()
	nw, err := network.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(nw, nil, contexts)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// collect gathers records by key.
type collect map[trace.Key]float64

func (c collect) emit(prefix string, keep func(string) bool) Emit {
	return func(r trace.Record) error {
		if keep != nil && !keep(r.Var) {
			return nil
		}
		r.Var = prefix + r.Var
		r.LayerName = ""
		k := r.Key()
		if _, dup := c[k]; dup {
			return fmt.Errorf("duplicate trace record %+v", k)
		}
		c[k] = r.Value
		return nil
	}
}

// compareGolden checks every record of the golden file against got, to goldenTol.
func compareGolden(t *testing.T, path string, got collect) {
	t.Helper()
	want, err := trace.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	worst := map[string]float64{}
	missing := map[string]int{}
	bad := 0
	for _, r := range want {
		v, ok := got[r.Key()]
		if !ok {
			missing[r.Var]++
			continue
		}
		d := math.Abs(v - r.Value)
		if !(d <= goldenTol) {
			if bad < 10 {
				t.Errorf("%+v: got %v, want %v (diff %.3g)", r.Key(), v, r.Value, d)
			}
			bad++
		}
		worst[r.Var] = max(worst[r.Var], d)
	}
	if len(missing) > 0 {
		t.Errorf("records missing from our trace, by variable: %v", missing)
	}
	if bad > 0 {
		t.Errorf("%d of %d values differ by more than %g", bad, len(want), goldenTol)
	}
	vars := make([]string, 0, len(worst))
	for v := range worst {
		vars = append(vars, v)
	}
	sort.Strings(vars)
	var b strings.Builder
	for _, v := range vars {
		fmt.Fprintf(&b, " %s=%.1e", v, worst[v])
	}
	t.Logf("%s: %d records; worst |diff| per variable:%s", path, len(want), b.String())
}

// runChain reproduces chain-trace.csv or chain-learning.csv: the teacher is stepped
// with x_k first; its reported output is the student's target at step k.
func runChain(t *testing.T, name string) {
	student := loadNet(t, "testdata/"+name+".net.json", 1)
	teacher := loadNet(t, "testdata/chain-teacher.net.json", 1)
	got := collect{}
	if err := student.TraceParams(-1, got.emit("", nil)); err != nil {
		t.Fatal(err)
	}
	teacherVars := func(v string) bool { return v == "u" || v == "u_breve" || v == "r" }
	x := []float64{0}
	y := []float64{0}
	for k := range 200 {
		x[0] = 1 + math.Sin(0.5*float64(k)*0.05)
		if err := teacher.Step(x, nil); err != nil {
			t.Fatal(err)
		}
		copy(y, teacher.Out)
		if err := student.Step(x, y); err != nil {
			t.Fatal(err)
		}
		if err := teacher.TraceStep(got.emit("teacher_", func(v string) bool {
			return teacherVars(v)
		})); err != nil {
			t.Fatal(err)
		}
		if err := student.TraceStep(got.emit("", nil)); err != nil {
			t.Fatal(err)
		}
	}
	compareGolden(t, "testdata/"+name+".csv", got)
}

func TestGoldenChainTrace(t *testing.T)    { runChain(t, "chain-trace") }
func TestGoldenChainLearning(t *testing.T) { runChain(t, "chain-learning") }

func TestGoldenCEBatch(t *testing.T) {
	var g struct {
		X      [][]float64 `json:"X"`
		Labels [][]int     `json:"labels"`
		Steps  int         `json:"steps"`
		Batch  int         `json:"batch"`
	}
	b, err := os.ReadFile("testdata/ce-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	n := loadNet(t, "testdata/ce-batch.net.json", g.Batch)
	got := collect{}
	if err := n.TraceParams(-1, got.emit("", nil)); err != nil {
		t.Fatal(err)
	}
	x := make([]float64, g.Batch)
	for k := range g.Steps {
		for c := range g.Batch {
			x[c] = g.X[k][c]
		}
		if err := n.StepLabels(x, g.Labels[k/50]); err != nil {
			t.Fatal(err)
		}
		if err := n.TraceStep(got.emit("", nil)); err != nil {
			t.Fatal(err)
		}
	}
	compareGolden(t, "testdata/ce-batch.csv.gz", got)
}
