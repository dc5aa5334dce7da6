package chip_test

import (
	"fmt"
	"testing"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
)

// TestCalibration: on a die with 5 % τm mismatch (and τr, gain, offset mismatch,
// temporal noise on u), calibration reduces the effective τm mismatch at least 5×
// and the φ offsets as well, and leaves the state alone.
func TestCalibration(t *testing.T) {
	p := mapSmall(t, variants[1], 4, chiptest.Options{})
	c, err := chip.New(p, chip.WithAnalog(noisyDie))
	if err != nil {
		t.Fatal(err)
	}
	drive(t, c, 10, 1, 1, false)
	d0 := chip.Digest(c)
	u0, _ := c.StateRaw(1, "u", nil)
	steps := c.Steps()
	rep, err := c.Calibrate()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.TauMBefore < 0.02 || rep.TauMBefore > 0.1 {
		t.Errorf("τm mismatch before calibration %.3g; the die was drawn with σ = 0.05", rep.TauMBefore)
	}
	if !(rep.TauMAfter*5 <= rep.TauMBefore) {
		t.Errorf("τm mismatch %.3g → %.3g: less than 5× smaller", rep.TauMBefore, rep.TauMAfter)
	}
	if !(rep.OffsetAfter*5 <= rep.OffsetBefore) {
		t.Errorf("offset %.3g → %.3g: less than 5× smaller", rep.OffsetBefore, rep.OffsetAfter)
	}
	if chip.Digest(c) == d0 {
		t.Error("calibration set no trim")
	}
	if u1, _ := c.StateRaw(1, "u", nil); fmt.Sprint(u1) != fmt.Sprint(u0) || c.Steps() != steps {
		t.Error("calibration changed the chip's state")
	}
	// A second calibration finds little left to correct.
	rep2, err := c.Calibrate()
	if err != nil {
		t.Fatal(err)
	}
	if rep2.TauMBefore > 2*rep.TauMAfter+1e-4 {
		t.Errorf("recalibration measured %.3g before, the first left %.3g", rep2.TauMBefore, rep.TauMAfter)
	}
}
