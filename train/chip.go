package train

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/compiler"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/host/command"
	"github.com/glemu/glemu/network"
)

// ChipOptions configure the chip backend.
type ChipOptions struct {
	// Context bounds every device operation (nil: context.Background()).
	Context context.Context
	// Device is the device host.Open opens: "emu" or "" (the in-process emulator),
	// "serial:///dev/ttyUSB0?baud=…" or a device path (a board, or glemu firmware-sim's
	// pty).
	Device string
	// Samples are the compiler's ranging inputs and targets (compiler.Options.Samples);
	// nil: the compiler's own.
	Samples *compiler.Samples
	// Workers steps the emulator's tiles and contexts on this many goroutines
	// (host.WithWorkers; 0 or 1: one). Results do not depend on it. Only the emulator
	// has workers: with another device it must be 0 or 1.
	Workers int
	// ErrorBus is how the chip puts errors on its error bus (chip.Config.ErrorBus):
	// the zero value is the block floating-point bus, the default;
	// chip.ErrorBusStatic the chip with one scale per population, for comparison.
	ErrorBus chip.ErrorBusMode
}

// Chip is the chip as a Backend: the network compiled (package compiler) for C
// contexts and loaded onto a host.Device, stepped through it. It implements
// Checkpointer (a device snapshot) and WindowRunner (a whole sample window in one
// Device.Run, one round trip on a board).
//
// Its learning rate is the chip's learning-rate registers: SetLR writes them
// (Device.SetLearningRegisters) as the compiler would have set them for that rate,
// for weights and biases lr, for τm lr/dt (Adam) or lr/dt² (SGD, momentum).
type Chip struct {
	// Device is the device the program runs on; Compiled what the compiler made of the
	// network (program, manifest with the formats and scales, report) when NewChip
	// built it. After Restore the device runs the snapshot's program, which
	// Device.Program returns (its scales may differ if the compiler has changed since).
	Device   *host.Device
	Compiled *compiler.Result

	ctx       context.Context
	net       *network.Network
	contexts  int
	inW, outW int
	lr        float64
	learning  bool
	ce        bool // cross-entropy: one-hot targets go as labels
	err       error

	out    []float64
	src    stepSource
	sinkFn host.Sink
	win    windowSource
}

var (
	_ Checkpointer = (*Chip)(nil)
	_ WindowRunner = (*Chip)(nil)
)

// NewChip compiles net with params (nil: network.InitParams) for contexts contexts
// and the chip of opt.Device (its own chip for a board, chip.DefaultConfig for the
// emulator), opens the device and loads the program, with the learning registers the
// network's optimizer and learning rate give and learning on.
func NewChip(net *network.Network, params *network.Params, contexts int, opt ChipOptions) (*Chip, error) {
	ctx := opt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if contexts < 1 {
		return nil, fmt.Errorf("train: %d contexts; run at least 1", contexts)
	}
	if opt.Workers < 0 {
		return nil, fmt.Errorf("train: %d workers; give 1 or more (or 0 for one)", opt.Workers)
	}
	if opt.Workers > 1 && opt.Device != "" && opt.Device != host.EmulatorName {
		return nil, fmt.Errorf("train: %d workers for device %q: only the emulator (device %q) steps on workers; leave workers out for a board", opt.Workers, opt.Device, host.EmulatorName)
	}
	dev, err := host.Open(ctx, opt.Device, host.WithWorkers(opt.Workers))
	if err != nil {
		return nil, err
	}
	cfg := chip.DefaultConfig()
	if c := dev.Info().Chip; c != nil {
		cfg = BoardConfig(*c)
	}
	cfg.ErrorBus = opt.ErrorBus
	compiled := net
	if params != nil {
		// The compiler takes τm and τr from the network's populations, not from
		// Options.Params: give it a network whose file holds every parameter.
		if compiled, err = WithParams(net, params); err != nil {
			dev.Close()
			return nil, err
		}
	}
	res, err := compiler.Compile(compiled, compiler.Options{Config: cfg, Contexts: contexts, Params: params, Samples: opt.Samples})
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("train: compiling %q for the chip: %w", net.Name, err)
	}
	if err := dev.Load(ctx, res.Program); err != nil {
		dev.Close()
		return nil, err
	}
	c := &Chip{Device: dev, Compiled: res, ctx: ctx, net: net, contexts: contexts,
		inW: net.InputWidth(), outW: net.OutputWidth(), lr: net.Learning.Optimizer.LR,
		learning: dev.Learning(), ce: net.Loss.Kind == network.LossCrossEntropy}
	c.src = stepSource{c: c}
	c.sinkFn = func(_ int, o *host.Output) error {
		c.out = append(c.out[:0], o.Values...)
		return nil
	}
	c.win.c = c
	c.out = make([]float64, contexts*c.outW)
	return c, nil
}

