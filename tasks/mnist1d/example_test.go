package mnist1d_test

import (
	"fmt"
	"log"

	"github.com/glemu/glemu/tasks/mnist1d"
)

func ExampleGenerate() {
	cfg := mnist1d.DefaultConfig()
	cfg.FinalSeqLength = 360 // the GLE paper's sequences
	d, err := mnist1d.Generate(cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d train and %d test samples of %d points\n", d.NumTrain(), d.NumTest(), d.Length())
	fmt.Printf("normalised with mean %.6f, std %.6f\n", d.Mean, d.Std)
	x := d.Train(0)
	fmt.Printf("first sample: label %d, x[0] = %.6f, x[359] = %.6f\n", d.TrainY[0], x[0], x[359])

	cfg.FinalSeqLength = 0
	_, err = mnist1d.Generate(cfg)
	fmt.Println(err)
	// Output:
	// 4000 train and 1000 test samples of 360 points
	// normalised with mean -0.005655, std 0.154162
	// first sample: label 2, x[0] = -0.332162, x[359] = -0.892191
	// mnist1d: final length 0; use a positive length such as 40 or 360
}

func ExampleRandomState() {
	// The same numbers as numpy.random.seed(42); rand(); randn(); choice(48); permutation(5).
	r := mnist1d.NewRandomState(42)
	fmt.Printf("rand()  %.16f\n", r.Float64())
	fmt.Printf("randn() %.16f\n", r.NormFloat64())
	fmt.Println("choice(48)", r.Interval(47))
	fmt.Println("permutation(5)", r.Permutation(5))
	// Output:
	// rand()  0.3745401188473625
	// randn() -1.1118801180469204
	// choice(48) 18
	// permutation(5) [3 1 0 4 2]
}
