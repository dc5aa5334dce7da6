package link

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/glemu/glemu/host/proto"
)

// Config sets what a side advertises in its HELLO and how it retransmits. The zero value
// of every field selects its default.
type Config struct {
	// MaxPayload is the largest payload this side accepts in one frame (default 1024,
	// at most proto.MaxPayload).
	MaxPayload int
	// RxBuffer is how many bytes of received frames (proto.HeaderLen + payload each)
	// this side holds before the application consumes them (default 16 KiB; at least
	// one frame of MaxPayload).
	RxBuffer int
	// Window is how many received frames this side holds before they are consumed
	// (default 32, at most proto.MaxWindow).
	Window int
	// ChipConfig is the opaque description of the chip sent in the HELLO; the command
	// layer fills it and checks the peer's in Check.
	ChipConfig []byte
	// Check accepts or refuses the peer's HELLO; nil accepts any. Its error text is
	// shown to the user of the side that is refused, so say what to do.
	Check func(peer proto.Hello) error

	// RTO is the retransmission timeout before any round trip has been measured
	// (default 200 ms); after that it adapts (RFC 6298) between MinRTO (default 20 ms)
	// and MaxRTO (default 2 s).
	RTO, MinRTO, MaxRTO time.Duration
	// Retries is how many timeouts in a row, with no frame at all from the peer, make
	// the peer count as gone (default 5).
	Retries int
	// MaxTries bounds the transmissions of one frame even while the peer answers
	// otherwise (default 8 × Retries): a line too noisy for the frame size.
	MaxTries int

	// Nonce identifies the session the initiator starts; 0 picks a random one. Tests
	// that record a session set it to get the same bytes every time.
	Nonce uint32
	// PeerName names the other side in errors (default "board" for the initiator and
	// "host" for the responder); PortName names the port (default "the port").
	PeerName, PortName string
}

func (c Config) withDefaults(r role) (Config, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxPayload, 1024)
	def(&c.Window, 32)
	def(&c.Retries, 5)
	def(&c.MaxTries, 8*c.Retries)
	if c.RxBuffer == 0 {
		c.RxBuffer = max(16<<10, proto.HeaderLen+c.MaxPayload)
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defd(&c.RTO, 200*time.Millisecond)
	defd(&c.MinRTO, 20*time.Millisecond)
	defd(&c.MaxRTO, 2*time.Second)
	if c.PeerName == "" {
		c.PeerName = map[role]string{initiator: "board", responder: "host"}[r]
	}
	if c.PortName == "" {
		c.PortName = "the port"
	}
	switch {
	case c.MaxPayload < proto.ResponseLen+1 || c.MaxPayload > proto.MaxPayload:
		return c, fmt.Errorf("link: Config.MaxPayload %d outside %d…%d", c.MaxPayload, proto.ResponseLen+1, proto.MaxPayload)
	case c.Window < 1 || c.Window > proto.MaxWindow:
		return c, fmt.Errorf("link: Config.Window %d outside 1…%d", c.Window, proto.MaxWindow)
	case c.RxBuffer < proto.HeaderLen+c.MaxPayload || c.RxBuffer > 1<<31:
		return c, fmt.Errorf("link: Config.RxBuffer %d cannot hold one frame of Config.MaxPayload %d (needs %d)", c.RxBuffer, c.MaxPayload, proto.HeaderLen+c.MaxPayload)
	case c.Retries < 1 || c.MaxTries < c.Retries+1:
		return c, fmt.Errorf("link: Config.Retries %d and MaxTries %d: need Retries ≥ 1 and MaxTries > Retries", c.Retries, c.MaxTries)
	case len(c.ChipConfig) > maxChipConfig:
		return c, fmt.Errorf("link: Config.ChipConfig is %d bytes, more than the %d a HELLO carries", len(c.ChipConfig), maxChipConfig)
	case c.MinRTO <= 0 || c.MaxRTO < c.MinRTO:
		return c, fmt.Errorf("link: Config.MinRTO %v, MaxRTO %v: need 0 < MinRTO ≤ MaxRTO", c.MinRTO, c.MaxRTO)
	}
	return c, nil
}