// BoardConfig is the chip.Config of a board's chip description (host.Info.Chip): the
// default chip with the board's mesh, tile sizes, contexts, LUT segments and formats.
func BoardConfig(c host.Chip) chip.Config {
	cfg := chip.DefaultConfig()
	cfg.Rows, cfg.Cols, cfg.NeuronsPerTile, cfg.InputsPerNeuron = c.Rows, c.Cols, c.NeuronsPerTile, c.InputsPerNeuron
	cfg.MaxContexts, cfg.LUTSegments = c.MaxContexts, c.LUTSegments
	cfg.Formats = append(fixedpoint.Table(nil), c.Formats...)
	for i, v := range cfg.Formats {
		if ref, ok := chip.DefaultConfig().Formats.Lookup(v.Name); ok {
			cfg.Formats[i].Doc = ref.Doc
		}
	}
	return cfg
}

// Close closes the device.
func (c *Chip) Close() error { return c.Device.Close() }

// stepSource feeds one step: the input, and the target as labels (one-hot rows of a
// cross-entropy network), values, or none.
type stepSource struct {
	c    *Chip
	x, y []float64
}

func (s *stepSource) Next(_ int, in *host.Input) error {
	copy(in.X, s.x)
	switch {
	case s.y == nil:
		in.Target = host.TargetNone
	case s.c.ce && oneHot(s.y, s.c.outW, in.Labels):
		in.Target = host.TargetLabels
	default:
		copy(in.Y, s.y)
		in.Target = host.TargetValues
	}
	return nil
}

// oneHot writes the class of every row of y (rows of w values) into labels and
// reports whether every row is one-hot (a single 1, zeros elsewhere).
func oneHot(y []float64, w int, labels []int) bool {
	for ctx := range labels {
		row := y[ctx*w : (ctx+1)*w]
		l := -1
		for i, v := range row {
			switch {
			case v == 1 && l < 0:
				l = i
			case v != 0:
				return false
			}
		}
		if l < 0 {
			return false
		}
		labels[ctx] = l
	}
	return true
}

// Step runs one step on the device (one Device.Run of one step).
func (c *Chip) Step(x, y []float64) error {
	if len(x) != c.contexts*c.inW {
		return fmt.Errorf("train: chip step: %d inputs; want %d contexts × %d", len(x), c.contexts, c.inW)
	}
	if y != nil && len(y) != c.contexts*c.outW {
		return fmt.Errorf("train: chip step: %d targets; want %d contexts × %d", len(y), c.contexts, c.outW)
	}
	if err := c.sync(); err != nil {
		return err
	}
	c.src.x, c.src.y = x, y
	return c.Device.Run(c.ctx, 1, &c.src, c.sinkFn)
}

// sync sends the learning switch if it changed; it is sent lazily so that a loop
// which sets it every step costs no round trip.
func (c *Chip) sync() error {
	if c.err != nil {
		return c.err
	}
	if c.Device.Learning() != c.learning {
		if err := c.Device.SetLearning(c.ctx, c.learning); err != nil {
			return err
		}
	}
	return nil
}

// Output is the output reported at the last step (C × output width).
func (c *Chip) Output() []float64 { return c.out }

// Contexts is C.
func (c *Chip) Contexts() int { return c.contexts }

// SetLearning switches learning on or off (sent to the device with the next step).
func (c *Chip) SetLearning(on bool) { c.learning = on }

// LR is the learning rate the chip's registers hold for weights (as last set).
func (c *Chip) LR() float64 { return c.lr }

// SetLR writes the learning-rate registers for lr. An error (a rate the lr register
// cannot hold, a device that fails) is returned by the next Step or window.
func (c *Chip) SetLR(lr float64) {
	if lr == c.lr {
		return
	}
	if err := c.setLR(lr); err != nil && c.err == nil {
		c.err = err
	}
}

