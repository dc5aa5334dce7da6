package firmwaresim

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/image"
	"github.com/glemu/glemu/host/command"
	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/host/proto"
)

// Version names this firmware in its HELLO.
const Version = "glemu firmware-sim 1"

// Config describes the simulated board: its chip and the limits a real board has. The
// zero value of every field selects its default.
type Config struct {
	// Chip is the board's chip; programs must fit it (command.Chip.Fits). Default
	// chip.DefaultConfig().
	Chip chip.Config
	// Firmware names the firmware in the HELLO (default Version).
	Firmware string
	// MaxPayload is the largest frame payload the board accepts (default 1024); RxBuffer
	// its receive buffer in bytes (default 8 KiB) and Window in frames (default 16).
	MaxPayload, RxBuffer, Window int
	// MaxImage is the largest image it loads (default 16 MiB); MaxStage the largest
	// staged argument or spooled result (snapshots, memories; default 64 MiB).
	MaxImage, MaxStage int
	// BaudRate paces both directions of the port as a UART at this rate would (8N1):
	// 0 does not pace (a pipe in a test).
	BaudRate int
	// Workers steps the chip's tiles on this many goroutines (default 1).
	Workers int
	// Link sets the retransmission timeouts and retries; its limits and chip
	// description are replaced by the fields above.
	Link link.Config
}

func (c Config) withDefaults() (Config, error) {
	if c.Chip.Rows == 0 {
		c.Chip = chip.DefaultConfig()
	}
	if err := c.Chip.Validate(); err != nil {
		return c, fmt.Errorf("firmwaresim: the board's chip: %w", err)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxPayload, 1024)
	def(&c.RxBuffer, 8<<10)
	def(&c.Window, 16)
	def(&c.MaxImage, 16<<20)
	def(&c.MaxStage, 64<<20)
	def(&c.Workers, 1)
	if c.Firmware == "" {
		c.Firmware = Version
	}
	switch {
	case c.MaxImage < image.HeaderSize || c.MaxImage > 1<<31:
		return c, fmt.Errorf("firmwaresim: MaxImage %d outside %d…%d", c.MaxImage, image.HeaderSize, 1<<31)
	case c.MaxStage < 1 || c.MaxStage > 1<<31:
		return c, fmt.Errorf("firmwaresim: MaxStage %d outside 1…%d", c.MaxStage, 1<<31)
	case c.BaudRate < 0:
		return c, fmt.Errorf("firmwaresim: baud rate %d; give a positive rate, or 0 not to pace", c.BaudRate)
	}
	return c, nil
}

// Stats counts what the firmware did.
type Stats struct {
	// Sessions counts the sessions hosts started.
	Sessions int64
	// Executed counts the requests executed, per message type; Ops the generic
	// REQUEST's per operation.
	Executed map[proto.Type]int64
	Ops      map[command.Op]int64
	// Failed counts requests answered with an error.
	Failed int64
	// Reexecuted counts requests whose sequence number had already been executed in
	// the same session; the link's duplicate detection keeps it at 0.
	Reexecuted int64
	// Steps counts chip steps run by RUN; StrayData DATA chunks that belonged to no
	// running RUN.
	Steps, StrayData int64
}

// Firmware is the board's firmware: it serves the protocol over a port and drives a
// chip. A Firmware serves one port at a time; its chip outlives sessions (a host that
// reconnects finds the chip as it left it).
type Firmware struct {
	cfg   Config
	hello []byte

	mu    sync.Mutex // guards stats (Stats may be called while serving)
	stats Stats
	seen  [1 << 16 / 64]uint64 // sequence numbers executed in this session

	m       command.Machine
	outbox  []byte        // the last spooled result
	inbox   []byte        // staged argument
	load    *loading      // image being loaded
	defer_  *link.Message // a request that arrived in the middle of a RUN
	out     []byte        // RUN output chunk
	peerMax int
}

type loading struct {
	header image.Header
	buf    []byte
}

