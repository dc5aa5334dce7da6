package train_test

import (
	"fmt"

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
