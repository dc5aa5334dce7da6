package train_test

import (
	"strings"
	"testing"

	"github.com/glemu/glemu/train"
)

const logLine1 = `{"epoch":1,"lr":0.001,"next_lr":0.001,"train":{"loss":2.1885,"accuracy":0.292,"samples":4000,"correct":1168},"test":{"loss":2.4198,"accuracy":0.082,"samples":1000,"correct":82},"steps":18000,"steps_per_s":1564,"wall_s":11.5}`
const logLine2 = `{"epoch":2,"lr":0.001,"next_lr":0.0005,"train":{"loss":2.1753,"accuracy":0.315,"samples":4000,"correct":1260},"test":{"loss":2.3177,"accuracy":0.106,"samples":1000,"correct":106},"steps":18000,"steps_per_s":1545,"wall_s":11.6}`

// TestReadEpochLog: the log glemu train --log writes reads back epoch by epoch; every
// kind of damage is refused with the line it is on.
func TestReadEpochLog(t *testing.T) {
	es, err := train.ReadEpochLog(strings.NewReader(logLine1 + "\n\n" + logLine2 + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[1].NextLR != 0.0005 || es[0].Test.Correct != 82 || es[1].Seconds != 11.6 {
		t.Fatalf("read %+v", es)
	}
	for _, tc := range []struct{ name, log, want string }{
		{"empty", "", "train: the log holds no epoch; give a file glemu train --log wrote"},
		{"blank lines only", "\n \n", "train: the log holds no epoch; give a file glemu train --log wrote"},
		{"not JSON", "epoch 1\n", "train: log line 1 is not an epoch of glemu train --log: invalid character 'e' looking for beginning of value"},
		{"a lag task's log", `{"step":1000,"mse":0.1}`, `train: log line 1 is not an epoch of glemu train --log: json: unknown field "step"`},
		{"two values on a line", logLine1 + " {}", "train: log line 1 holds more than one JSON value; want one epoch per line"},
		{"starts at epoch 2", logLine2, "train: log line 1 is epoch 2, want epoch 1 (epochs 1, 2, … in order)"},
		{"repeated epoch", logLine1 + "\n" + logLine1, "train: log line 2 is epoch 1, want epoch 2 (epochs 1, 2, … in order)"},
		{"accuracy in percent", strings.Replace(logLine1, `"accuracy":0.082`, `"accuracy":8.2`, 1), "train: log line 1: test accuracy 8.2 is outside 0 … 1"},
		{"negative accuracy", strings.Replace(logLine1, `"accuracy":0.292`, `"accuracy":-0.1`, 1), "train: log line 1: train accuracy -0.1 is outside 0 … 1"},
		{"a line over 1 MiB", strings.Repeat(" ", 1<<20+1), "train: reading the log: bufio.Scanner: token too long; give a file glemu train --log wrote (a line of at most 1 MiB per epoch)"},
		{"wrong type", strings.Replace(logLine1, `"epoch":1`, `"epoch":"1"`, 1), "train: log line 1 is not an epoch of glemu train --log: json: cannot unmarshal string into Go struct field Epoch.epoch of type int"},
	} {
		_, err := train.ReadEpochLog(strings.NewReader(tc.log))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzReadEpochLog: no input makes the reader panic; whatever it accepts is a gapless
// run of epochs from 1 with accuracies in 0 … 1.
func FuzzReadEpochLog(f *testing.F) {
	f.Add(logLine1 + "\n" + logLine2)
	f.Add(logLine1)
	f.Add("{}")
	f.Add(`{"epoch":1,"test":{"accuracy":NaN}}`)
	f.Fuzz(func(t *testing.T, log string) {
		es, err := train.ReadEpochLog(strings.NewReader(log))
		if err != nil {
			return
		}
		for i, e := range es {
			if e.Epoch != i+1 || !(e.Test.Accuracy >= 0 && e.Test.Accuracy <= 1) || !(e.Train.Accuracy >= 0 && e.Train.Accuracy <= 1) {
				t.Fatalf("accepted epoch %d: %+v", i, e)
			}
		}
	})
}

// TestCompareCurves: one accuracy series per run plus the reference, two loss series
// (test, train) per run, in the runs' colours.
func TestCompareCurves(t *testing.T) {
	es, _ := train.ReadEpochLog(strings.NewReader(logLine1 + "\n" + logLine2))
	ps := train.CompareCurves([]train.NamedHistory{{Name: "chip", History: es}, {Name: "float", History: es[:1]}},
		[]train.CurvePoint{{Epoch: 1, Accuracy: 0.135}})
	if len(ps) != 2 || len(ps[0].Series) != 3 || len(ps[1].Series) != 4 {
		t.Fatalf("panels %+v", ps)
	}
	acc := ps[0].Series
	if acc[0].Name != "chip" || len(acc[0].Y) != 2 || acc[0].Y[1] != 10.6 || acc[1].Color != 2 || acc[2].Y[0] != 13.5 || !acc[2].Dashed {
		t.Errorf("accuracy series %+v", acc)
	}
	if l := ps[1].Series; l[0].Name != "chip, test" || l[1].Name != "chip, train" || !l[1].Dashed || l[0].Y[0] != 2.4198 || l[3].Color != 2 {
		t.Errorf("loss series %+v", l)
	}
}