type role uint8

const (
	initiator role = iota + 1
	responder
)

// Message is one sequenced message received from the peer: a request (answer it with
// Reply) or a chunk of DATA.
type Message struct {
	Type    proto.Type
	Seq     uint16
	Payload []byte // owned by the caller
	gen     uint64 // the session it arrived in
}

func (m Message) String() string { return fmt.Sprintf("%v seq %d", m.Type, m.Seq) }

// Stats counts what a link did. Payload counts only the payload bytes of sequenced
// frames, first transmissions and first receptions.
type Stats struct {
	FramesSent, FramesReceived       int64 // frames of every type written and accepted
	BytesSent, BytesReceived         int64 // wire bytes written and read
	PayloadSent, PayloadReceived     int64 // payload bytes of sequenced messages, once each
	Timeouts, FastResends, Resent    int64 // retransmissions: after a timeout, at once, all
	Polls                            int64 // ACKs with FlagPoll: asking for room in the peer's buffer
	Damaged, Duplicates, Refused     int64 // frames received damaged, twice, refused
	DuplicateRequests, CachedReplies int64 // duplicated requests, and responses resent for them
	RTO                              time.Duration
}

// outSlot is a sequenced frame this side sent (or will send), kept until the peer
// reports it consumed; its payload is kept until it is acknowledged.
type outSlot struct {
	typ      proto.Type
	flags    proto.Flags
	payload  []byte // reused across the ring's laps
	size     int    // proto.HeaderLen + payload length, counted against the peer's buffer
	acked    bool
	sends    int       // transmissions so far
	order    uint64    // link-wide transmission counter at the last transmission
	sentAt   time.Time // start of the last transmission
	due      bool      // to be (re)transmitted as soon as the writer can
	silent   int       // timeouts in a row with nothing heard from the peer
	response bool      // a RESPONSE; ref is the request it answers
	ref      uint16
	call     *call
}

// inSlot is a sequenced frame received from the peer and not yet consumed.
type inSlot struct {
	state uint8 // inEmpty, inHeld (waiting for Next), inDone (consumed or routed)
	size  int
	flags proto.Flags
	msg   Message
}

const (
	inEmpty = iota
	inHeld
	inDone
)

type call struct {
	typ  proto.Type
	seq  uint16
	done chan struct{}
	resp []byte
	err  error
}

// Link is one side of a reliable session. Its methods may be called from any number of
// goroutines.
type Link struct {
	port io.ReadWriter
	cfg  Config
	role role
	now  func() time.Time

	wake chan struct{} // buffered(1): something for the writer to do
	wg   sync.WaitGroup

	mu   sync.Mutex
	cond *sync.Cond // broadcast on every change a waiter may be waiting for
	err  error      // terminal: set once, then every method returns it
	done chan struct{}

	// session
	established bool
	gen         uint64 // incremented when a session starts or ends
	genErr      error  // why the last session ended (responder)
	ends        int    // sessions ended so far (responder)
	nextEnds    int    // session ends Next has reported
	nonce       uint32
	peer        proto.Hello
	dialErr     error
	helloDue    bool      // initiator: send HELLO; responder: send the HELLO reply
	helloRefuse string    // responder: refuse the HELLO with this text
	helloSentAt time.Time // initiator
	helloTries  int

	// sending: seqs [peerConsumed, next) live in out; [base, next) are unacknowledged.
	next, base, peerConsumed uint16
	out                      [proto.MaxWindow]outSlot
	outBytes                 int
	order                    uint64
	calls                    map[uint16]*call
	lastHeard                time.Time
	srtt, rttvar, rto        time.Duration
	creditAt                 time.Time // when peerConsumed last moved, or the last poll
	polls                    int       // polls in a row with nothing heard from the peer
	pollDue                  bool

	// receiving: seqs [consumed, expected) are received; out of order ones beyond.
	expected, consumed uint16
	in                 [proto.MaxWindow]inSlot
	inBytes            int
	ackDue             bool
	nacks              []proto.Nack

	stats Stats
}