func (c *Chip) setLR(lr float64) error {
	l, err := c.Device.LearningRegisters(c.ctx)
	if err != nil {
		return err
	}
	cfg := c.Compiled.Program.Config
	v, ok := cfg.Formats.Lookup("lr")
	if !ok {
		return errors.New("train: the chip's format table has no lr register; compile for a chip config whose table declares lr (fixedpoint.DefaultTable does)")
	}
	dt := c.net.Dt
	tauLR := lr / (dt * dt)
	if l.Optimizer == chip.OptAdam {
		tauLR = lr / dt
	}
	for _, k := range []struct {
		p  *chip.ParamLearning
		lr float64
	}{{&l.Weights, lr}, {&l.Biases, lr}, {&l.TauM, tauLR}} {
		if !k.p.On {
			continue
		}
		r, err := chip.MakeReg(k.lr, v)
		if err != nil || (k.lr != 0 && r.Raw == 0) {
			return fmt.Errorf("train: learning rate %g does not fit the chip's lr register (%s); keep it within the register's range", lr, v.Format)
		}
		k.p.LR = r
	}
	if err := c.Device.SetLearningRegisters(c.ctx, l); err != nil {
		return err
	}
	c.lr = lr
	return nil
}

// Params reads the learned parameters back from the device, as floats: every
// projection's weights (the weight memory), the biases and τm, τr.
func (c *Chip) Params() *network.Params {
	p, err := c.ReadParams()
	if err != nil {
		if c.err == nil {
			c.err = err
		}
		return nil
	}
	return p
}

