package host

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/image"
	"github.com/glemu/glemu/fixedpoint"
	"github.com/glemu/glemu/host/command"
	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/host/proto"
)

// Chip is the structure of a device's chip: what a program must fit.
type Chip = command.Chip

// EmulatorName is the device name of the in-process emulator, the default.
const EmulatorName = "emu"

// backend is what a Device drives: the in-process emulator or a board over a link. It
// works in raw values; the Device quantizes, dequantizes and keeps the program.
type backend interface {
	load(ctx context.Context, p *chip.Program, img []byte) (command.Shape, error)
	restore(ctx context.Context, snap []byte) (command.Shape, error)
	reset(ctx context.Context, unload bool) error
	readRegs(ctx context.Context, regs ...command.Reg) ([]command.RegValue, error)
	writeReg(ctx context.Context, v command.RegValue) error
	readMem(ctx context.Context, m command.Mem, enc command.Encoding) (command.Values, error)
	writeMem(ctx context.Context, m command.Mem, enc command.Encoding, v command.Values) error
	setProbes(ctx context.Context, raw bool, probes []chip.Probe) ([]command.ProbeInfo, error)
	readProbes(ctx context.Context, raw bool, vals []float64, raws []int64) (int64, error)
	counters(ctx context.Context, reset bool) (chip.Counters, error)
	setLearning(ctx context.Context, on bool) (bool, error)
	snapshot(ctx context.Context) ([]byte, error)
	run(ctx context.Context, j *runJob) error
	echo(ctx context.Context, payload []byte) ([]byte, error)
	stats() Stats
	close() error
}

// Info describes a device.
type Info struct {
	// Backend is "emu" or "serial"; Name what the device was opened as.
	Backend, Name string
	// Firmware names the board's firmware ("glemu emulator" in process).
	Firmware string
	// Chip is the board's chip; for the emulator nil (it runs any valid program) or
	// the chip WithChip named.
	Chip *Chip
	// MaxImage and MaxStage are the largest image and staged argument or result the
	// board holds, in bytes (0: no limit).
	MaxImage, MaxStage int
	// MaxPayload, RxBuffer and Window are the board's link limits (0 in process).
	MaxPayload, RxBuffer, Window int
}

// Stats counts what a device did.
type Stats struct {
	// Requests counts the commands sent to the board (or executed by the emulator),
	// per message type, the generic REQUEST's ECHO, FETCH and STAGE included.
	Requests map[proto.Type]int64
	// Link is the link's counters (zero in process).
	Link link.Stats
	// Host counts the saturations of inputs and targets this host quantized.
	Host fixedpoint.Counters
}

// Device is a chip to load programs onto and run: the in-process emulator or a board
// on a serial port, behind one API. Its methods may be called from several goroutines;
// they run one at a time.
type Device struct {
	mu   sync.Mutex
	b    backend
	info Info

	prog     *chip.Program // loaded, nil if none
	lay      command.Layout
	q        *quant
	steps    uint64 // the chip's step count as last known
	learning bool
	probes   *probeOut
	hostCnt  fixedpoint.Counters // saturations of the host's quantization
	closed   bool
}

type options struct {
	expect  *Chip
	link    link.Config
	workers int
}

// Option configures Open and Dial.
type Option func(*options)

// WithChip makes Open refuse a board whose chip is not cfg's (command.Chip.Same), with
// an error that names the difference; the emulator then stands in for such a board and
// refuses programs that do not fit it.
func WithChip(cfg chip.Config) Option {
	return func(o *options) {
		c := command.ChipOf(cfg)
		o.expect = &c
	}
}

// WithLink sets the link's limits and retransmission settings for a board (its chip
// description and check are the Device's own).
func WithLink(cfg link.Config) Option { return func(o *options) { o.link = cfg } }

