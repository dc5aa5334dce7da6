package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glemu/glemu/firmware-sim"
	"github.com/glemu/glemu/host"
)

func startSim(t *testing.T) string {
	t.Helper()
	s, err := firmwaresim.StartPty(firmwaresim.Config{BaudRate: host.DefaultBaudRate})
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Path
}

// run --backend chip gives the same trace on the emulator and through the firmware
// simulator on a pty.
func TestRunChipOnEmulatorAndBoard(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"net.json":   ceNet,
		"in.csv":     "a,b,context\n0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,0\n0.7,0.8,1\n0.9,1.0,0\n1.1,1.2,1\n",
		"labels.csv": "label,context\n0,0\n2,1\n1,0\n2,1\n1,0\n0,1\n",
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	path := startSim(t)
	var traces []string
	for _, dev := range []string{"emu", "serial://" + path} {
		out, err := execute(t, "run", "--net", p("net.json"), "--input", p("in.csv"), "--target", p("labels.csv"), "--trace", p("t.csv"), "--vcd", p("t.vcd"), "--device", dev)
		if err != nil {
			t.Fatal(err)
		}
		where := "the emulator"
		if dev != "emu" {
			where = dev + " (glemu firmware-sim 1)"
		}
		if want := "ran tiny-ce for 3 steps on 2 context(s) on the chip, " + where + "; trace in " + p("t.csv") + ", waveforms in " + p("t.vcd") + "\n"; out != want {
			t.Errorf("output %q, want %q", out, want)
		}
		b, err := os.ReadFile(p("t.csv"))
		if err != nil {
			t.Fatal(err)
		}
		traces = append(traces, string(b))
	}
	if traces[0] != traces[1] {
		t.Error("the emulator's and the board's traces differ")
	}
	if !strings.Contains(traces[0], "\n2,-1,out,1,2,-1,") || !strings.Contains(traces[0], "\n2,1,e_breve,1,2,-1,") {
		t.Errorf("trace lacks outputs or probes:\n%.400s", traces[0])
	}
}

func TestBoardPing(t *testing.T) {
	path := startSim(t)
	out, err := execute(t, "board", "ping", path, "--count", "3")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(path) + `: glemu firmware-sim 1
chip:   4×4 mesh of 256-neuron tiles with 256 inputs per neuron, up to 256 contexts
limits: 1024-byte payloads, 8192-byte receive buffer of 16 frames, images up to 16777216 bytes, staging up to 67108864 bytes
HELLO in [0-9.]+[µm]?s; 3 round trips: min [0-9.]+[µm]?s, median [0-9.]+[µm]?s, max [0-9.]+[µm]?s
$`)
	if !re.MatchString(out) {
		t.Errorf("ping printed\n%s", out)
	}
}

func TestBoardErrors(t *testing.T) {
	usage := func(err error) bool { return errors.As(err, new(usageError)) }
	cases := []struct {
		args    []string
		want    string
		isUsage bool
	}{
		{[]string{"board", "ping"}, "ping takes one device, such as serial:///dev/ttyUSB0 or /dev/pts/3; got 0 arguments", true},
		{[]string{"board", "ping", "/dev/ttyNOPE0"}, "host: open /dev/ttyNOPE0: host: no board: no such serial port; check the cable and the path (the board list shows the candidates)", false},
		{[]string{"board", "ping", "emu", "--count", "0"}, "--count 0: time at least 1 round trip", true},
		{[]string{"board", "list", "--usb", "0403"}, `--usb: host: USB ID "0403": want VID:PID in hexadecimal, such as 0403:6001`, true},
		{[]string{"firmware-sim"}, "firmware-sim needs --pty: it serves on a new pseudo-terminal (the only transport so far)", true},
		{[]string{"firmware-sim", "--pty", "--baud", "-1"}, "--baud -1: give a positive rate, or 0 not to pace", true},
		{[]string{"firmware-sim", "--pty", "--mesh", "4"}, `--mesh "4": give ROWSxCOLS, e.g. 4x4`, true},
	}
	for _, c := range cases {
		_, err := execute(t, c.args...)
		if err == nil || err.Error() != c.want || usage(err) != c.isUsage {
			t.Errorf("glemu %s:\n got %v (usage error: %v)\nwant %s (usage error: %v)", strings.Join(c.args, " "), err, err != nil && usage(err), c.want, c.isUsage)
		}
	}
	out, err := execute(t, "board", "list", "--usb", "ffff:fffe")
	if err != nil || out != "no serial port behind a known USB bridge (ffff:fffe); a firmware simulator's pty is not listed: give its path\n" {
		t.Errorf("board list: %q, %v", out, err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// firmware-sim --pty prints its device path, serves a host there, and stops when its
// context ends.
func TestFirmwareSimCommand(t *testing.T) {
	execute(t) // reset the flags
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	rootCmd.SetArgs([]string{"firmware-sim", "--pty", "--baud", "1000000", "--mesh", "2x2"})
	for _, c := range rootCmd.Commands() {
		c.SetContext(ctx) // an earlier Execute left its Background context there
	}
	done := make(chan error, 1)
	go func() { done <- rootCmd.ExecuteContext(ctx) }()
	var path string
	for deadline := time.Now().Add(10 * time.Second); path == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		path = strings.TrimSpace(out.String())
	}
	if !strings.HasPrefix(path, "/dev/") {
		cancel()
		t.Fatalf("firmware-sim printed %q, %q", out.String(), errOut.String())
	}
	d, err := host.Open(ctx, "serial://"+path+"?baud=1000000")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if c := d.Info().Chip; c == nil || c.Rows != 2 || c.Cols != 2 {
		t.Errorf("the simulated board's chip: %+v", c)
	}
	if err := d.Ping(ctx); err != nil {
		t.Error(err)
	}
	d.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("firmware-sim ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("firmware-sim did not stop with its context")
	}
	if want := "firmware simulator serving on " + path + " (1000000 baud; chip: 2×2 mesh of 256-neuron tiles with 256 inputs per neuron, up to 256 contexts); use --device serial://" + path + "?baud=1000000; Ctrl-C stops it\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
	for _, c := range rootCmd.Commands() {
		c.SetContext(context.Background())
	}
}