// ReadParams is Params with its error.
func (c *Chip) ReadParams() (*network.Params, error) {
	n := c.net
	p := &network.Params{Weights: make([][]float64, len(n.Projections)), Biases: make([][]float64, len(n.Populations)),
		TauM: make([][]float64, len(n.Populations)), TauR: make([][]float64, len(n.Populations))}
	var err error
	for i := range n.Projections {
		if p.Weights[i], err = c.Device.Weights(c.ctx, i, nil); err != nil {
			return nil, err
		}
	}
	for q, pop := range n.Populations {
		if pop.Input {
			continue
		}
		if pop.Bias {
			if p.Biases[q], err = c.Device.State(c.ctx, q, "b", nil); err != nil {
				return nil, err
			}
		}
		if p.TauM[q], err = c.Device.State(c.ctx, q, "tau_m", nil); err != nil {
			return nil, err
		}
		if p.TauR[q], err = c.Device.State(c.ctx, q, "tau_r", nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Chip checkpoint layout (little endian): "GLEMUCHP", u32 version (1), f64 learning
// rate, u8 learning on, then the device's snapshot (host.Device.Snapshot: program,
// parameters, state, learning registers, counters) to the end.
var chipCheckpointMagic = []byte("GLEMUCHP")

const chipCheckpointVersion = 1

// AppendCheckpoint appends the chip's whole state (a device snapshot) to dst.
func (c *Chip) AppendCheckpoint(dst []byte) ([]byte, error) {
	if err := c.sync(); err != nil {
		return dst, err
	}
	snap, err := c.Device.Snapshot(c.ctx)
	if err != nil {
		return dst, err
	}
	dst = append(dst, chipCheckpointMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, chipCheckpointVersion)
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(c.lr))
	on := byte(0)
	if c.learning {
		on = 1
	}
	dst = append(dst, on)
	return append(dst, snap...), nil
}

// Restore loads a state AppendCheckpoint wrote onto the device.
func (c *Chip) Restore(buf []byte) error {
	const head = 8 + 4 + 8 + 1
	if len(buf) < head || string(buf[:8]) != string(chipCheckpointMagic) {
		return fmt.Errorf("%w: the backend state is not the chip's (wrong magic bytes); resume it with the backend it was trained on", ErrCheckpoint)
	}
	if v := binary.LittleEndian.Uint32(buf[8:]); v != chipCheckpointVersion {
		return fmt.Errorf("%w: chip state version %d, this glemu reads %d; resume it with the glemu that wrote it", ErrCheckpoint, v, chipCheckpointVersion)
	}
	lr := math.Float64frombits(binary.LittleEndian.Uint64(buf[12:]))
	on := buf[20] == 1
	snap := buf[head:]
	if err := c.Device.Restore(c.ctx, snap); err != nil {
		return err
	}
	if sh, want := c.Device.Shape(), (command.Shape{Contexts: c.contexts, InputWidth: c.inW, OutputWidth: c.outW}); sh != want {
		return fmt.Errorf("%w: the chip state runs %d contexts of %d inputs and %d outputs, this run %d of %d and %d", ErrCheckpoint,
			sh.Contexts, sh.InputWidth, sh.OutputWidth, want.Contexts, want.InputWidth, want.OutputWidth)
	}
	c.lr, c.learning, c.err = lr, on, nil
	return c.sync()
}

// Window is a stretch of steps run at once (WindowRunner): a sample window of a
// classification pass.
type Window struct {
	Steps int
	// X holds Steps × C × input width inputs, step-major.
	X []float64
	// Labels, if not nil, holds one class per context: the target of every step (a
	// one-hot target; cross-entropy). Y, if not nil, holds Steps × C × output width
	// target values instead (a teacher's outputs). Both nil: no target.
	Labels []int
	Y      []float64
	// Out receives Steps × C × output width outputs.
	Out []float64
}

// WindowRunner is a Backend that runs a whole Window in one call, which on a board
// costs one round trip instead of one per step. RunWindow must leave the backend as
// Steps calls of Step with the same inputs and one-hot targets would.
type WindowRunner interface {
	RunWindow(w *Window) error
}

type windowSource struct {
	c *Chip
	w *Window
}

func (s *windowSource) Next(k int, in *host.Input) error {
	n := len(in.X)
	copy(in.X, s.w.X[k*n:(k+1)*n])
	switch {
	case s.w.Y != nil:
		m := len(in.Y)
		copy(in.Y, s.w.Y[k*m:(k+1)*m])
		in.Target = host.TargetValues
	case s.w.Labels == nil:
		in.Target = host.TargetNone
	case k == 0:
		copy(in.Labels, s.w.Labels)
		in.Target = host.TargetLabels
	default:
		in.Target = host.TargetHold
	}
	return nil
}

// RunWindow runs w in one Device.Run.
func (c *Chip) RunWindow(w *Window) error {
	nx, ny := c.contexts*c.inW, c.contexts*c.outW
	switch {
	case w.Steps < 1:
		return fmt.Errorf("train: chip window of %d steps; run at least 1", w.Steps)
	case len(w.X) != w.Steps*nx:
		return fmt.Errorf("train: chip window: %d inputs; want %d steps × %d", len(w.X), w.Steps, nx)
	case w.Labels != nil && len(w.Labels) != c.contexts:
		return fmt.Errorf("train: chip window: %d labels; want one per context (%d)", len(w.Labels), c.contexts)
	case w.Y != nil && (w.Labels != nil || len(w.Y) != w.Steps*ny):
		return fmt.Errorf("train: chip window: %d targets (and %d labels); want %d steps × %d targets or labels, not both", len(w.Y), len(w.Labels), w.Steps, ny)
	case len(w.Out) != w.Steps*ny:
		return fmt.Errorf("train: chip window: room for %d outputs; want %d steps × %d", len(w.Out), w.Steps, ny)
	}
	if err := c.sync(); err != nil {
		return err
	}
	c.win.w = w
	err := c.Device.Run(c.ctx, w.Steps, &c.win, func(k int, o *host.Output) error {
		copy(w.Out[k*ny:(k+1)*ny], o.Values)
		return nil
	})
	c.win.w = nil
	if err != nil {
		return err
	}
	c.out = append(c.out[:0], w.Out[(w.Steps-1)*ny:]...)
	return nil
}

// ChipSummary is what a chip run reports at its end: the health report (what
// saturated or wrapped where, and what to change) and the cost model's figures per
// step, with learning on and off.
type ChipSummary struct {
	Health              string
	Learning, Inference chip.Cost
}

// Summary reads the health report and the cost per step with learning on and off
// (it leaves learning as it was).
func (c *Chip) Summary() (*ChipSummary, error) {
	s := &ChipSummary{}
	var err error
	if s.Health, err = c.Device.Health(c.ctx); err != nil {
		return nil, err
	}
	was := c.Device.Learning()
	for _, k := range []struct {
		on   bool
		cost *chip.Cost
	}{{true, &s.Learning}, {false, &s.Inference}} {
		if err := c.Device.SetLearning(c.ctx, k.on); err != nil {
			return nil, err
		}
		if *k.cost, err = c.Device.Cost(c.ctx); err != nil {
			return nil, err
		}
	}
	if err := c.Device.SetLearning(c.ctx, was); err != nil {
		return nil, err
	}
	return s, nil
}
