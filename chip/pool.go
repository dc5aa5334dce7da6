package chip

import (
	"runtime"
	"sync/atomic"
	"time"
)

// pool runs a phase's items (tiles, or tiles × parts) on a fixed set of goroutines.
// Each item's work touches only its own state and buffers (and reads committed values),
// so the order in which workers take items cannot change a result. Worker w takes the
// items i ≡ w (mod workers) first, its part of every tile (so that a part's data tends
// to stay in one core's caches from step to step), then any item not yet taken (so that
// a worker the machine delays does not hold the others up). run does not allocate
// once its item count has been seen.
//
// The hand-off is a spinning barrier: a phase is published by advancing gen, and a
// worker that finished one phase spins on gen (yielding its thread now and then) for
// up to spinFor before it parks on its channel. A step's phases are some tens of
// microseconds apart, far less than the time a parked goroutine takes to be woken onto
// an idle core (measured: the woken worker often started after worker 0 had taken
// every item), so within a step the workers never park; between steps that come
// slower than spinFor (a host feeding data) they do, and cost nothing.
type pool struct {
	workers int
	ws      []*poolWorker
	taken   []atomic.Bool
	fn      func(int)
	n       int
	closed  bool

	_   [64]byte
	gen atomic.Uint64 // phases published; written by run, read by the spinning workers
	_   [56]byte
}

// A poolWorker is one goroutine's state, each on its own cache lines (the spinning
// reads of one worker do not share a line with another's writes).
type poolWorker struct {
	_    [64]byte
	done atomic.Uint64 // the last phase (gen) this worker finished
	// parked is 0 while the worker runs or spins, g+1 while it is parked waiting for
	// the phase after g: publish(g+1) takes exactly that value (a worker that already
	// ran phase g+1 and parked again holds g+2, and gets no stale wake-up).
	parked atomic.Uint64
	wake   chan struct{} // publish sends on it after taking a parked worker's state
	_      [48]byte
}

// spinFor is how long an idle worker spins for the next phase before it parks.
const spinFor = 200 * time.Microsecond

func newPool(workers int) *pool {
	if workers < 1 {
		workers = 1
	}
	p := &pool{workers: workers}
	for w := range workers - 1 {
		pw := &poolWorker{wake: make(chan struct{}, 1)}
		p.ws = append(p.ws, pw)
		go p.loop(pw, w+1)
	}
	return p
}

// loop is worker w's goroutine: wait for a phase (spinning, then parked), run its
// items, report it done.
func (p *pool) loop(pw *poolWorker, w int) {
	var seen uint64 // gen when newPool started the worker: run may publish before it runs
	for {
		g := p.await(pw, seen)
		if p.closed {
			return
		}
		p.work(w)
		pw.done.Store(g)
		seen = g
	}
}

// await returns the first gen after seen: spinning up to spinFor, then parked until
// publish wakes the worker. (A parking worker marks itself parked after seen, then
// looks at gen once more: either it sees the new phase and takes its mark back, or
// publish took the mark and sends on wake, which the worker then receives.)
func (p *pool) await(pw *poolWorker, seen uint64) uint64 {
	var t0 time.Time
	for i := 0; ; i++ {
		if g := p.gen.Load(); g != seen {
			return g
		}
		if i%64 != 63 {
			continue
		}
		runtime.Gosched() // one P: let the goroutine that runs the step have it
		if i == 63 {
			t0 = time.Now()
		} else if time.Since(t0) > spinFor {
			break
		}
	}
	pw.parked.Store(seen + 1)
	if g := p.gen.Load(); g != seen && pw.parked.CompareAndSwap(seen+1, 0) {
		return g
	}
	<-pw.wake
	return p.gen.Load()
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
	g := p.publish()
	p.work(0)
	for _, pw := range p.ws {
		for i := 0; pw.done.Load() != g; i++ {
			if i%64 == 63 {
				runtime.Gosched()
			}
		}
	}
	p.fn = nil
}

// publish advances gen (the workers' signal for the phase set up in p) and wakes the
// parked workers; it returns the new gen.
func (p *pool) publish() uint64 {
	g := p.gen.Add(1)
	for _, pw := range p.ws {
		if pw.parked.CompareAndSwap(g, 0) { // parked after phase g−1
			pw.wake <- struct{}{}
		}
	}
	return g
}

func (p *pool) close() {
	if p.closed {
		return
	}
	p.closed = true
	p.publish()
}
