package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/glemu/glemu/fixedpoint"
)

// Report is a run of the suite: where it ran, its baselines and one Result per
// workload. It encodes to JSON as is (glemu bench --json), for comparison across
// commits.
type Report struct {
	Time       time.Time `json:"time"`
	Go         string    `json:"go"`
	OS         string    `json:"os"`
	Arch       string    `json:"arch"`
	CPU        string    `json:"cpu"`
	Kernels    string    `json:"kernels"` // fixedpoint.Kernels()
	GOMAXPROCS int       `json:"gomaxprocs"`
	Workers    int       `json:"workers"` // goroutines a chip steps its tiles on
	Quick      bool      `json:"quick,omitempty"`
	// ScalarMACPerSec is the plain-Go scalar int16 multiply-accumulate rate of this
	// run (fixedpoint.MatVecPlain, 256×256); PeakMACPerSec the fast kernel's peak
	// (fixedpoint.PeakMACLoop), 0 where there is none.
	ScalarMACPerSec float64  `json:"scalar_mac_per_s"`
	PeakMACPerSec   float64  `json:"peak_mac_per_s"`
	Results         []Result `json:"results"`
}

// Result is one workload's figures; fields that do not apply to its kind are zero.
// Rates are per second of the median repetition.
type Result struct {
	Name    string  `json:"name"`
	Kind    Kind    `json:"kind"`
	Series  Series  `json:"series,omitempty"`
	X       float64 `json:"x,omitempty"`
	Note    string  `json:"note,omitempty"`
	Skipped string  `json:"skipped,omitempty"` // why the workload did not run
	// Reps repetitions of UnitsPerRep units each; Seconds is the median time of one
	// unit (a step, a kernel call, a compile, an epoch).
	Reps        int     `json:"reps"`
	UnitsPerRep int     `json:"units_per_rep"`
	Seconds     float64 `json:"seconds_per_unit"`

	StepsPerSec float64 `json:"steps_per_s,omitempty"`
	// SynOpsPerSec counts synaptic operations: the multiply-accumulates of the
	// forward read, the transposed read and the gradient (one per synapse and
	// context for each). MACPerSec is the same count for kernels and baselines.
	SynOpsPerSec float64 `json:"synops_per_s,omitempty"`
	MACPerSec    float64 `json:"mac_per_s,omitempty"`
	// VsScalar is MACPerSec (or SynOpsPerSec) over the run's scalar rate; PeakShare
	// over its peak rate.
	VsScalar  float64 `json:"vs_scalar,omitempty"`
	PeakShare float64 `json:"peak_share,omitempty"`
	// FloatSeconds and FloatStepsPerSec are gle's on the same workload; VsFloat is
	// StepsPerSec over FloatStepsPerSec (above 1: the chip emulator is faster).
	FloatSeconds     float64 `json:"float_seconds_per_unit,omitempty"`
	FloatStepsPerSec float64 `json:"float_steps_per_s,omitempty"`
	VsFloat          float64 `json:"vs_float,omitempty"`
	// CompileNsPerSynapse is a compile's time over the synapses it placed.
	CompileNsPerSynapse float64 `json:"compile_ns_per_synapse,omitempty"`
	// Baud is a serial stream's line rate; LinkEfficiency the command payload bytes
	// per second the host sent over the line's raw rate (baud/10 for 8N1), and
	// PayloadShare the payload's share of the bytes on the wire.
	Baud           int     `json:"baud,omitempty"`
	LinkEfficiency float64 `json:"link_efficiency,omitempty"`
	PayloadShare   float64 `json:"payload_share,omitempty"`

	macs, synapses float64 // per unit, for finish
}

func newReport(opt Options) *Report {
	return &Report{Time: time.Now().UTC().Truncate(time.Second), Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		CPU: cpuName(), Kernels: fixedpoint.Kernels(), GOMAXPROCS: runtime.GOMAXPROCS(0), Workers: opt.Workers, Quick: opt.Quick}
}

// fill sets the rates of r from its instance and samples.
func (r *Result) fill(in *instance, samples []sample) {
	r.macs, r.synapses = in.macs, in.synapses
	if r.Seconds <= 0 {
		return
	}
	if in.steps > 0 {
		r.StepsPerSec = in.steps / r.Seconds
		r.SynOpsPerSec = in.macs / r.Seconds
	} else if in.macs > 0 {
		r.MACPerSec = in.macs / r.Seconds
	}
	if in.synapses > 0 {
		r.CompileNsPerSynapse = r.Seconds * 1e9 / in.synapses
	}
	if in.baud > 0 {
		r.Baud = in.baud
		var eff []float64
		var payload, wire int64
		for _, s := range samples {
			if s.seconds > 0 {
				eff = append(eff, float64(s.payload)/s.seconds/(float64(in.baud)/10))
			}
			payload += s.payload
			wire += s.wire
		}
		r.LinkEfficiency = median(eff)
		if wire > 0 {
			r.PayloadShare = float64(payload) / float64(wire)
		}
	}
}

