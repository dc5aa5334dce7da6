package train

import (
	"math"
	"testing"
)

// TestLagNetStudentImitatesTeacher: after 30 000 learning steps (300 time units) the
// student's output is much closer to the teacher's than at the start of learning.
// Measured for seeds 1–3: the MSE falls 18×, 8× and 93×; asserted: 5×. The weights need not
// reach the teacher's (the hidden units can trade roles), so only the output is tested.
func TestLagNetStudentImitatesTeacher(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		task, s, te, err := NewLagNetBackends("float", seed, 2000, ChipOptions{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := LagNet(task, s, te, 2000, 30000, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: MSE %.3g → %.3g (%.0f×)", seed, res.InitialLoss, res.Loss, res.InitialLoss/res.Loss)
		if !(res.Loss*5 < res.InitialLoss) || math.IsNaN(res.Loss) {
			t.Errorf("seed %d: MSE %.3g → %.3g, want at least 5× lower", seed, res.InitialLoss, res.Loss)
		}
		if len(res.Names) != 8 || res.Names[0] != "W0[0,0]" || res.Names[7] != "W2[0,1]" {
			t.Errorf("names %v", res.Names)
		}
		r := res.Run
		if len(r.Records) != 33 || len(r.Start.Steps) != 2000 || r.Start.Steps[0] != 2000 || r.End.Steps[1999] != 31999 {
			t.Errorf("%d records, traces of %d from %v, end at %v", len(r.Records), len(r.Start.Steps), r.Start.Steps[0], r.End.Steps[len(r.End.Steps)-1])
		}
	}
}
