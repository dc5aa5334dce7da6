package host

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/image"
	"github.com/glemu/glemu/host/command"
	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/host/proto"
)

// board is the backend of a board (or the firmware simulator) over a link.
type board struct {
	l       *link.Link
	name    string
	peer    proto.Hello // the board's link limits
	myMax   int         // the largest payload this host accepts
	reqMu   sync.Mutex
	request map[proto.Type]int64
}

func dial(ctx context.Context, port io.ReadWriter, name, portName string, o options) (*Device, error) {
	me := command.Hello{Version: command.Version, Role: command.RoleHost, Chip: o.expect}
	desc, err := command.AppendHello(nil, me)
	if err != nil {
		if c, ok := port.(io.Closer); ok {
			c.Close()
		}
		return nil, fmt.Errorf("host: open %s: %w", name, err)
	}
	cfg := o.link
	cfg.ChipConfig = desc
	cfg.Check = func(peer proto.Hello) error { return command.Check(me, peer.Config) }
	if cfg.PortName == "" {
		cfg.PortName = portName
	}
	l, err := link.Dial(ctx, port, cfg)
	if err != nil {
		return nil, fmt.Errorf("host: open %s: %w", name, err)
	}
	peer := l.Peer()
	h, err := command.ParseHello(peer.Config)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("host: open %s: %w", name, err) // Check accepted it: cannot happen
	}
	b := &board{l: l, name: name, peer: peer, myMax: orDefault(cfg.MaxPayload, 1024), request: map[proto.Type]int64{}}
	info := Info{Backend: "serial", Name: name, Firmware: h.Firmware, Chip: h.Chip, MaxImage: int(h.MaxImage), MaxStage: int(h.MaxStage),
		MaxPayload: int(peer.MaxPayload), RxBuffer: int(peer.RxBuffer), Window: int(peer.Window)}
	return newDevice(b, info), nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func (b *board) count(t proto.Type) {
	b.reqMu.Lock()
	b.request[t]++
	b.reqMu.Unlock()
}

func (b *board) stats() Stats {
	b.reqMu.Lock()
	defer b.reqMu.Unlock()
	s := Stats{Requests: make(map[proto.Type]int64, len(b.request)), Link: b.l.Stats()}
	for k, v := range b.request {
		s.Requests[k] = v
	}
	return s
}

func (b *board) close() error { return b.l.Close() }

// remote turns a request's failure on the board into a boardError; link errors pass.
func (b *board) remote(t proto.Type, err error) error {
	var re *link.RemoteError
	if errors.As(err, &re) {
		return &boardError{op: t.String(), text: re.Message}
	}
	return err
}

// drain drops DATA left over from a run that was given up (it would hold room in this
// side's receive buffer).
func (b *board) drain() {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		if _, err := b.l.Next(done); err != nil {
			return
		}
	}
}

// call sends a command and returns its result, fetching a spooled one.
func (b *board) call(ctx context.Context, t proto.Type, payload []byte) ([]byte, error) {
	b.drain()
	b.count(t)
	resp, err := b.l.Call(ctx, t, payload)
	if err != nil {
		return nil, b.remote(t, err)
	}
	return b.result(ctx, t, resp)
}

// result decodes a response body; a spooled result is fetched with pipelined FETCH
// requests and checked against its CRC.
func (b *board) result(ctx context.Context, t proto.Type, resp []byte) ([]byte, error) {
	body, err := command.ParseBody(resp)
	if err != nil {
		return nil, fmt.Errorf("host: %v: %w; update the board firmware", t, err)
	}
	if !body.Spooled {
		return body.Data, nil
	}
	out := make([]byte, 0, body.Length)
	out = append(out, body.Data...)
	chunk := b.myMax - proto.ResponseLen - 1
	var pend []*link.Pending
	for off := len(out); off < int(body.Length); off += chunk {
		n := min(chunk, int(body.Length)-off)
		b.count(proto.TypeRequest)
		p, err := b.l.Start(ctx, proto.TypeRequest, command.AppendRequest(nil, command.Request{Op: command.OpFetch, Offset: uint32(off), N: uint32(n)}))
		if err != nil {
			return nil, err
		}
		pend = append(pend, p)
	}
	for _, p := range pend {
		r, err := p.Wait(ctx)
		if err != nil {
			return nil, b.remote(proto.TypeRequest, err)
		}
		part, err := command.ParseBody(r)
		if err != nil || part.Spooled {
			return nil, fmt.Errorf("host: FETCH: the board answered with a malformed body (%v); update the board firmware", err)
		}
		out = append(out, part.Data...)
	}
	if len(out) != int(body.Length) {
		return nil, fmt.Errorf("host: %v: fetched %d of the result's %d bytes; update the board firmware", t, len(out), body.Length)
	}
	if c := crc32.ChecksumIEEE(out); c != body.CRC {
		return nil, fmt.Errorf("host: %v: the fetched result's CRC is 0x%08x, the board said 0x%08x; repeat the command", t, c, body.CRC)
	}
	return out, nil
}

