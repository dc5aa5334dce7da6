package chip

import (
	"sync"
	"sync/atomic"
)

// pool runs a phase over the tiles on a fixed set of goroutines. Each tile's work
// touches only that tile's state and buffers (and reads committed values), so the order
// in which workers take tiles cannot change a result. run does not allocate.
type pool struct {
	workers int
	start   []chan struct{}
	wg      sync.WaitGroup
	next    atomic.Int64
	fn      func(int)
	n       int
	closed  bool
}

func newPool(workers int) *pool {
	if workers < 1 {
		workers = 1
	}
	p := &pool{workers: workers}
	for range workers - 1 {
		ch := make(chan struct{})
		p.start = append(p.start, ch)
		go p.loop(ch)
	}
	return p
}

func (p *pool) loop(ch chan struct{}) {
	for range ch {
		p.work()
		p.wg.Done()
	}
}

func (p *pool) work() {
	for {
		i := int(p.next.Add(1)) - 1
		if i >= p.n {
			return
		}
		p.fn(i)
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
	p.fn, p.n = fn, n
	p.next.Store(0)
	p.wg.Add(len(p.start))
	for _, ch := range p.start {
		ch <- struct{}{}
	}
	p.work()
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
