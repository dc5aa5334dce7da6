package train

import (
	"fmt"
	"math"

	"github.com/glemu/glemu/network"
)

// Imitation is a teacher–student run: at every step the teacher is stepped with the
// input x_k first, and its reported output is the student's target y_k. The first
// Warmup steps run without learning, then Steps steps learn. Along the way it records
// the student's watched parameters and the loss every Every steps, and the reported
// outputs of context 0 (student and teacher) during the first and the last Window
// learning steps.
type Imitation struct {
	Student, Teacher Backend
	// Input writes the input of step k for every context into dst.
	Input         func(dst []float64, k int)
	Warmup, Steps int
	// Names and Read select the student's parameters to record: Read writes them, in
	// Names' order, into dst.
	Names []string
	Read  func(p *network.Params, dst []float64)
	// Every is the recording interval in steps (1000 if 0); Window the length of the
	// output traces kept (2000 if 0).
	Every, Window int

	// Records holds a record after every Every steps (and one before the first step).
	Records []ImitationRecord
	// Start and End are the output traces of context 0 over the first and last Window
	// learning steps (Start begins with the first learning step).
	Start, End OutputTrace
}

// ImitationRecord is the state of an imitation run after Step steps: the mean squared
// difference of the student's and the teacher's reported outputs over the steps since
// the previous record (NaN in the first) and the watched parameters.
type ImitationRecord struct {
	Step   int       `json:"step"`
	Loss   float64   `json:"mse"`
	Params []float64 `json:"params"`
}

// OutputTrace holds the reported outputs of context 0, output 0, step by step.
type OutputTrace struct {
	Steps            []float64
	Student, Teacher []float64
}

// Run runs the warm-up and the learning steps. progress, if not nil, is called every
// 1000 steps with the steps done and the total.
func (m *Imitation) Run(progress func(done, total int)) error {
	C := m.Student.Contexts()
	if m.Teacher.Contexts() != C {
		return fmt.Errorf("train: the student runs %d contexts and the teacher %d; make them agree", C, m.Teacher.Contexts())
	}
	if m.Steps < 0 || m.Warmup < 0 {
		return fmt.Errorf("train: %d warm-up and %d learning steps; give numbers ≥ 0", m.Warmup, m.Steps)
	}
	every, window := m.Every, m.Window
	if every <= 0 {
		every = 1000
	}
	if window <= 0 {
		window = 2000
	}
	for _, t := range []*OutputTrace{&m.Start, &m.End} {
		n := min(window, m.Steps)
		*t = OutputTrace{Steps: make([]float64, 0, n), Student: make([]float64, 0, n), Teacher: make([]float64, 0, n)}
	}
	if err := m.record(0, math.NaN()); err != nil {
		return err
	}
	// A student that runs windows (the chip) gets every stretch between two records
	// (and the warm-up's end) in one call: the teacher does not depend on it, so the
	// stretch's inputs and targets are known before it runs.
	wr, windowed := m.Student.(WindowRunner)
	x := make([]float64, C)
	var y []float64
	var win Window
	total := m.Warmup + m.Steps
	lossSum, lossN := 0.0, 0
	for k0 := 0; k0 < total; {
		n := 1
		if windowed {
			n = min(total, (k0/every+1)*every) - k0
			if k0 < m.Warmup {
				n = min(n, m.Warmup-k0)
			}
		}
		win.Steps, win.X, win.Y = n, win.X[:0], win.Y[:0]
		for k := k0; k < k0+n; k++ {
			m.Input(x, k)
			if err := m.Teacher.Step(x, nil); err != nil {
				return err
			}
			win.X = append(win.X, x...)
			win.Y = append(win.Y, m.Teacher.Output()...)
		}
		m.Student.SetLearning(k0 >= m.Warmup)
		ny := len(win.Y) / n
		if windowed {
			if cap(win.Out) < len(win.Y) {
				win.Out = make([]float64, len(win.Y))
			}
			win.Out = win.Out[:len(win.Y)]
			if err := wr.RunWindow(&win); err != nil {
				return err
			}
		} else if err := m.Student.Step(x, win.Y); err != nil {
			return err
		}
		for j := range n {
			k := k0 + j
			y = win.Y[j*ny : (j+1)*ny]
			var out []float64
			if windowed {
				out = win.Out[j*ny : (j+1)*ny]
			} else {
				out = m.Student.Output()
			}
			for i, o := range out {
				d := o - y[i]
				lossSum += d * d
			}
			lossN += len(out)
			if l := k - m.Warmup; l >= 0 && l < window {
				m.Start.add(k, out[0], y[0])
			}
			if k >= total-window && k >= m.Warmup {
				m.End.add(k, out[0], y[0])
			}
			if (k+1)%every == 0 || k+1 == total {
				if err := m.record(k+1, lossSum/float64(max(lossN, 1))); err != nil {
					return err
				}
				lossSum, lossN = 0, 0
			}
			if progress != nil && (k+1)%1000 == 0 {
				progress(k+1, total)
			}
		}
		k0 += n
	}
	if progress != nil {
		progress(total, total)
	}
	return nil
}

func (t *OutputTrace) add(k int, student, teacher float64) {
	t.Steps = append(t.Steps, float64(k))
	t.Student = append(t.Student, student)
	t.Teacher = append(t.Teacher, teacher)
}

func (m *Imitation) record(step int, loss float64) error {
	r := ImitationRecord{Step: step, Loss: loss, Params: make([]float64, len(m.Names))}
	if m.Read != nil {
		p, err := ReadParams(m.Student)
		if err != nil {
			return err
		}
		m.Read(p, r.Params)
	}
	m.Records = append(m.Records, r)
	return nil
}

// ImitationPanels returns the panels of an imitation run's plot: the student's and the
// teacher's outputs at the start and at the end of learning, and the watched
// parameters over time with the teacher's values (teacher, in Names' order; nil for
// none) dashed beside them. dt converts steps to time.
func ImitationPanels(m *Imitation, teacher []float64, dt float64, name string) []Panel {
	trace := func(title string, t OutputTrace) Panel {
		ts := make([]float64, len(t.Steps))
		for i, k := range t.Steps {
			ts[i] = k * dt
		}
		return Panel{Title: title, XLabel: "time", YLabel: "output (context 0)",
			Series: []Series{{Name: "teacher", X: ts, Y: t.Teacher}, {Name: "student", X: ts, Y: t.Student}}}
	}
	params := Panel{Title: name + ": student's parameters (teacher's dashed)", XLabel: "time", YLabel: "value"}
	ts := make([]float64, len(m.Records))
	for i, r := range m.Records {
		ts[i] = float64(r.Step) * dt
	}
	for j, n := range m.Names {
		ys := make([]float64, len(m.Records))
		for i, r := range m.Records {
			ys[i] = r.Params[j]
		}
		params.Series = append(params.Series, Series{Name: n, X: ts, Y: ys, Color: j + 1})
	}
	if teacher != nil && len(ts) > 0 {
		for j, n := range m.Names {
			params.Series = append(params.Series, Series{Name: n + " teacher", X: []float64{ts[0], ts[len(ts)-1]},
				Y: []float64{teacher[j], teacher[j]}, Dashed: true, Color: j + 1})
		}
	}
	return []Panel{trace(name+": start of learning", m.Start), trace(name+": end of learning", m.End), params}
}