// WithWorkers steps the emulator's tiles on n goroutines (results do not depend on n).
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// Open opens the device called name:
//
//   - "emu" (or ""): the chip emulator, in process;
//   - "serial:///dev/ttyUSB0?baud=3000000": a board on a serial port (DefaultBaudRate
//     without baud=);
//   - "/dev/pts/3": a serial device by its path, such as the firmware simulator's pty,
//     at DefaultBaudRate.
//
// A board is identified by its HELLO: Open fails with ErrTimeout if nothing answers,
// ErrIncompatible if what answers speaks another command set or has another chip than
// WithChip expects, ErrNoBoard if there is no such port.
func Open(ctx context.Context, name string, opts ...Option) (*Device, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case name == "" || name == EmulatorName:
		return newEmulator(o), nil
	case strings.HasPrefix(name, "serial:"), strings.HasPrefix(name, "/"):
		path, baud := name, DefaultBaudRate
		if strings.HasPrefix(name, "serial:") {
			var err error
			if path, baud, err = ParseSerialURL(name); err != nil {
				return nil, err
			}
		}
		port, err := OpenSerial(path, baud, 0)
		if err != nil {
			return nil, err
		}
		if o.link.MinRTO == 0 {
			o.link.MinRTO = MinRTO(baud)
		}
		return dial(ctx, port, name, path, o)
	}
	return nil, fmt.Errorf("host: device %q: want emu, serial:///PATH[?baud=RATE] or a device path such as /dev/ttyUSB0", name)
}

// MinRTO is the shortest retransmission timeout Open gives a link at baudRate: twice
// the time a 16 KiB receive buffer's worth of frames takes on the line (at least 20 ms).
// Frames written to a serial port wait in the operating system's and the USB bridge's
// buffers before the line carries them, so a round trip grows with the data in flight;
// a shorter timeout would resend frames that are only queued. Lost frames are resent
// sooner anyway: as soon as a later frame is acknowledged.
func MinRTO(baudRate int) time.Duration {
	const buffer = 16 << 10
	return max(20*time.Millisecond, time.Duration(2*buffer*10*int64(time.Second)/int64(max(baudRate, 1))))
}

// Dial opens a board on port, any byte stream (a serial port, a pty, a test's fault
// injector), which the Device owns from now on. name names it in errors.
func Dial(ctx context.Context, port io.ReadWriter, name string, opts ...Option) (*Device, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	return dial(ctx, port, name, name, o)
}

func newDevice(b backend, info Info) *Device { return &Device{b: b, info: info} }

// Info describes the device.
func (d *Device) Info() Info { return d.info }

// Close closes the device (the port, or the emulator's workers). It is safe to call
// more than once.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.b.close()
}

// lock takes the device for one operation.
func (d *Device) lock() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// needProgram returns ErrNoProgram if no program is loaded. Called with d.mu held.
func (d *Device) needProgram() error {
	if d.prog == nil {
		return ErrNoProgram
	}
	return nil
}

// Load loads program p (which must pass p.Validate()) onto the chip, replacing what it
// held: every state starts at zero, learning is on if the program learns, no probes. A
// board receives it as its image (chip/image), in chunks verified by the image's CRC.
func (d *Device) Load(ctx context.Context, p *chip.Program) error {
	img, err := image.AppendImage(nil, p)
	if err != nil {
		return fmt.Errorf("host: load: %w", err)
	}
	return d.load(ctx, p, img)
}

// LoadImage loads the program in img, an image as chip/image writes it.
func (d *Device) LoadImage(ctx context.Context, img []byte) error {
	p, n, err := image.Parse(img)
	if err != nil {
		return fmt.Errorf("host: load: %w", err)
	}
	return d.load(ctx, p, img[:n])
}

func (d *Device) load(ctx context.Context, p *chip.Program, img []byte) error {
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	shape, err := d.b.load(ctx, p, img)
	if err != nil {
		return d.fail("load", err)
	}
	return d.setProgram(ctx, p, shape)
}

