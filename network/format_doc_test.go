package network

import (
	"os"
	"strings"
	"testing"
)

// docExample returns the JSON example of docs/network-format.md.
func docExample(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../docs/network-format.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```json\n")
	if !ok {
		t.Fatal("docs/network-format.md has no ```json example")
	}
	ex, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("docs/network-format.md: unterminated example")
	}
	return ex
}

// TestDocExampleDecodes keeps docs/network-format.md honest.
func TestDocExampleDecodes(t *testing.T) {
	n := mustDecode(t, docExample(t))
	if n.Name != "small-recurrent" || len(n.Populations) != 3 || len(n.Projections) != 3 {
		t.Fatalf("decoded %+v", n)
	}
	if n.Projections[1].IsPlastic() || !n.Projections[0].IsPlastic() || *n.Projections[1].Seed != 7 {
		t.Error("plastic or seed lost")
	}
	if got := n.Populations[1].TauM; got[0] != 0.6 || got[3] != 1.2 {
		t.Errorf("groups expanded to %v", got)
	}
	if n.Learning.Plateau.Threshold != 1e-4 || n.Learning.Plateau.Patience != 2 {
		t.Errorf("plateau %+v", n.Learning.Plateau)
	}
	ps, err := n.InitParams()
	if err != nil {
		t.Fatal(err)
	}
	if ps.Weights[2][5] != -0.2 {
		t.Errorf("explicit weights: %v", ps.Weights[2])
	}
}
