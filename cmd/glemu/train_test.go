package main

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// TestTrainLagLine: the command prints the learned parameters against the teacher's.
// (That the student converges is train's test; this one checks the report.)
func TestTrainLagLine(t *testing.T) {
	out, err := execute(t, "train", "--task", "lagline", "--steps", "1000", "--seed", "2")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 {
		t.Fatalf("want 7 lines, got:\n%s", out)
	}
	if !regexp.MustCompile(`^lag-line on the float backend, seed 2: 5000 warm-up \+ 1000 learning steps, 100 contexts, dt 0\.01 \(\d+\.\d s\)$`).MatchString(lines[0]) {
		t.Errorf("header %q", lines[0])
	}
	for i, name := range []string{"W0", "W1", "tau_m0", "tau_m1"} {
		if !regexp.MustCompile(`^` + name + `\s+[12]\.0000\s+\d\.\d{4}\s+-?\d+\.\d{4}\s+\d+\.\d{3}%$`).MatchString(lines[2+i]) {
			t.Errorf("row %q", lines[2+i])
		}
	}
	if !strings.Contains(lines[6], "not yet within 2 % of the teacher; train longer (--steps)") {
		t.Errorf("after 1000 steps the verdict should be 'not yet': %q", lines[6])
	}
}

func TestTrainErrors(t *testing.T) {
	cases := []struct {
		args    []string
		want    string
		isUsage bool
	}{
		{[]string{"train", "--task", "mnist1d"}, `unknown task "mnist1d"; use --task lagline (MNIST-1D training comes with its own issue)`, true},
		{[]string{"train", "--backend", "chip"}, "train: the chip backend is not built yet (a later issue adds it); use --backend float", false},
		{[]string{"train", "--backend", "gpu"}, `unknown backend "gpu"; use --backend float`, true},
		{[]string{"train", "--steps", "-5"}, "--steps -5: give a number of learning steps ≥ 0", true},
	}
	for _, c := range cases {
		_, err := execute(t, c.args...)
		if err == nil || err.Error() != c.want || errors.As(err, new(usageError)) != c.isUsage {
			t.Errorf("glemu %s: got %v, want %s (usage %v)", strings.Join(c.args, " "), err, c.want, c.isUsage)
		}
	}
}