// setProgram takes p as the loaded program. Called with d.mu held.
func (d *Device) setProgram(ctx context.Context, p *chip.Program, shape command.Shape) error {
	d.prog, d.probes = nil, nil
	lay, err := command.LayoutOf(p)
	if err != nil {
		return err
	}
	if lay.Shape != shape {
		return fmt.Errorf("host: the board reports a program of %+v, the host loaded one of %+v; update the board firmware", shape, lay.Shape)
	}
	regs, err := d.b.readRegs(ctx, command.RegSteps, command.RegLearning)
	if err != nil {
		return d.fail("load", err)
	}
	d.prog, d.lay, d.q = p, lay, newQuant(p, lay, &d.hostCnt)
	d.steps, d.learning = regs[0].Steps, regs[1].Learning
	return nil
}

// fail wraps a backend error of operation op.
func (d *Device) fail(op string, err error) error {
	if strings.HasPrefix(err.Error(), "host: ") {
		return err
	}
	return fmt.Errorf("host: %s: %w", op, err)
}

// Program returns the loaded program (as loaded; Weights and State read what it has
// learned since), nil if none. It must not be modified.
func (d *Device) Program() *chip.Program {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.prog
}

// Shape returns the loaded program's contexts, input and output widths.
func (d *Device) Shape() command.Shape {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lay.Shape
}

// Steps returns the chip's step count after the last completed operation.
func (d *Device) Steps() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.steps
}

// Reset puts the loaded program back to its start (as Load left it: every state and
// counter zero, the step count 0, probes off).
func (d *Device) Reset(ctx context.Context) error {
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	if err := d.needProgram(); err != nil {
		return err
	}
	if err := d.b.reset(ctx, false); err != nil {
		return d.fail("reset", err)
	}
	return d.setProgram(ctx, d.prog, d.lay.Shape)
}

// Unload forgets the loaded program.
func (d *Device) Unload(ctx context.Context) error {
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	if err := d.b.reset(ctx, true); err != nil {
		return d.fail("unload", err)
	}
	d.prog, d.probes = nil, nil
	return nil
}

// SetLearning switches learning on or off. It stays off for a program that learns
// nothing; Learning reports the result.
func (d *Device) SetLearning(ctx context.Context, on bool) error {
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	now, err := d.b.setLearning(ctx, on)
	if err != nil {
		return d.fail("set learning", err)
	}
	d.learning = now
	return nil
}

// Learning reports whether learning is on.
func (d *Device) Learning() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.learning
}

// LearningRegisters reads the learning registers (rates, ε, decays, which kinds learn).
func (d *Device) LearningRegisters(ctx context.Context) (chip.Learning, error) {
	v, err := d.readReg(ctx, "read the learning registers", command.RegLearningRegs)
	return v.Learn, err
}

// SetLearningRegisters writes the learning registers between runs (a schedule changing
// the learning rate); the optimizer kind cannot change.
func (d *Device) SetLearningRegisters(ctx context.Context, l chip.Learning) error {
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	if err := d.b.writeReg(ctx, command.RegValue{Reg: command.RegLearningRegs, Learn: l}); err != nil {
		return d.fail("set the learning registers", err)
	}
	return nil
}

func (d *Device) readReg(ctx context.Context, op string, g command.Reg) (command.RegValue, error) {
	if err := d.lock(); err != nil {
		return command.RegValue{}, err
	}
	defer d.mu.Unlock()
	v, err := d.b.readRegs(ctx, g)
	if err != nil {
		return command.RegValue{}, d.fail(op, err)
	}
	return v[0], nil
}

// Health returns the chip's health report: what saturated or wrapped where, and what to
// change (chip.Chip.Health).
func (d *Device) Health(ctx context.Context) (string, error) {
	v, err := d.readReg(ctx, "read the health report", command.RegHealth)
	return v.Text, err
}

// Cost returns the chip's cost per step as it is now set (chip.Chip.Cost).
func (d *Device) Cost(ctx context.Context) (chip.Cost, error) {
	v, err := d.readReg(ctx, "read the cost", command.RegCost)
	return v.Cost, err
}