// New builds the firmware of a board described by cfg.
func New(cfg Config) (*Firmware, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	board := command.ChipOf(cfg.Chip)
	hello, err := command.AppendHello(nil, command.Hello{Version: command.Version, Role: command.RoleBoard, Firmware: cfg.Firmware,
		Chip: &board, MaxImage: uint32(cfg.MaxImage), MaxStage: uint32(cfg.MaxStage)})
	if err != nil {
		return nil, fmt.Errorf("firmwaresim: %w", err)
	}
	f := &Firmware{cfg: cfg, hello: hello}
	f.m.Board = &board
	if cfg.Workers > 1 {
		f.m.Options = []chip.Option{chip.WithWorkers(cfg.Workers)}
	}
	f.stats.Executed = map[proto.Type]int64{}
	f.stats.Ops = map[command.Op]int64{}
	return f, nil
}

// Hello returns what the board says of itself in its HELLO.
func (f *Firmware) Hello() command.Hello {
	h, _ := command.ParseHello(f.hello)
	return h
}

// LinkConfig is the link configuration the firmware serves with.
func (f *Firmware) LinkConfig() link.Config {
	lc := f.cfg.Link
	lc.MaxPayload, lc.RxBuffer, lc.Window = f.cfg.MaxPayload, f.cfg.RxBuffer, f.cfg.Window
	lc.ChipConfig = f.hello
	me, _ := command.ParseHello(f.hello)
	lc.Check = func(peer proto.Hello) error { return command.Check(me, peer.Config) }
	return lc
}

// Stats returns the counts so far.
func (f *Firmware) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Executed = make(map[proto.Type]int64, len(f.stats.Executed))
	for k, v := range f.stats.Executed {
		s.Executed[k] = v
	}
	s.Ops = make(map[command.Op]int64, len(f.stats.Ops))
	for k, v := range f.stats.Ops {
		s.Ops[k] = v
	}
	return s
}

// Close releases the chip.
func (f *Firmware) Close() { f.m.Close() }

