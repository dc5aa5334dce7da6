package train_test

import (
	"fmt"

	"github.com/glemu/glemu/tasks"
	"github.com/glemu/glemu/train"
)

// Each epoch reshuffles the training samples from the seed and the epoch alone.
func ExampleEpochOrder() {
	fmt.Println(train.EpochOrder(1, 1, 10))
	fmt.Println(train.EpochOrder(1, 2, 10))
	// Output:
	// [6 3 0 1 8 4 5 2 9 7]
	// [2 8 6 5 1 7 0 9 4 3]
}

// 1000 test samples on 100 contexts fill 10 batches; 10 samples on 4 contexts fill 3,
// the last one with 2 padding contexts that do not count.
func ExampleBatches() {
	fmt.Println(train.Batches(1000, 100), train.Batches(10, 4))
	// Output: 10 3
}

// The chip backend on its own: the lag-line student compiled for 100 contexts and
// loaded onto the emulator, stepped against a constant target, its learning rate
// lowered as a schedule would, its weights read back.
func ExampleNewChip() {
	task, err := tasks.NewLagLine(1)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := train.NewChip(task.Student, task.StudentParams, task.Contexts(), train.ChipOptions{Device: "emu"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println(c.Contexts(), "contexts on", c.Device.Info().Name, "lr", c.LR())
	c.SetLR(5e-5) // the learning-rate registers, rewritten
	x, y := make([]float64, c.Contexts()), make([]float64, c.Contexts())
	for k := range 100 {
		task.Input(x, k)
		if err := c.Step(x, y); err != nil {
			fmt.Println(err)
			return
		}
	}
	p := c.Params()
	fmt.Printf("lr %g; W0 %.2f → %.2f after %d steps\n", c.LR(), task.StudentParams.Weights[0][0], p.Weights[0][0], c.Device.Steps())
	// Output:
	// 100 contexts on emu lr 0.0001
	// lr 5e-05; W0 0.34 → 0.34 after 100 steps
}
