package chip

import (
	"sync"
	"sync/atomic"
)

// pool runs a phase's items (tiles, or tiles × parts) on a fixed set of goroutines.
// Each item's work touches only its own state and buffers (and reads committed values),
// so the order in which workers take items cannot change a result. Worker w takes the
// items i ≡ w (mod workers) first, its part of every tile (so that a part's data tends
// to stay in one core's caches from step to step), then any item not yet taken (so that
// a worker the machine delays does not hold the others up). run does not allocate
// once its item count has been seen.
type pool struct {
	workers int
	start   []chan struct{}
	wg      sync.WaitGroup
	taken   []atomic.Bool
	fn      func(int)
	n       int
	closed  bool
}

func newPool(workers int) *pool {
	if workers < 1 {
		workers = 1
	}
	p := &pool{workers: workers}
	for w := range workers - 1 {
		ch := make(chan struct{})
		p.start = append(p.start, ch)
		go p.loop(ch, w+1)
	}
	return p
}

func (p *pool) loop(ch chan struct{}, w int) {
	for range ch {
		p.work(w)
		p.wg.Done()
	}
}

func (p *pool) work(w int) {
	for i := w; i < p.n; i += p.workers {
		if p.taken[i].CompareAndSwap(false, true) {
			p.fn(i)
		}
	}
	for i := range p.n {
		if p.taken[i].CompareAndSwap(false, true) {
			p.fn(i)
		}
	}
}

// run calls fn(i) for i in [0, n), spread over the workers, and waits.
func (p *pool) run(fn func(int), n int) {
	if p.workers == 1 || n < 2 || p.closed {
		for i := range n {
			fn(i)
		}
		return
	}
	if len(p.taken) < n {
		p.taken = make([]atomic.Bool, n)
	}
	for i := range n {
		p.taken[i].Store(false)
	}
	p.fn, p.n = fn, n
	p.wg.Add(len(p.start))
	for _, ch := range p.start {
		ch <- struct{}{}
	}
	p.work(0)
	p.wg.Wait()
	p.fn = nil
}

func (p *pool) close() {
	if p.closed {
		return
	}
	p.closed = true
	for _, ch := range p.start {
		close(ch)
	}
}