// Dial starts a session as the initiator (the host): it says HELLO on port and waits for
// the responder's answer, retransmitting as configured. The link owns port from now on,
// also when Dial fails (it is then closed).
func Dial(ctx context.Context, port io.ReadWriter, cfg Config) (*Link, error) {
	l, err := newLink(port, cfg, initiator)
	if err != nil {
		closePort(port)
		return nil, err
	}
	if l.cfg.Nonce == 0 {
		var b [4]byte
		_, _ = rand.Read(b[:])
		l.cfg.Nonce = binary.LittleEndian.Uint32(b[:]) | 1
	}
	l.nonce = l.cfg.Nonce
	l.helloDue = true
	l.start()
	if err := l.waitSession(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Accept serves as the responder (the board): it waits for the initiator's HELLO,
// answers it and returns the link. Later HELLOs with a new nonce start new sessions on
// the same link (Next then reports ErrSessionReset once). The link owns port from now
// on, also when Accept fails.
func Accept(ctx context.Context, port io.ReadWriter, cfg Config) (*Link, error) {
	l, err := newLink(port, cfg, responder)
	if err != nil {
		closePort(port)
		return nil, err
	}
	l.start()
	if err := l.waitSession(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func newLink(port io.ReadWriter, cfg Config, r role) (*Link, error) {
	cfg, err := cfg.withDefaults(r)
	if err != nil {
		return nil, err
	}
	l := &Link{
		port:  port,
		cfg:   cfg,
		role:  r,
		now:   time.Now,
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
		calls: make(map[uint16]*call),
		rto:   cfg.RTO,
	}
	l.cond = sync.NewCond(&l.mu)
	return l, nil
}

func (l *Link) start() {
	l.wg.Add(2)
	go l.readLoop()
	go l.writeLoop()
}

func (l *Link) waitSession(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	stop := l.wakeOnDone(ctx)
	defer stop()
	for !l.established {
		switch {
		case l.err != nil:
			return l.err
		case l.dialErr != nil:
			return l.dialErr
		case ctx.Err() != nil:
			if l.role == initiator {
				return newError(ErrTimeout, ctx.Err(), "no %s answered HELLO on %s (%v); check the port, the baud rate and that the firmware is running", l.cfg.PeerName, l.cfg.PortName, ctx.Err())
			}
			return fmt.Errorf("link: no HELLO from the %s on %s: %w", l.cfg.PeerName, l.cfg.PortName, ctx.Err())
		}
		l.cond.Wait()
	}
	return nil
}

// wakeOnDone makes a cancelled ctx wake the waiters on l.cond. Called with l.mu held.
func (l *Link) wakeOnDone(ctx context.Context) func() bool {
	return context.AfterFunc(ctx, func() {
		l.mu.Lock()
		l.cond.Broadcast()
		l.mu.Unlock()
	})
}

// Peer returns what the peer said in its HELLO. Its Config must not be modified.
func (l *Link) Peer() proto.Hello {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peer
}

// Stats returns the link's counters so far.
func (l *Link) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.RTO = l.rto
	return s
}

// Done is closed when the link has failed or was closed; Err then says why.
func (l *Link) Done() <-chan struct{} { return l.done }

// Err returns why the link ended, or nil while it works.
func (l *Link) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close ends the link: pending and later calls return ErrClosed, the port is closed and
// both goroutines have ended when Close returns. It is safe to call more than once.
func (l *Link) Close() error {
	l.fail(newError(ErrClosed, nil, "the link to the %s on %s is closed", l.cfg.PeerName, l.cfg.PortName))
	l.wg.Wait()
	return nil
}

// fail ends the link with err if it has not ended yet, and releases the port so the
// goroutines stop.
func (l *Link) fail(err error) {
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return
	}
	l.err = err
	close(l.done)
	for seq, c := range l.calls {
		c.err = err
		close(c.done)
		delete(l.calls, seq)
	}
	l.cond.Broadcast()
	l.mu.Unlock()
	closePort(l.port)
}

func closePort(port io.ReadWriter) {
	if c, ok := port.(io.Closer); ok {
		_ = c.Close()
		return
	}
	if d, ok := port.(interface{ SetReadDeadline(time.Time) error }); ok {
		_ = d.SetReadDeadline(time.Unix(1, 0))
	}
	if d, ok := port.(interface{ SetWriteDeadline(time.Time) error }); ok {
		_ = d.SetWriteDeadline(time.Unix(1, 0))
	}
}

// endSession (responder) drops the current session after err: pending calls and sends
// fail with err, Next reports it once, and the link waits for a new HELLO.
func (l *Link) endSession(err error) {
	l.established = false
	l.gen++
	l.ends++
	l.genErr = err
	for seq, c := range l.calls {
		c.err = err
		close(c.done)
		delete(l.calls, seq)
	}
	l.cond.Broadcast()
}

// startSession resets both streams for the session the peer's HELLO h describes.
func (l *Link) startSession(h proto.Hello) {
	l.peer = h
	l.peer.Config = append([]byte(nil), h.Config...)
	l.nonce = h.Nonce
	l.next, l.base, l.peerConsumed = 0, 0, 0
	l.expected, l.consumed = 0, 0
	for i := range l.out {
		l.out[i] = outSlot{payload: l.out[i].payload[:0]}
	}
	for i := range l.in {
		l.in[i] = inSlot{}
	}
	l.outBytes, l.inBytes = 0, 0
	l.ackDue, l.nacks = false, l.nacks[:0]
	l.established = true
	l.gen++
	l.cond.Broadcast()
}

// sessionEnded is the error for work of a session that has ended. Called with l.mu held.
func (l *Link) sessionEnded() error {
	if l.genErr != nil {
		return l.genErr
	}
	return newError(ErrSessionReset, nil, "the session with the %s ended", l.cfg.PeerName)
}

func (l *Link) signalWriter() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// enqueue adds a sequenced frame to the send window once the window and the peer's
// buffer have room, and returns its seq. c, if set, waits for the response.
//
// gen is the session the frame belongs to (0: the current one); if that session has
// ended, enqueue fails with the reason.
func (l *Link) enqueue(ctx context.Context, gen uint64, typ proto.Type, flags proto.Flags, payload []byte, c *call, ref uint16) (uint16, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var stop func() bool
	if gen == 0 {
		gen = l.gen
	}
	size := proto.HeaderLen + len(payload)
	for {
		switch {
		case l.err != nil:
			return 0, l.err
		case l.gen != gen:
			return 0, l.sessionEnded()
		case !l.established:
			return 0, newError(ErrNoSession, nil, "no session with the %s yet; wait for its HELLO", l.cfg.PeerName)
		case len(payload) > int(l.peer.MaxPayload):
			return 0, newError(ErrTooLarge, nil, "%d-byte %v exceeds the %s's maximum payload of %d bytes; split it", len(payload), typ, l.cfg.PeerName, l.peer.MaxPayload)
		case ctx.Err() != nil:
			return 0, fmt.Errorf("link: %v waiting for room in the %s's receive buffer: %w", typ, l.cfg.PeerName, ctx.Err())
		}
		if int(l.next-l.peerConsumed) < int(l.peer.Window) && l.outBytes+size <= int(l.peer.RxBuffer) {
			break
		}
		if stop == nil {
			stop = l.wakeOnDone(ctx)
			defer stop()
		}
		l.cond.Wait()
	}
	seq := l.next
	s := &l.out[seq%proto.MaxWindow]
	*s = outSlot{typ: typ, flags: flags, payload: append(s.payload[:0], payload...), size: size, due: true, response: typ == proto.TypeResponse, ref: ref, call: c}
	l.next++
	l.outBytes += size
	l.stats.PayloadSent += int64(len(payload))
	if c != nil {
		c.seq = seq
		l.calls[seq] = c
	}
	l.signalWriter()
	return seq, nil
}

// Call sends a request of type t (a proto.KindRequest type) and waits for the peer's
// response. A request that failed on the peer returns a *RemoteError (ErrRemote).
func (l *Link) Call(ctx context.Context, t proto.Type, req []byte) ([]byte, error) {
	p, err := l.Start(ctx, t, req)
	if err != nil {
		return nil, err
	}
	return p.Wait(ctx)
}

// Pending is a request sent by Start whose response may not have arrived yet.
type Pending struct {
	l *Link
	c *call
	// Seq is the request's sequence number; DATA that belongs to the request (a RUN's
	// inputs) can name it.
	Seq uint16
}

// Start sends a request of type t like Call, but returns as soon as the request is in
// the send window: requests started one after the other are pipelined in that order,
// and the peer executes them in that order. Wait collects the response.
func (l *Link) Start(ctx context.Context, t proto.Type, req []byte) (*Pending, error) {
	if t.Kind() != proto.KindRequest {
		return nil, fmt.Errorf("link: Call: %v is not a request type; use one of proto's request types", t)
	}
	c := &call{typ: t, done: make(chan struct{})}
	seq, err := l.enqueue(ctx, 0, t, 0, req, c, 0)
	if err != nil {
		return nil, err
	}
	return &Pending{l: l, c: c, Seq: seq}, nil
}

// Done is closed when the response has arrived or the request has failed.
func (p *Pending) Done() <-chan struct{} { return p.c.done }

// Wait waits for the response. A request that failed on the peer returns a
// *RemoteError (ErrRemote). If ctx ends first, the response is abandoned.
func (p *Pending) Wait(ctx context.Context) ([]byte, error) {
	select {
	case <-p.c.done:
		return p.c.resp, p.c.err
	case <-ctx.Done():
		l := p.l
		l.mu.Lock()
		if l.calls[p.Seq] == p.c {
			delete(l.calls, p.Seq)
		}
		l.mu.Unlock()
		return nil, fmt.Errorf("link: %v seq %d: gave up waiting for the %s's response (it may still run): %w", p.c.typ, p.Seq, l.cfg.PeerName, ctx.Err())
	}
}

// Send queues one chunk of the DATA stream. It returns once the chunk is in the send
// window (blocking while the peer's receive buffer is full), not when it is
// acknowledged; Flush waits for that.
func (l *Link) Send(ctx context.Context, payload []byte) error {
	_, err := l.enqueue(ctx, 0, proto.TypeData, 0, payload, nil, 0)
	return err
}

// SendFor queues one chunk of the DATA stream like Send, in the session that the
// request m arrived in: if that session has ended (the host said HELLO again), it fails
// with the reason instead of sending into the new session. A responder streaming the
// results of a request uses it, as Reply does for the response.
func (l *Link) SendFor(ctx context.Context, m Message, payload []byte) error {
	_, err := l.enqueue(ctx, m.gen, proto.TypeData, 0, payload, nil, 0)
	return err
}

// Flush waits until the peer has acknowledged every frame sent so far.
func (l *Link) Flush(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	stop := l.wakeOnDone(ctx)
	defer stop()
	gen := l.gen
	for l.base != l.next {
		switch {
		case l.err != nil:
			return l.err
		case l.gen != gen:
			return l.sessionEnded()
		case ctx.Err() != nil:
			return fmt.Errorf("link: flush: %d frames still unacknowledged by the %s: %w", l.next-l.base, l.cfg.PeerName, ctx.Err())
		}
		l.cond.Wait()
	}
	return nil
}

// Next returns the next request or DATA chunk from the peer, in order, and frees its
// room in the receive buffer. On a responder it returns ErrSessionReset or ErrTimeout
// once when a session ends (a new HELLO, or the host stopped answering); the link then
// serves the next session, so a firmware loop just continues.
func (l *Link) Next(ctx context.Context) (Message, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var stop func() bool
	for {
		if l.nextEnds != l.ends {
			l.nextEnds = l.ends
			return Message{}, l.genErr
		}
		if l.err != nil {
			return Message{}, l.err
		}
		if l.established {
			for seq := l.consumed; seq != l.expected; seq++ {
				s := &l.in[seq%proto.MaxWindow]
				if s.state == inHeld {
					m := s.msg
					m.gen = l.gen
					s.state, s.msg = inDone, Message{}
					l.advanceConsumed()
					return m, nil
				}
			}
		}
		if ctx.Err() != nil {
			return Message{}, fmt.Errorf("link: waiting for a message from the %s: %w", l.cfg.PeerName, ctx.Err())
		}
		if stop == nil {
			stop = l.wakeOnDone(ctx)
			defer stop()
		}
		l.cond.Wait()
	}
}

// Reply answers the request req (from Next) with body, or, if fail is not nil, with
// fail's text as a failed request (the caller gets a *RemoteError). The response is
// cached and resent until the peer acknowledges it, so a handler runs once per request
// whatever the line does.
func (l *Link) Reply(ctx context.Context, req Message, body []byte, fail error) error {
	if req.Type.Kind() != proto.KindRequest {
		return fmt.Errorf("link: Reply to %v: only requests are answered", req)
	}
	flags := proto.Flags(0)
	if fail != nil {
		flags, body = proto.FlagError, []byte(fail.Error())
	}
	l.mu.Lock()
	peerMax := int(l.peer.MaxPayload)
	l.mu.Unlock()
	var tooLarge error
	if proto.ResponseLen+len(body) > peerMax {
		if fail == nil {
			tooLarge = newError(ErrTooLarge, nil, "response of %d bytes to %v exceeds the %s's maximum payload of %d bytes; split it", len(body), req, l.cfg.PeerName, peerMax)
			flags, body = proto.FlagError, []byte(tooLarge.Error())
		}
		body = body[:max(0, peerMax-proto.ResponseLen)]
	}
	_, err := l.enqueue(ctx, req.gen, proto.TypeResponse, flags, proto.AppendResponse(nil, req.Seq, body), nil, req.Seq)
	if err == nil {
		err = tooLarge
	}
	return err
}

// Handler answers one request from the peer, or consumes one DATA chunk that arrived
// outside any request (its response is then ignored).
type Handler func(ctx context.Context, m Message) ([]byte, error)

// Serve answers requests with h until ctx is done or the link fails, continuing across
// sessions; it returns the reason it stopped.
func (l *Link) Serve(ctx context.Context, h Handler) error {
	for {
		m, err := l.Next(ctx)
		if errors.Is(err, ErrSessionReset) || (errors.Is(err, ErrTimeout) && l.Err() == nil) {
			continue
		}
		if err != nil {
			return err
		}
		body, herr := h(ctx, m)
		if m.Type.Kind() != proto.KindRequest {
			continue
		}
		if err := l.Reply(ctx, m, body, herr); err != nil && !errors.Is(err, ErrTooLarge) {
			if errors.Is(err, ErrSessionReset) || (errors.Is(err, ErrTimeout) && l.Err() == nil) {
				continue
			}
			return err
		}
	}
}

// isTimeout reports whether a port read error only says that no byte came in time.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ErrTimeout) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
