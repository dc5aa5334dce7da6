package chip

import (
	"runtime"
	"testing"
	"time"
)

// TestPoolRunsEveryItemOnce runs phases of every size on 2 and 3 workers, with the
// workers spinning and (after pauses longer than spinFor) parked, on one P and on
// several: every item runs exactly once per phase and run returns only after all of
// them (the race detector checks the hand-off).
func TestPoolRunsEveryItemOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, workers := range []int{2, 3} {
			p := newPool(workers)
			hits := make([]int, 40)
			for r := range 300 {
				n := r % len(hits)
				p.run(func(i int) { hits[i]++ }, n)
				for i := range n {
					if hits[i] != 1 {
						t.Fatalf("GOMAXPROCS %d, %d workers, phase %d: item %d ran %d times", procs, workers, r, i, hits[i])
					}
				}
				clear(hits)
				if r%50 == 49 {
					time.Sleep(2 * spinFor) // the workers park
				}
			}
			p.close()
		}
	}
}