// pipeline sends one request per payload, all before waiting for the first answer,
// and checks that each answers with an empty inline result.
func (b *board) pipeline(ctx context.Context, t proto.Type, payloads [][]byte) error {
	var pend []*link.Pending
	for _, pl := range payloads {
		b.count(t)
		p, err := b.l.Start(ctx, t, pl)
		if err != nil {
			return err
		}
		pend = append(pend, p)
	}
	var first error
	for _, p := range pend {
		r, err := p.Wait(ctx)
		if err != nil {
			if first == nil {
				first = b.remote(t, err)
			}
			continue
		}
		if body, err := command.ParseBody(r); first == nil && (err != nil || body.Spooled || len(body.Data) != 0) {
			first = fmt.Errorf("host: %v: unexpected answer %x; update the board firmware", t, r)
		}
	}
	return first
}

// arg returns data as a command's argument: inline if the request (with head bytes
// before the argument) fits one frame, else staged on the board first.
func (b *board) arg(ctx context.Context, head int, data []byte) ([]byte, error) {
	limit := int(b.peer.MaxPayload)
	if head+1+len(data) <= limit {
		return command.AppendArg(nil, data), nil
	}
	if h := b.info().MaxStage; h > 0 && len(data) > h {
		return nil, fmt.Errorf("host: the argument is %d bytes; the board stages at most %d", len(data), h)
	}
	chunk := limit - command.StageLen
	var payloads [][]byte
	for off := 0; off < len(data) || off == 0; off += chunk {
		end := min(off+chunk, len(data))
		payloads = append(payloads, command.AppendRequest(nil, command.Request{Op: command.OpStage, Offset: uint32(off), Data: data[off:end]}))
		if end == len(data) {
			break
		}
	}
	if err := b.pipeline(ctx, proto.TypeRequest, payloads); err != nil {
		return nil, err
	}
	return command.AppendStagedArg(nil, data), nil
}

func (b *board) info() Info {
	h, _ := command.ParseHello(b.peer.Config)
	return Info{MaxStage: int(h.MaxStage), MaxImage: int(h.MaxImage)}
}

func (b *board) load(ctx context.Context, _ *chip.Program, img []byte) (command.Shape, error) {
	b.drain()
	if h := b.info().MaxImage; h > 0 && len(img) > h {
		return command.Shape{}, fmt.Errorf("host: the image is %d bytes; the board loads at most %d", len(img), h)
	}
	if _, err := b.call(ctx, proto.TypeLoadBegin, img[:image.HeaderSize]); err != nil {
		return command.Shape{}, err
	}
	chunk := int(b.peer.MaxPayload) - command.LoadChunkLen
	var payloads [][]byte
	for off := image.HeaderSize; off < len(img); off += chunk {
		payloads = append(payloads, command.AppendLoadChunk(nil, uint32(off), img[off:min(off+chunk, len(img))]))
	}
	if err := b.pipeline(ctx, proto.TypeLoadChunk, payloads); err != nil {
		return command.Shape{}, err
	}
	res, err := b.call(ctx, proto.TypeLoadEnd, nil)
	if err != nil {
		return command.Shape{}, err
	}
	return command.ParseShape(res)
}

func (b *board) restore(ctx context.Context, snap []byte) (command.Shape, error) {
	b.drain()
	a, err := b.arg(ctx, 0, snap)
	if err != nil {
		return command.Shape{}, err
	}
	res, err := b.call(ctx, proto.TypeRestore, a)
	if err != nil {
		return command.Shape{}, err
	}
	return command.ParseShape(res)
}

func (b *board) reset(ctx context.Context, unload bool) error {
	_, err := b.call(ctx, proto.TypeReset, command.AppendFlag(nil, unload))
	return err
}

func (b *board) readRegs(ctx context.Context, regs ...command.Reg) ([]command.RegValue, error) {
	res, err := b.call(ctx, proto.TypeReadReg, command.AppendReadReg(nil, regs...))
	if err != nil {
		return nil, err
	}
	return command.ParseRegValues(res, regs)
}