// Counters returns the chip's counters. Counters.Host adds the saturations this host
// counted when it quantized inputs and targets (since the device was opened).
func (d *Device) Counters(ctx context.Context) (chip.Counters, error) { return d.counters(ctx, false) }

// ResetCounters sets every counter (not the step count) to zero, the host's too.
func (d *Device) ResetCounters(ctx context.Context) error {
	_, err := d.counters(ctx, true)
	return err
}

func (d *Device) counters(ctx context.Context, reset bool) (chip.Counters, error) {
	if err := d.lock(); err != nil {
		return chip.Counters{}, err
	}
	defer d.mu.Unlock()
	c, err := d.b.counters(ctx, reset)
	if err != nil {
		return chip.Counters{}, d.fail("read the counters", err)
	}
	c.Host.Saturations += d.hostCnt.Saturations
	c.Host.Wraps += d.hostCnt.Wraps
	if reset {
		d.hostCnt = fixedpoint.Counters{}
	}
	d.steps = c.Steps
	return c, nil
}

// Weights reads projection p's weights (the weight memory, dequantized; target ×
// source, row-major) into dst.
func (d *Device) Weights(ctx context.Context, p int, dst []float64) ([]float64, error) {
	v, err := d.readMem(ctx, command.Mem{Space: command.SpaceWeights, Index: p}, command.EncFloat)
	return fill(dst, v.Float), err
}

// WeightsRaw reads projection p's weight memory as raw w_mem integers into dst.
func (d *Device) WeightsRaw(ctx context.Context, p int, dst []int64) ([]int64, error) {
	v, err := d.readMem(ctx, command.Mem{Space: command.SpaceWeights, Index: p}, command.EncRaw)
	return fillRaw(dst, v.Raw), err
}

// CrossbarRaw reads what projection p's crossbar cells hold (format w).
func (d *Device) CrossbarRaw(ctx context.Context, p int, dst []int64) ([]int64, error) {
	v, err := d.readMem(ctx, command.Mem{Space: command.SpaceCrossbar, Index: p}, command.EncRaw)
	return fillRaw(dst, v.Raw), err
}

// SetWeights writes projection p's weights, rounded half-even into w_mem (chip.Chip.SetWeights).
func (d *Device) SetWeights(ctx context.Context, p int, w []float64) error {
	return d.writeMem(ctx, command.Mem{Space: command.SpaceWeights, Index: p}, command.EncFloat, command.Values{Float: w})
}

// SetWeightsRaw writes projection p's weight memory from raw w_mem integers.
func (d *Device) SetWeightsRaw(ctx context.Context, p int, w []int64) error {
	return d.writeMem(ctx, command.Mem{Space: command.SpaceWeights, Index: p}, command.EncRaw, command.Values{Raw: w})
}

// State reads variable name (one of chip.StateVars) of population pop, dequantized, as
// chip.Chip.State does.
func (d *Device) State(ctx context.Context, pop int, name string, dst []float64) ([]float64, error) {
	v, err := d.readMem(ctx, command.Mem{Space: command.SpaceState, Index: pop, Var: name}, command.EncFloat)
	return fill(dst, v.Float), err
}

// StateRaw reads variable name of population pop as raw integers.
func (d *Device) StateRaw(ctx context.Context, pop int, name string, dst []int64) ([]int64, error) {
	v, err := d.readMem(ctx, command.Mem{Space: command.SpaceState, Index: pop, Var: name}, command.EncRaw)
	return fillRaw(dst, v.Raw), err
}

// SetState writes variable name of population pop from values (chip.Chip.SetState).
func (d *Device) SetState(ctx context.Context, pop int, name string, src []float64) error {
	return d.writeMem(ctx, command.Mem{Space: command.SpaceState, Index: pop, Var: name}, command.EncFloat, command.Values{Float: src})
}

// SetStateRaw writes variable name of population pop from raw integers.
func (d *Device) SetStateRaw(ctx context.Context, pop int, name string, src []int64) error {
	return d.writeMem(ctx, command.Mem{Space: command.SpaceState, Index: pop, Var: name}, command.EncRaw, command.Values{Raw: src})
}

