package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/glemu/glemu/tasks"
)

// Options configure a run of the suite. The zero value runs each workload for about a
// second with one chip worker.
type Options struct {
	// Time is the least time spent measuring each workload (and, separately, its float
	// twin); default 1 s. A workload stops after MaxReps repetitions or Time, whichever
	// comes later, once it has MinReps.
	Time time.Duration
	// RepTime is the least duration of one repetition: a repetition runs as many units
	// (steps, compiles) as that takes, measured by a first untimed unit; default 100 ms.
	RepTime time.Duration
	// MinReps (default 5) and MaxReps (default 30) bound the repetitions, whose median
	// is reported. Workloads whose unit is slow (a compile of 10⁷ synapses) stop at
	// MinReps; an epoch runs once.
	MinReps, MaxReps int
	// Quick runs every workload once, one unit, untimed warm-up skipped: a smoke test
	// (tests, CI), not a measurement.
	Quick bool
	// Workers is the number of goroutines a chip steps its tiles on (default 1).
	Workers int
	// Progress, if set, is told when a workload starts (done of total finished).
	Progress func(done, total int, name string)
}

func (o *Options) defaults() {
	if o.Time <= 0 {
		o.Time = time.Second
	}
	if o.RepTime <= 0 {
		o.RepTime = 100 * time.Millisecond
	}
	if o.MinReps <= 0 {
		o.MinReps = 5
	}
	if o.MaxReps < o.MinReps {
		o.MaxReps = max(30, o.MinReps)
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.Quick {
		o.MinReps, o.MaxReps = 1, 1
	}
}

// env holds what several workloads share, built on first use.
type env struct {
	opt   Options
	mnist *tasks.Sequences
}

func (e *env) mnist1d() (*tasks.Sequences, error) {
	if e.mnist == nil {
		d, err := tasks.NewMNIST1D()
		if err != nil {
			return nil, err
		}
		e.mnist = d
	}
	return e.mnist, nil
}

// Run measures the workloads in order and returns the report. Figures are medians of
// repetitions, and ratios are taken against baselines measured in the same run (the
// plain-Go scalar MAC rate, the peak MAC rate, the float reference on the same
// workload), so that they hold on a noisy machine. A workload that cannot run here is
// reported as skipped; any other error stops the run. ctx stops it between
// repetitions.
func Run(ctx context.Context, ws []Workload, opt Options) (*Report, error) {
	opt.defaults()
	rep := newReport(opt)
	e := &env{opt: opt}
	for i, w := range ws {
		if opt.Progress != nil {
			opt.Progress(i, len(ws), w.Name)
		}
		r, err := measure(ctx, e, w)
		if err != nil {
			return rep, fmt.Errorf("bench: %s: %w", w.Name, err)
		}
		rep.add(r)
	}
	if opt.Progress != nil {
		opt.Progress(len(ws), len(ws), "")
	}
	rep.finish()
	return rep, nil
}

func measure(ctx context.Context, e *env, w Workload) (Result, error) {
	r := Result{Name: w.Name, Kind: w.Kind, Series: w.Series, X: w.X}
	in, err := w.setup(e)
	if errors.Is(err, errSkip) {
		r.Skipped = err.Error()
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if in.close != nil {
		defer in.close()
	}
	r.Note = in.note
	runtime.GC() // the previous workload's garbage is not this one's cost
	var samples []sample
	t, reps, units, err := repeat(ctx, &e.opt, in.reps, func(n int) error {
		s, err := in.run(n)
		samples = append(samples, s)
		return err
	})
	if err != nil {
		return r, err
	}
	r.Reps, r.UnitsPerRep, r.Seconds = reps, units, t
	r.fill(in, samples)
	if in.float != nil {
		runtime.GC()
		ft, _, _, err := repeat(ctx, &e.opt, in.reps, func(n int) error { return in.float(n) })
		if err != nil {
			return r, fmt.Errorf("float reference: %w", err)
		}
		r.FloatSeconds = ft
		if ft > 0 && in.steps > 0 {
			r.FloatStepsPerSec = in.steps / ft
			r.VsFloat = r.StepsPerSec / r.FloatStepsPerSec
		}
	}
	return r, nil
}

// repeat times run: a first untimed unit (unless the repetitions are fixed or the run
// is quick) sizes a repetition to RepTime, then repetitions run until MinReps and
// Time, or MaxReps. It returns the median seconds per unit, the repetitions and the
// units per repetition.
func repeat(ctx context.Context, o *Options, fixed int, run func(n int) error) (perUnit float64, reps, units int, err error) {
	units = 1
	minReps, maxReps := o.MinReps, o.MaxReps
	var times []float64
	switch {
	case fixed > 0 && !o.Quick:
		minReps, maxReps = fixed, fixed
	case o.Quick:
	default:
		start := time.Now()
		if err := run(1); err != nil {
			return 0, 0, 0, err
		}
		t1 := time.Since(start)
		if t1 >= o.RepTime {
			// A slow unit: the first one counts, and the run stops at MinReps.
			times = append(times, t1.Seconds())
			maxReps = minReps
		} else {
			units = int(min(1e6, float64(o.RepTime)/float64(max(t1, time.Microsecond))+1))
		}
	}
	begin := time.Now()
	for len(times) < maxReps && (len(times) < minReps || time.Since(begin) < o.Time) {
		if err := ctx.Err(); err != nil {
			return 0, 0, 0, err
		}
		start := time.Now()
		if err := run(units); err != nil {
			return 0, 0, 0, err
		}
		times = append(times, time.Since(start).Seconds()/float64(units))
	}
	return median(times), len(times), units, nil
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