func (b *board) writeReg(ctx context.Context, v command.RegValue) error {
	_, err := b.call(ctx, proto.TypeWriteReg, command.AppendWriteReg(nil, v))
	return err
}

func (b *board) readMem(ctx context.Context, m command.Mem, enc command.Encoding) (command.Values, error) {
	res, err := b.call(ctx, proto.TypeReadMem, command.AppendReadMem(nil, m, enc))
	if err != nil {
		return command.Values{}, err
	}
	return command.ParseValues(res, enc)
}

func (b *board) writeMem(ctx context.Context, m command.Mem, enc command.Encoding, v command.Values) error {
	b.drain()
	head := command.AppendReadMem(nil, m, enc)
	a, err := b.arg(ctx, len(head), command.AppendValues(nil, enc, v))
	if err != nil {
		return err
	}
	_, err = b.call(ctx, proto.TypeWriteMem, append(head, a...))
	return err
}

func (b *board) setProbes(ctx context.Context, raw bool, probes []chip.Probe) ([]command.ProbeInfo, error) {
	res, err := b.call(ctx, proto.TypeSetProbes, command.AppendSetProbes(nil, raw, probes))
	if err != nil {
		return nil, err
	}
	return command.ParseProbeInfos(res)
}

func (b *board) readProbes(ctx context.Context, raw bool, vals []float64, raws []int64) (int64, error) {
	res, err := b.call(ctx, proto.TypeReadProbes, nil)
	if err != nil {
		return 0, err
	}
	return command.ParseProbeRead(res, raw, vals, raws)
}

func (b *board) counters(ctx context.Context, reset bool) (chip.Counters, error) {
	res, err := b.call(ctx, proto.TypeReadCounters, command.AppendCountersRequest(nil, reset))
	if err != nil {
		return chip.Counters{}, err
	}
	return command.ParseCounters(res)
}

func (b *board) setLearning(ctx context.Context, on bool) (bool, error) {
	res, err := b.call(ctx, proto.TypeSetLearning, command.AppendFlag(nil, on))
	if err != nil {
		return false, err
	}
	return command.ParseFlag("SET_LEARNING result", res)
}

func (b *board) snapshot(ctx context.Context) ([]byte, error) {
	res, err := b.call(ctx, proto.TypeSnapshot, nil)
	return append([]byte(nil), res...), err
}

func (b *board) echo(ctx context.Context, payload []byte) ([]byte, error) {
	return b.call(ctx, proto.TypeRequest, command.AppendRequest(nil, command.Request{Op: command.OpEcho, Data: payload}))
}

// run streams a RUN: a goroutine turns the Source's steps into step records and sends
// them as DATA as fast as the board's window allows, while this goroutine takes the
// board's output records and hands them to the Sink and the probe writer.
func (b *board) run(ctx context.Context, j *runJob) error {
	b.drain()
	b.count(proto.TypeRun)
	p, err := b.l.Start(ctx, proto.TypeRun, command.AppendRun(nil, command.Run{Steps: uint32(j.n), Flags: j.flags}))
	if err != nil {
		return b.lost(j, err)
	}
	sendCtx, stopSend := context.WithCancel(ctx)
	defer stopSend()
	var wg sync.WaitGroup
	var produceErr, sendErr error
	if j.flags&(command.RunInputs|command.RunTargets) != 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			produceErr, sendErr = b.send(sendCtx, j, p)
		}()
	}

	recvCtx, stopRecv := context.WithCancel(ctx)
	defer stopRecv()
	go func() {
		select {
		case <-p.Done():
			stopRecv()
		case <-recvCtx.Done():
		}
	}()
	var recvErr error
	if j.flags&(command.RunOutputs|command.RunProbes) != 0 {
		recvErr = b.receive(recvCtx, j, p, stopSend)
		if recvErr != nil && ctx.Err() == nil {
			select {
			case <-p.Done():
				recvErr = nil // the board answered: the outputs it sent are in
			default:
			}
		}
	}
	resp, err := p.Wait(ctx)
	stopSend()
	wg.Wait()
	if produceErr != nil && j.userErr == nil {
		j.userErr = produceErr
	}
	switch {
	case err != nil && isLinkLoss(err):
		return b.lost(j, err)
	case err != nil:
		return b.remote(proto.TypeRun, err)
	case recvErr != nil:
		return b.lost(j, recvErr)
	case sendErr != nil && !errors.Is(sendErr, context.Canceled):
		return b.lost(j, sendErr)
	}
	body, err := b.result(ctx, proto.TypeRun, resp)
	if err != nil {
		return err
	}
	res, err := command.ParseRunResult(body)
	if err != nil {
		return fmt.Errorf("host: RUN: %w; update the board firmware", err)
	}
	if int(res.Done) != j.n || (j.flags&(command.RunOutputs|command.RunProbes) != 0 && j.done != j.n && j.userErr == nil) {
		return fmt.Errorf("host: RUN: the board ran %d steps and sent %d results of the %d asked for; update the board firmware", res.Done, j.done, j.n)
	}
	j.chipSteps, j.done = res.ChipSteps, j.n
	return j.userErr
}

