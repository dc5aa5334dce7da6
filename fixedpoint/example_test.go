package fixedpoint_test

import (
	"fmt"

	"github.com/glemu/glemu/fixedpoint"
)

func ExampleFormat() {
	f, err := fixedpoint.Parse("Q3.12")
	if err != nil {
		panic(err)
	}
	fmt.Println(f, "is", f.Width(), "bits wide")
	fmt.Println("raw range", f.Min(), f.Max(), "=", f.MinFloat(), f.MaxFloat())
	fmt.Println("resolution", f.Resolution())
	raw := f.FromFloat(0.1)
	fmt.Println("0.1 →", raw, "→", f.ToFloat(raw))
	fmt.Println(f.FromFloat(100)) // saturates
	_, err = fixedpoint.Parse("Q40.30")
	fmt.Println(err)
	// Output:
	// Q3.12 is 16 bits wide
	// raw range -32768 32767 = -8 7.999755859375
	// resolution 0.000244140625
	// 0.1 → 410 → 0.10009765625
	// 32767
	// fixedpoint: format Q40.30 is 71 bits wide; at most 63 fit the int64 container
}

func ExampleRounding() {
	// 2.5 and −2.5 LSB of a Q7.0 destination, as values with 1 fraction bit.
	for _, r := range []fixedpoint.Rounding{fixedpoint.Floor, fixedpoint.HalfEven, fixedpoint.HalfAway} {
		v := fixedpoint.Var{Name: "x", Format: fixedpoint.Q(7, 0), Rounding: r}
		fmt.Printf("%-10s 2.5 → %d, -2.5 → %d, 3.5 → %d\n", r, v.Rescale(5, 1, 0, nil), v.Rescale(-5, 1, 0, nil), v.Rescale(7, 1, 0, nil))
	}
	// Stochastic: 2.25 rounds up a quarter of the time; the draw is keyed by index.
	v := fixedpoint.Var{Name: "x", Format: fixedpoint.Q(7, 0), Rounding: fixedpoint.Stochastic}
	s := v.Stream(1, 0, 0) // seed 1, context 0, step 0
	sum := 0
	for i := range uint64(10000) {
		sum += int(v.Rescale(9, 2, s.Draw(i), nil))
	}
	fmt.Printf("stochastic 2.25 → mean %.2f\n", float64(sum)/10000)
	// Overflow: saturate or wrap, counted.
	var c fixedpoint.Counters
	sat := fixedpoint.Var{Name: "y", Format: fixedpoint.Q(3, 4), Overflow: fixedpoint.Saturate}
	wrap := fixedpoint.Var{Name: "y", Format: fixedpoint.Q(3, 4), Overflow: fixedpoint.Wrap}
	f := fixedpoint.Q(3, 4)
	fmt.Println(sat.Add(100, f, 100, f, 0, &c), wrap.Add(100, f, 100, f, 0, &c), c)
	// Output:
	// floor      2.5 → 2, -2.5 → -3, 3.5 → 3
	// half-even  2.5 → 2, -2.5 → -2, 3.5 → 4
	// half-away  2.5 → 3, -2.5 → -3, 3.5 → 4
	// stochastic 2.25 → mean 2.25
	// 127 -56 {1 1}
}

func ExampleLUT() {
	tb := fixedpoint.DefaultTable()
	tanh, err := fixedpoint.DefaultLUT(tb, fixedpoint.Tanh)
	if err != nil {
		panic(err)
	}
	fmt.Println(tanh.In, "→", tanh.Out, "segments", tanh.Size)
	x := tanh.In.FromFloat(0.5)
	y := tanh.Eval(x, nil)
	fmt.Printf("tanh(%g) = raw %d = %.6f\n", tanh.In.ToFloat(x), y, tanh.Out.ToFloat(y))
	e, at, _ := tanh.MaxError()
	fmt.Printf("max error %.2e at %g\n", e, tanh.In.ToFloat(at))
	// Output:
	// Q3.12 → Q3.12 segments 512
	// tanh(0.5) = raw 1893 = 0.462158
	// max error 2.13e-04 at -0.736328125
}
