package compiler_test

import (
	"testing"

	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/tasks"
)

// TestParamsTimeConstants: the time constants the chip runs are those of
// Options.Params (the lag-line student's drawn τm), not the network file's; without
// Params they are the file's.
func TestParamsTimeConstants(t *testing.T) {
	task, err := tasks.NewLagLine(1)
	if err != nil {
		t.Fatal(err)
	}
	net, params := task.Student, task.StudentParams
	withParams, err := compiler.Compile(net, compiler.Options{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := compiler.Compile(net, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dt := net.Dt
	tauVar, ok := withParams.Program.Config.Formats.Lookup("tau_m")
	if !ok {
		t.Fatal("no tau_m format in the program's table")
	}
	tau := tauVar.Format
	differ := false
	for q, pop := range net.Populations {
		if pop.Input {
			continue
		}
		got := withParams.Program.Populations[q]
		for i := range pop.Size {
			if want := tau.FromFloat(params.TauM[q][i] / dt); got.TauM[i] != want {
				t.Errorf("population %q neuron %d: τm register %d, want %d (params' τm %g)", pop.Name, i, got.TauM[i], want, params.TauM[q][i])
			}
			if want := tau.FromFloat(pop.TauM[i] / dt); fromFile.Program.Populations[q].TauM[i] != want {
				t.Errorf("population %q neuron %d without params: τm register %d, want the file's %d", pop.Name, i, fromFile.Program.Populations[q].TauM[i], want)
			}
			if params.TauM[q][i] != pop.TauM[i] {
				differ = true
			}
		}
	}
	if !differ {
		t.Fatal("the student's drawn τm equal the file's: the test proves nothing")
	}
}