// Serve serves the protocol on port until ctx is done (it then returns nil) or the port
// fails. Hosts may come and go: each HELLO starts a new session on the same chip. With
// Config.BaudRate, the port is paced in both directions as a UART.
func (f *Firmware) Serve(ctx context.Context, port io.ReadWriter) error {
	if f.cfg.BaudRate > 0 {
		u, err := NewUART(port, f.cfg.BaudRate)
		if err != nil {
			return err
		}
		u.PaceReads(true)
		port = u
	}
	l, err := link.Accept(ctx, port, f.LinkConfig())
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("firmwaresim: %w", err)
	}
	defer l.Close()
	// Close the link when ctx ends, so a Next or a Send blocked on the port returns.
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	f.newSession()
	st := &linkStream{l: l}
	for {
		var m link.Message
		if f.defer_ != nil {
			m, f.defer_ = *f.defer_, nil
		} else if m, err = l.Next(ctx); err != nil {
			if sessionEnded(l, err) {
				f.newSession()
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("firmwaresim: %w", err)
		}
		if m.Type == proto.TypeData {
			f.count(func(s *Stats) { s.StrayData++ })
			continue
		}
		f.peerMax = int(l.Peer().MaxPayload)
		body, herr := f.Handle(ctx, m, st)
		if errors.Is(herr, errSessionEnded) {
			f.newSession()
			continue
		}
		if err := l.Reply(ctx, m, body, herr); err != nil && !errors.Is(err, link.ErrTooLarge) {
			if sessionEnded(l, err) {
				f.newSession()
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("firmwaresim: %w", err)
		}
	}
}

// sessionEnded reports whether err only says that the host's session ended (a new
// HELLO, or the host stopped answering) while the link itself still works.
func sessionEnded(l *link.Link, err error) bool {
	return errors.Is(err, link.ErrSessionReset) || (errors.Is(err, link.ErrTimeout) && l.Err() == nil)
}

// errSessionEnded: the session ended in the middle of a request; nothing to answer.
var errSessionEnded = errors.New("firmwaresim: the session ended")

// newSession forgets what belonged to the last session: the transfers in progress.
// The chip stays as it is.
func (f *Firmware) newSession() {
	f.outbox, f.inbox, f.load, f.defer_ = nil, nil, nil, nil
	f.mu.Lock()
	f.stats.Sessions++
	f.seen = [len(f.seen)]uint64{}
	f.mu.Unlock()
}

func (f *Firmware) count(fn func(*Stats)) {
	f.mu.Lock()
	fn(&f.stats)
	f.mu.Unlock()
}

// stream is what RUN needs of the link: the next message from the host, and a way to
// send DATA to it in the request's session.
type stream interface {
	next(ctx context.Context) (link.Message, error)
	send(ctx context.Context, req link.Message, payload []byte) error
}

type linkStream struct{ l *link.Link }

func (s *linkStream) next(ctx context.Context) (link.Message, error) {
	m, err := s.l.Next(ctx)
	if err != nil && sessionEnded(s.l, err) {
		return m, errSessionEnded
	}
	return m, err
}

func (s *linkStream) send(ctx context.Context, req link.Message, payload []byte) error {
	err := s.l.SendFor(ctx, req, payload)
	if err != nil && (errors.Is(err, link.ErrSessionReset) || errors.Is(err, link.ErrTimeout)) && s.l.Err() == nil {
		return errSessionEnded
	}
	return err
}

// room is the largest body a response may have.
func (f *Firmware) room() int {
	if f.peerMax == 0 {
		return 1024 - proto.ResponseLen
	}
	return f.peerMax - proto.ResponseLen
}

// result turns a command's result into a response body: inline if it fits one frame,
// else spooled into the outbox.
func (f *Firmware) result(b []byte) ([]byte, error) {
	room := f.room()
	if 1+len(b) <= room {
		return command.AppendInline(nil, b), nil
	}
	if len(b) > f.cfg.MaxStage {
		return nil, fmt.Errorf("firmware: the result is %d bytes, more than the %d this board holds", len(b), f.cfg.MaxStage)
	}
	f.outbox = append(f.outbox[:0], b...)
	return command.AppendSpooled(nil, f.outbox, room), nil
}

// Handle executes one request from the host and returns its response body. RUN reads
// its inputs from st and streams its outputs to it. Handle never panics, whatever the
// payload.
func (f *Firmware) Handle(ctx context.Context, m link.Message, st stream) ([]byte, error) {
	f.mu.Lock()
	f.stats.Executed[m.Type]++
	if w, b := m.Seq/64, uint64(1)<<(m.Seq%64); f.seen[w]&b != 0 {
		f.stats.Reexecuted++
	} else {
		f.seen[w] |= b
	}
	far := m.Seq + 1<<15 // forget the sequence number half the space away: it will come again
	f.seen[far/64] &^= 1 << (far % 64)
	f.mu.Unlock()
	body, err := f.handle(ctx, m, st)
	if err != nil && !errors.Is(err, errSessionEnded) {
		f.count(func(s *Stats) { s.Failed++ })
	}
	return body, err
}

func (f *Firmware) handle(ctx context.Context, m link.Message, st stream) ([]byte, error) {
	p := m.Payload
	switch m.Type {
	case proto.TypeRequest:
		return f.request(p)
	case proto.TypeLoadBegin:
		h, err := command.ParseLoadBegin(p)
		if err != nil {
			return nil, err
		}
		if h.Length > uint64(f.cfg.MaxImage) {
			return nil, fmt.Errorf("firmware: the image is %d bytes; this board loads at most %d", h.Length, f.cfg.MaxImage)
		}
		f.load = &loading{header: h, buf: append(make([]byte, 0, h.Length), p...)}
		return f.result(nil)
	case proto.TypeLoadChunk:
		off, data, err := command.ParseLoadChunk(p)
		if err != nil {
			return nil, err
		}
		ld := f.load
		switch {
		case ld == nil:
			return nil, fmt.Errorf("firmware: LOAD_CHUNK without LOAD_BEGIN; start the load again")
		case uint64(off) != uint64(len(ld.buf)):
			return nil, fmt.Errorf("firmware: LOAD_CHUNK at offset %d, but %d bytes are loaded; start the load again", off, len(ld.buf))
		case uint64(len(ld.buf)+len(data)) > ld.header.Length:
			return nil, fmt.Errorf("firmware: LOAD_CHUNK goes past the image's %d bytes; start the load again", ld.header.Length)
		}
		ld.buf = append(ld.buf, data...)
		return f.result(nil)
	case proto.TypeLoadEnd:
		return f.loadEnd(p)
	case proto.TypeReadReg:
		regs, err := command.ParseReadReg(p)
		if err != nil {
			return nil, err
		}
		var out []byte
		for _, g := range regs {
			v, err := f.m.ReadReg(g)
			if err != nil {
				return nil, err
			}
			out = command.AppendRegValue(out, v)
		}
		return f.result(out)
	case proto.TypeWriteReg:
		v, err := command.ParseWriteReg(p)
		if err != nil {
			return nil, err
		}
		if err := f.m.WriteReg(v); err != nil {
			return nil, err
		}
		return f.result(nil)
	case proto.TypeReadMem:
		mem, enc, err := command.ParseReadMem(p)
		if err != nil {
			return nil, err
		}
		v, err := f.m.ReadMem(mem, enc)
		if err != nil {
			return nil, err
		}
		return f.result(command.AppendValues(nil, enc, v))
	case proto.TypeWriteMem:
		mem, enc, arg, err := command.ParseWriteMem(p)
		if err != nil {
			return nil, err
		}
		data, err := f.argument(arg)
		if err != nil {
			return nil, err
		}
		v, err := command.ParseValues(data, enc)
		if err != nil {
			return nil, err
		}
		if err := f.m.WriteMem(mem, enc, v); err != nil {
			return nil, err
		}
		return f.result(nil)
	case proto.TypeRun:
		q, err := command.ParseRun(p)
		if err != nil {
			return nil, err
		}
		res, err := f.run(ctx, m, q, st)
		if err != nil {
			return nil, err
		}
		return f.result(command.AppendRunResult(nil, res))
	case proto.TypeSetProbes:
		raw, probes, err := command.ParseSetProbes(p)
		if err != nil {
			return nil, err
		}
		infos, err := f.m.SetProbes(raw, probes)
		if err != nil {
			return nil, err
		}
		return f.result(command.AppendProbeInfos(nil, infos))
	case proto.TypeReadProbes:
		if len(p) != 0 {
			return nil, fmt.Errorf("%w: READ_PROBES takes no payload", command.ErrMalformed)
		}
		if err := f.m.Loaded(); err != nil {
			return nil, err
		}
		infos, raw := f.m.Probes()
		n := command.ProbeValues(infos)
		vals, raws := make([]float64, n), make([]int64, n)
		if err := f.m.SampleProbes(vals, raws); err != nil {
			return nil, err
		}
		return f.result(command.AppendProbeRead(nil, int64(f.m.Chip().Steps())-1, raw, vals, raws))
	case proto.TypeReadCounters:
		reset, err := command.ParseCountersRequest(p)
		if err != nil {
			return nil, err
		}
		c, err := f.m.Counters(reset)
		if err != nil {
			return nil, err
		}
		return f.result(command.AppendCounters(nil, c))
	case proto.TypeSetLearning:
		on, err := command.ParseFlag("SET_LEARNING", p)
		if err != nil {
			return nil, err
		}
		now, err := f.m.SetLearning(on)
		if err != nil {
			return nil, err
		}
		return f.result(command.AppendFlag(nil, now))
	case proto.TypeSnapshot:
		if len(p) != 0 {
			return nil, fmt.Errorf("%w: SNAPSHOT takes no payload", command.ErrMalformed)
		}
		snap, err := f.m.Snapshot()
		if err != nil {
			return nil, err
		}
		return f.result(snap)
	case proto.TypeRestore:
		r := command.Arg{}
		var err error
		if r, err = command.ParseArgument("RESTORE", p); err != nil {
			return nil, err
		}
		data, err := f.argument(r)
		if err != nil {
			return nil, err
		}
		if err := f.m.Restore(data); err != nil {
			return nil, err
		}
		return f.result(command.AppendShape(nil, f.m.Shape()))
	case proto.TypeReset:
		unload, err := command.ParseFlag("RESET", p)
		if err != nil {
			return nil, err
		}
		if err := f.m.Reset(unload); err != nil {
			return nil, err
		}
		return f.result(nil)
	}
	return nil, fmt.Errorf("firmware: %v is not a command of command set %d; update the board firmware", m.Type, command.Version)
}

// request serves the generic REQUEST: echo, fetch from the outbox, stage into the inbox.
func (f *Firmware) request(p []byte) ([]byte, error) {
	q, err := command.ParseRequest(p)
	if err != nil {
		return nil, err
	}
	f.count(func(s *Stats) { s.Ops[q.Op]++ })
	switch q.Op {
	case command.OpEcho:
		return f.result(q.Data)
	case command.OpFetch:
		end := uint64(q.Offset) + uint64(q.N)
		if end > uint64(len(f.outbox)) {
			return nil, fmt.Errorf("firmware: FETCH of bytes %d…%d, but the outbox holds %d; repeat the command whose result it was", q.Offset, end, len(f.outbox))
		}
		if 1+int(q.N) > f.room() {
			return nil, fmt.Errorf("firmware: FETCH of %d bytes does not fit one response of %d; fetch less", q.N, f.room())
		}
		return command.AppendInline(nil, f.outbox[q.Offset:end]), nil
	case command.OpStage:
		if int(q.Offset) != len(f.inbox) && q.Offset != 0 {
			return nil, fmt.Errorf("firmware: STAGE at offset %d, but %d bytes are staged; stage the argument again from 0", q.Offset, len(f.inbox))
		}
		if q.Offset == 0 {
			f.inbox = f.inbox[:0]
		}
		if len(f.inbox)+len(q.Data) > f.cfg.MaxStage {
			f.inbox = nil
			return nil, fmt.Errorf("firmware: the staged argument exceeds the %d bytes this board holds", f.cfg.MaxStage)
		}
		f.inbox = append(f.inbox, q.Data...)
		return f.result(nil)
	}
	return nil, fmt.Errorf("firmware: unknown op %v", q.Op)
}

// argument returns a command's argument: inline, or the staged bytes checked against
// the length and CRC the command names.
func (f *Firmware) argument(a command.Arg) ([]byte, error) {
	if !a.Staged {
		return a.Data, nil
	}
	if err := command.CheckStaged(a, f.inbox); err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	return f.inbox, nil
}

func (f *Firmware) loadEnd(p []byte) ([]byte, error) {
	if len(p) != 0 {
		return nil, fmt.Errorf("%w: LOAD_END takes no payload", command.ErrMalformed)
	}
	ld := f.load
	f.load = nil
	switch {
	case ld == nil:
		return nil, fmt.Errorf("firmware: LOAD_END without LOAD_BEGIN; load the image again")
	case uint64(len(ld.buf)) != ld.header.Length:
		return nil, fmt.Errorf("firmware: LOAD_END after %d of the image's %d bytes; load the image again", len(ld.buf), ld.header.Length)
	}
	if c := crc32.ChecksumIEEE(ld.buf[image.HeaderSize:]); c != ld.header.BodyCRC {
		return nil, fmt.Errorf("firmware: the image's CRC is 0x%08x, its header says 0x%08x; load the image again", c, ld.header.BodyCRC)
	}
	prog, _, err := image.Parse(ld.buf)
	if err != nil {
		return nil, err
	}
	if err := f.m.Load(prog); err != nil {
		return nil, err
	}
	return f.result(command.AppendShape(nil, f.m.Shape()))
}