// isLinkLoss reports whether err means the link (not the command) failed.
func isLinkLoss(err error) bool {
	return errors.Is(err, ErrTimeout) || errors.Is(err, ErrDisconnected) || errors.Is(err, link.ErrSessionLost) || errors.Is(err, link.ErrClosed) || errors.Is(err, ErrVersionMismatch)
}

// lost is the error of a run whose link failed.
func (b *board) lost(j *runJob, err error) error {
	if !isLinkLoss(err) {
		if le := b.l.Err(); le != nil {
			err = le
		} else {
			return err
		}
	}
	return &RunError{LastGoodStep: j.start + uint64(j.done), Err: err}
}

// send produces and sends the step records of a RUN, then returns. If it stops early
// (the Source failed, the Sink failed and cancelled ctx, or the caller gave up), it
// tells the board with a RUN_ABORT, so that the board answers the RUN at once; if the
// board answered first (the RUN failed there), it just stops.
func (b *board) send(ctx context.Context, j *runJob, p *link.Pending) (produceErr, sendErr error) {
	room := int(b.peer.MaxPayload) - command.DataHeaderLen
	buf := command.AppendDataHeader(make([]byte, 0, int(b.peer.MaxPayload)+256), command.DataRunIn, p.Seq)
	flush := func(ctx context.Context, final bool) error {
		for len(buf)-command.DataHeaderLen >= room || (final && len(buf) > command.DataHeaderLen) {
			n := min(room, len(buf)-command.DataHeaderLen)
			if err := b.l.Send(ctx, buf[:command.DataHeaderLen+n]); err != nil {
				return err
			}
			buf = append(buf[:command.DataHeaderLen], buf[command.DataHeaderLen+n:]...)
		}
		return nil
	}
	abort := func(sendRest bool) {
		select {
		case <-p.Done():
			return // the board has answered: nothing runs any more
		default:
		}
		actx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if sendRest {
			_ = flush(actx, true)
		}
		_ = b.l.Send(actx, command.AppendDataHeader(nil, command.DataRunAbort, p.Seq))
	}
	var in command.StepIn
	for k := range j.n {
		select {
		case <-p.Done():
			return nil, nil // the board answered early: the RUN failed there
		case <-ctx.Done():
			abort(false)
			return nil, ctx.Err()
		default:
		}
		if err := j.produce(k, &in); err != nil {
			abort(true) // the steps produced so far run
			return err, nil
		}
		buf = j.lay.AppendStepIn(buf, j.flags, &in)
		if err := flush(ctx, false); err != nil {
			if ctx.Err() != nil {
				abort(false)
			}
			return nil, err
		}
	}
	return nil, flush(ctx, true)
}

// receive takes the RUN's output records until every step's has come or ctx ends
// (the board answered the RUN, or the link failed). If the Sink fails it stops the
// sender (which then tells the board).
func (b *board) receive(ctx context.Context, j *runJob, p *link.Pending, stopSend func()) error {
	lay := j.lay
	out := make([]int64, lay.Contexts*lay.OutputWidth)
	var vals []float64
	var raws []int64
	raw := false
	if j.probes != nil {
		vals, raws, raw = j.probes.vals, j.probes.raws, j.probes.raw
	}
	var pending []byte
	for k := 0; k < j.n; {
		m, err := b.l.Next(ctx)
		if err != nil {
			return err
		}
		kind, run, data, err := command.ParseData(m.Payload)
		if err != nil || kind != command.DataRunOut || run != p.Seq {
			continue // left over from an earlier run
		}
		pending = append(pending, data...)
		for k < j.n {
			n := lay.ParseStepOut(pending, j.flags, out, raw, vals, raws)
			if n == 0 {
				break
			}
			if j.userErr == nil {
				if err := j.result(k, out, vals, raws); err != nil {
					stopSend()
				}
			}
			k++
			pending = pending[:copy(pending, pending[n:])]
		}
	}
	return nil
}