func (rep *Report) add(r Result) {
	switch r.Name {
	case scalarName:
		rep.ScalarMACPerSec = r.MACPerSec
	case peakName:
		rep.PeakMACPerSec = r.MACPerSec
	}
	rep.Results = append(rep.Results, r)
}

// finish sets the ratios to the baselines.
func (rep *Report) finish() {
	for i := range rep.Results {
		r := &rep.Results[i]
		rate := r.MACPerSec
		if r.Kind == KindStep || r.Kind == KindEpoch {
			rate = r.SynOpsPerSec
		}
		if rep.ScalarMACPerSec > 0 && rate > 0 {
			r.VsScalar = rate / rep.ScalarMACPerSec
		}
		if rep.PeakMACPerSec > 0 && r.MACPerSec > 0 && r.Kind == KindKernel {
			r.PeakShare = r.MACPerSec / rep.PeakMACPerSec
		}
	}
}

// Find returns the result of the workload called name.
func (rep *Report) Find(name string) (*Result, bool) {
	for i := range rep.Results {
		if rep.Results[i].Name == name {
			return &rep.Results[i], true
		}
	}
	return nil, false
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(r io.Reader) (*Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("bench: report: %w", err)
	}
	return &rep, nil
}

// WriteTable prints the report as one table: a line per workload with its median
// rates and its ratios to the run's baselines, then what the columns mean.
func (rep *Report) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "glemu bench: %s, %s/%s, %s kernels, GOMAXPROCS %d, %d chip worker(s), %s\n",
		rep.CPU, rep.OS, rep.Arch, rep.Kernels, rep.GOMAXPROCS, rep.Workers, rep.Go)
	fmt.Fprintf(bw, "baselines: plain-Go scalar %s MAC/s; peak %s MAC/s\n", si(rep.ScalarMACPerSec), si(rep.PeakMACPerSec))
	if rep.Quick {
		fmt.Fprintln(bw, "quick run: one unit per workload, not a measurement")
	}
	fmt.Fprintln(bw)
	width := len("workload")
	for _, r := range rep.Results {
		width = max(width, len(r.Name))
	}
	name := func(s string) string { return s + strings.Repeat(" ", width-len(s)) } // left-aligned
	var tb bytes.Buffer
	tw := tabwriter.NewWriter(&tb, 0, 0, 2, ' ', tabwriter.AlignRight)
	io.WriteString(tw, name("workload")+"\treps\ttime/unit\tsteps/s\tsynops/s\tMAC/s\t×scalar\t%peak\tfloat steps/s\tchip÷float\tns/synapse\tlink eff.\t\n")
	for _, r := range rep.Results {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t\t\t\t\t\t %s\n", name(r.Name), r.Skipped)
			continue
		}
		cells := []string{name(r.Name), fmt.Sprint(r.Reps), dur(r.Seconds), num(r.StepsPerSec), si(r.SynOpsPerSec), si(r.MACPerSec),
			ratio(r.VsScalar), pct(r.PeakShare), num(r.FloatStepsPerSec), ratio(r.VsFloat), num(r.CompileNsPerSynapse), pct(r.LinkEfficiency)}
		line := strings.Join(cells, "\t") + "\t"
		if r.Note != "" {
			line += " " + r.Note
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, l := range strings.SplitAfter(tb.String(), "\n") {
		bw.WriteString(strings.TrimRight(l, " \n"))
		if strings.HasSuffix(l, "\n") {
			bw.WriteByte('\n')
		}
	}
	bw.WriteString(`
time/unit: median of the repetitions, per step, kernel call, compile or epoch.
synops/s: multiply-accumulates of the forward read, the transposed read and the
gradient (one per synapse and context each) per second. ×scalar: that rate over the
plain-Go scalar MAC rate of this run; %peak: a kernel's rate over the peak.
chip÷float: chip steps/s over gle's on the same network and inputs.
ns/synapse: a compile's time per synapse. link eff.: command payload over the line's
raw rate (baud/10).
`)
	return bw.Flush()
}

func dur(s float64) string {
	switch {
	case s <= 0:
		return ""
	case s < 1e-6:
		return fmt.Sprintf("%.0f ns", s*1e9)
	case s < 1e-3:
		return fmt.Sprintf("%.3g µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.3g ms", s*1e3)
	}
	return fmt.Sprintf("%.3g s", s)
}

func num(x float64) string {
	if x <= 0 {
		return ""
	}
	if x >= 1e5 {
		return si(x)
	}
	return fmt.Sprintf("%.4g", x)
}

// si writes x with an SI prefix: 1.23 G.
func si(x float64) string {
	if x <= 0 {
		return ""
	}
	for _, p := range []struct {
		f float64
		s string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if x >= p.f {
			return fmt.Sprintf("%.3g %s", x/p.f, p.s)
		}
	}
	return fmt.Sprintf("%.3g", x)
}

func ratio(x float64) string {
	if x <= 0 {
		return ""
	}
	return fmt.Sprintf("%.3g×", x)
}

func pct(x float64) string {
	if x <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1f %%", 100*x)
}

// cpuName is the processor's model name from /proc/cpuinfo (Linux), else GOARCH.
func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}