// Output reads the output reported at the last step, dequantized (C × OutputWidth).
func (d *Device) Output(ctx context.Context, dst []float64) ([]float64, error) {
	v, err := d.readMem(ctx, command.Mem{Space: command.SpaceOutput}, command.EncFloat)
	return fill(dst, v.Float), err
}

func fill(dst, src []float64) []float64 {
	if src == nil {
		return dst
	}
	return append(dst[:0], src...)
}

func fillRaw(dst, src []int64) []int64 {
	if src == nil {
		return dst
	}
	return append(dst[:0], src...)
}

func (d *Device) readMem(ctx context.Context, m command.Mem, enc command.Encoding) (command.Values, error) {
	if err := d.lock(); err != nil {
		return command.Values{}, err
	}
	defer d.mu.Unlock()
	v, err := d.b.readMem(ctx, m, enc)
	if err != nil {
		return command.Values{}, d.fail("read "+m.String(), err)
	}
	return v, nil
}

func (d *Device) writeMem(ctx context.Context, m command.Mem, enc command.Encoding, v command.Values) error {
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	if err := d.b.writeMem(ctx, m, enc, v); err != nil {
		return d.fail("write "+m.String(), err)
	}
	return nil
}

// Snapshot returns a snapshot of the whole chip (chip.Chip.Snapshot): program,
// parameters, state, learning registers, counters. Restore loads it back, on this
// device or another, and the run continues bit for bit.
func (d *Device) Snapshot(ctx context.Context) ([]byte, error) {
	if err := d.lock(); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	snap, err := d.b.snapshot(ctx)
	if err != nil {
		return nil, d.fail("snapshot", err)
	}
	return snap, nil
}

// Restore loads a snapshot, replacing the loaded program and its state (probes off).
func (d *Device) Restore(ctx context.Context, snap []byte) error {
	p, err := snapshotProgram(snap)
	if err != nil {
		return err
	}
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	shape, err := d.b.restore(ctx, snap)
	if err != nil {
		return d.fail("restore", err)
	}
	return d.setProgram(ctx, p, shape)
}

// snapshotProgram decodes the program a snapshot holds (docs/chip.md, "Snapshots":
// magic, version, then the program as JSON after its uvarint length).
func snapshotProgram(snap []byte) (*chip.Program, error) {
	const magic = "GLEMUSNP"
	bad := func(what string) (*chip.Program, error) {
		return nil, fmt.Errorf("host: restore: %w: %s; restore a snapshot that Snapshot wrote", chip.ErrSnapshot, what)
	}
	if len(snap) < len(magic)+4 || string(snap[:len(magic)]) != magic {
		return bad("no snapshot magic")
	}
	if v := binary.LittleEndian.Uint32(snap[len(magic):]); v != chip.SnapshotVersion {
		return bad(fmt.Sprintf("snapshot version %d, this glemu reads %d", v, chip.SnapshotVersion))
	}
	rest := snap[len(magic)+4:]
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) {
		return bad("the program's length is cut off")
	}
	var p chip.Program
	if err := json.Unmarshal(rest[k:k+int(n)], &p); err != nil {
		return bad(fmt.Sprintf("the program does not decode (%v)", err))
	}
	return &p, nil
}

// Ping sends the board a few bytes and waits for them back; in process it does nothing.
func (d *Device) Ping(ctx context.Context) error {
	if err := d.lock(); err != nil {
		return err
	}
	defer d.mu.Unlock()
	want := []byte("glemu ping")
	got, err := d.b.echo(ctx, want)
	if err != nil {
		return d.fail("ping", err)
	}
	if string(got) != string(want) {
		return fmt.Errorf("host: ping: the board echoed %q, not %q; update the board firmware", got, want)
	}
	return nil
}

// Stats returns what the device did so far.
func (d *Device) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.b.stats()
	s.Host = d.hostCnt
	return s
}
