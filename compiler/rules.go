package compiler

import (
	"errors"
	"fmt"
	"strings"

	"github.com/glemu/glemu/network"
)

// Severity says whether a finding stops a compilation.
type Severity uint8

const (
	// Error: the network cannot be compiled as it is.
	Error Severity = iota
	// Warning: it compiles, but something will likely go wrong (saturation, a link that
	// limits the step rate, blocks fragmented by a mask).
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText writes the severity as "error" or "warning".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one violation of a design rule.
type Finding struct {
	// Rule is the rule's ID, such as "GLE003".
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Message says what is wrong, naming the population, projection or tile.
	Message string `json:"message"`
	// Fix says what to change.
	Fix string `json:"fix"`
}

// String formats the finding as one line: "GLE003 error: <message>; <fix>".
func (f Finding) String() string {
	s := f.Rule + " " + f.Severity.String() + ": " + f.Message
	if f.Fix != "" {
		s += "; " + f.Fix
	}
	return s
}

// Rule is one named design rule.
type Rule struct {
	// ID is stable ("GLE001" …); Name is a short slug; Summary says what it checks.
	ID, Name, Summary string
}

// The design rules, in the order they run and report. docs/compiler.md lists them with
// their failing examples; a test keeps the two in step.
var rules = []Rule{
	{"GLE001", "network", "the network file is well-formed and consistent (every problem network.Validate finds that no more specific rule covers)"},
	{"GLE002", "tau-below-dt", "every τm and τr is at least dt"},
	{"GLE003", "tau-range", "τm/dt, τr/dt, τm/τr and τr/τm fit the chip's formats (tau_m, tau_m_tau_r, tau_r_tau_m)"},
	{"GLE004", "activation", "every neuron population names an activation the chip has"},
	{"GLE005", "dangling", "every neuron population is driven by a projection, and feeds a projection or is an output"},
	{"GLE006", "shape", "explicit weights and masks match the populations they join"},
	{"GLE007", "fan-in", "a projection's fan-in can be served by the mesh after splitting it across crossbars"},
	{"GLE008", "tiles", "the mapped network needs no more tiles than the mesh has"},
	{"GLE009", "pin", "pinned tiles exist and hold the populations pinned to them"},
	{"GLE010", "softmax-tile", "a cross-entropy output fits on one tile, where the softmax runs"},
	{"GLE011", "scale-hint", "scale registers given as hints are within what the datapath accepts"},
	{"GLE012", "saturation", "no value is likely to saturate or wrap with the chosen scales"},
	{"GLE013", "mask-blocks", "a learning masked projection does not fragment into too many weight blocks"},
	{"GLE014", "link-bandwidth", "no link carries more than it can at the required step rate"},
	{"GLE015", "contexts", "the number of contexts is within what the chip's context memory holds"},
	{"GLE016", "registers", "β, γ, learning rates, Adam's ε and decays are representable in their registers"},
}

// Rules lists the design rules in the order they run.
func Rules() []Rule { return append([]Rule(nil), rules...) }

func ruleByName(name string) Rule {
	for _, r := range rules {
		if r.Name == name {
			return r
		}
	}
	panic("compiler: no rule " + name)
}

// findings collects the findings of one run.
type findings []Finding

func (fs *findings) add(rule string, sev Severity, msg, fix string) {
	*fs = append(*fs, Finding{Rule: ruleByName(rule).ID, Severity: sev, Message: msg, Fix: fix})
}

func (fs *findings) errorf(rule, fix, format string, args ...any) {
	fs.add(rule, Error, fmt.Sprintf(format, args...), fix)
}

func (fs *findings) warnf(rule, fix, format string, args ...any) {
	fs.add(rule, Warning, fmt.Sprintf(format, args...), fix)
}

// hasErrors reports whether any finding is an error.
func (fs findings) hasErrors() bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// CheckError is the error Compile returns when design rules fail: every finding of the
// run, errors and warnings, in rule order.
type CheckError struct {
	Findings []Finding
}

func (e *CheckError) Error() string {
	var b strings.Builder
	n := 0
	for _, f := range e.Findings {
		if f.Severity == Error {
			n++
		}
	}
	fmt.Fprintf(&b, "compiler: %d design rule violation", n)
	if n != 1 {
		b.WriteString("s")
	}
	for _, f := range e.Findings {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return b.String()
}

// networkFindings files the problems network.Validate finds under the design rules:
// those of a named kind of check under that rule, every other under GLE001.
func networkFindings(n *network.Network, fs *findings) {
	err := n.Validate()
	if err == nil {
		return
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		rule := "network"
		var p *network.Problem
		if errors.As(e, &p) {
			switch p.Check {
			case network.CheckTauBelowDt:
				rule = "tau-below-dt"
			case network.CheckActivation:
				rule = "activation"
			case network.CheckDangling:
				rule = "dangling"
			case network.CheckShape:
				rule = "shape"
			}
		}
		msg, fix := splitFix(strings.TrimPrefix(e.Error(), "network: "))
		fs.add(rule, Error, msg, fix)
	}
}

// splitFix splits "what is wrong; what to do" at its last "; ".
func splitFix(s string) (msg, fix string) {
	if i := strings.LastIndex(s, "; "); i >= 0 {
		return s[:i], s[i+2:]
	}
	return s, ""
}
