package link

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/glemu/glemu/host/proto"
)

// maxChipConfig bounds Config.ChipConfig, so that a HELLO always fits the receive
// buffer of a peer whose limits are not known yet.
const maxChipConfig = 1024

// readLoop turns the bytes of the port into frames and hands them to handleFrame. It
// resynchronises at the next delimiter after a damaged or overlong frame.
func (l *Link) readLoop() {
	defer l.wg.Done()
	frameMax := proto.MaxFrameLen(max(l.cfg.MaxPayload, proto.HelloLen+maxChipConfig))
	buf := make([]byte, 2*frameMax)
	start, end := 0, 0
	skipping := false // inside an overlong frame: drop bytes up to the next delimiter
	for {
		if end == len(buf) {
			if start > 0 {
				end = copy(buf, buf[start:end])
				start = 0
			} else {
				// No delimiter in a whole buffer: noise, or a peer ignoring our limits.
				start, end, skipping = 0, 0, true
				l.mu.Lock()
				l.damaged()
				l.mu.Unlock()
			}
		}
		n, err := l.port.Read(buf[end:])
		end += n
		if n > 0 {
			l.mu.Lock()
			l.stats.BytesReceived += int64(n)
			l.mu.Unlock()
		}
		var k int
		k, skipping = l.parse(buf[start:end], skipping)
		start += k
		if start == end {
			start, end = 0, 0
		}
		if err != nil {
			if isTimeout(err) && l.Err() == nil {
				continue
			}
			l.fail(l.lost(err))
			return
		}
	}
}

// parse hands every complete frame in buf to handleFrame and returns how many bytes it
// used; skipping says whether buf starts inside an overlong frame, to be dropped up to
// the next delimiter. ParseFrame decodes in place, so buf is overwritten.
func (l *Link) parse(buf []byte, skipping bool) (int, bool) {
	used := 0
	for used < len(buf) {
		if skipping {
			i := bytes.IndexByte(buf[used:], proto.Delimiter)
			if i < 0 {
				return len(buf), true
			}
			used += i + 1
			skipping = false
			continue
		}
		f, m, perr := proto.ParseFrame(buf[used:])
		if errors.Is(perr, proto.ErrIncomplete) {
			break
		}
		used += m
		l.handleFrame(f, perr)
	}
	return used, skipping
}

// lost is the error for a port that failed with err.
func (l *Link) lost(err error) error {
	restart := "host program"
	if l.role == initiator {
		restart = "firmware"
	}
	return newError(ErrDisconnected, err, "lost the %s on %s: %v; check the cable or restart the %s, then reconnect and restore from a snapshot to resume", l.cfg.PeerName, l.cfg.PortName, err, restart)
}

// writeLoop writes control frames, retransmissions and new frames, in that order, and
// runs the retransmission timers.
func (l *Link) writeLoop() {
	defer l.wg.Done()
	buf := make([]byte, 0, proto.MaxFrameLen(proto.MaxPayload))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		l.mu.Lock()
		if l.err != nil {
			l.mu.Unlock()
			return
		}
		now := l.now()
		wait, fatal := l.checkTimers(now)
		if fatal != nil {
			l.mu.Unlock()
			l.fail(fatal)
			return
		}
		buf = l.nextFrame(buf[:0], now)
		l.mu.Unlock()
		if len(buf) > 0 {
			if _, err := l.port.Write(buf); err != nil {
				l.fail(l.lost(err))
				return
			}
			continue
		}
		if wait <= 0 {
			wait = time.Hour
		}
		timer.Reset(wait)
		select {
		case <-l.wake:
		case <-timer.C:
		case <-l.done:
			return
		}
	}
}

// rtoFor is the timeout of a frame, backed off while the peer is silent.
func (l *Link) rtoFor(silent int) time.Duration {
	return min(l.rto<<min(silent, 6), l.cfg.MaxRTO)
}

// checkTimers marks timed-out frames for retransmission and returns how long until the
// next timer expires (0: none), or a fatal error. Called with l.mu held.
func (l *Link) checkTimers(now time.Time) (time.Duration, error) {
	if l.role == initiator && !l.established {
		if l.dialErr != nil || l.helloDue || l.helloTries == 0 {
			return 0, nil
		}
		d := l.helloSentAt.Add(l.rtoFor(l.helloTries - 1))
		if now.Before(d) {
			return d.Sub(now), nil
		}
		if l.helloTries > l.cfg.Retries {
			l.dialErr = newError(ErrTimeout, nil, "no %s answered HELLO on %s after %d tries; check the port, the baud rate and that the firmware is running", l.cfg.PeerName, l.cfg.PortName, l.helloTries)
			l.cond.Broadcast()
			return 0, nil
		}
		l.helloDue = true
		return 0, nil
	}
	if !l.established {
		return 0, nil
	}
	var wait time.Duration
	if l.peerConsumed != l.base && !l.pollDue {
		// Frames acknowledged but not reported consumed: if the report got lost, poll.
		d := l.creditAt.Add(l.rtoFor(l.polls))
		if now.Before(d) {
			wait = d.Sub(now)
		} else {
			if l.lastHeard.After(l.creditAt) {
				l.polls = 0
			} else {
				l.polls++
			}
			if l.polls > l.cfg.Retries {
				err := newError(ErrTimeout, nil, "%s stopped answering after %d polls for room in its receive buffer; check the cable and that the %s is powered and running, then reconnect and restore from a snapshot to resume", l.cfg.PeerName, l.cfg.Retries, l.cfg.PeerName)
				if l.role == responder {
					l.endSession(err)
					return 0, nil
				}
				return 0, err
			}
			l.pollDue = true
			l.creditAt = now
		}
	}
	for seq := l.base; seq != l.next; seq++ {
		s := &l.out[seq%proto.MaxWindow]
		if s.acked || s.due || s.sends == 0 {
			continue
		}
		d := s.sentAt.Add(l.rtoFor(s.silent))
		if now.Before(d) {
			if w := d.Sub(now); wait == 0 || w < wait {
				wait = w
			}
			continue
		}
		if l.lastHeard.After(s.sentAt) {
			s.silent = 0
		} else {
			s.silent++
		}
		var err error
		switch {
		case s.silent > l.cfg.Retries:
			err = newError(ErrTimeout, nil, "%s stopped answering after %d retries of %v seq %d; check the cable and that the %s is powered and running, then reconnect and restore from a snapshot to resume", l.cfg.PeerName, l.cfg.Retries, s.typ, seq, l.cfg.PeerName)
		case s.sends >= l.cfg.MaxTries:
			err = newError(ErrTimeout, nil, "%v seq %d did not get through to the %s after %d tries although the %s answers; the line is too noisy: lower the baud rate or Config.MaxPayload", s.typ, seq, l.cfg.PeerName, s.sends, l.cfg.PeerName)
		}
		if err != nil {
			if l.role == responder {
				l.endSession(err)
				return 0, nil
			}
			return 0, err
		}
		s.due = true
		l.stats.Timeouts++
	}
	return wait, nil
}

// nextFrame appends the next frame to write to buf: HELLO, NACK, ACK, then sequenced
// frames due for (re)transmission in seq order. Called with l.mu held.
func (l *Link) nextFrame(buf []byte, now time.Time) []byte {
	f := proto.Frame{Version: proto.Version}
	var scratch [proto.NackLen + 256]byte
	switch {
	case l.helloDue:
		l.helloDue = false
		f.Type = proto.TypeHello
		me := proto.Hello{Nonce: l.nonce, MaxPayload: uint16(l.cfg.MaxPayload), RxBuffer: uint32(l.cfg.RxBuffer), Window: uint16(l.cfg.Window), Config: l.cfg.ChipConfig}
		if l.role == initiator {
			l.helloTries++
			l.helloSentAt = now
			f.Payload = proto.AppendHello(scratch[:0], me)
		} else if l.helloRefuse != "" {
			f.Flags = proto.FlagReply | proto.FlagError
			f.Payload = []byte(l.helloRefuse)
		} else {
			f.Flags = proto.FlagReply
			f.Payload = proto.AppendHello(scratch[:0], me)
		}
	case len(l.nacks) > 0:
		n := l.nacks[0]
		l.nacks = append(l.nacks[:0], l.nacks[1:]...)
		n.Ack = l.ackState()
		l.ackDue = false
		f.Type = proto.TypeNack
		f.Payload = proto.AppendNack(scratch[:0], n)
	case (l.ackDue || l.pollDue) && l.established:
		if l.pollDue {
			f.Flags = proto.FlagPoll
			l.stats.Polls++
		}
		l.ackDue, l.pollDue = false, false
		f.Type = proto.TypeAck
		f.Payload = proto.AppendAck(scratch[:0], l.ackState())
	case l.established:
		for seq := l.base; seq != l.next; seq++ {
			s := &l.out[seq%proto.MaxWindow]
			if s.acked || !s.due {
				continue
			}
			s.due = false
			s.sends++
			if s.sends > 1 {
				l.stats.Resent++
			}
			l.order++
			s.order, s.sentAt = l.order, now
			f.Type, f.Flags, f.Seq, f.Payload = s.typ, s.flags, seq, s.payload
			break
		}
	}
	if f.Type == 0 {
		return buf
	}
	buf = proto.AppendFrame(buf, f)
	l.stats.FramesSent++
	l.stats.BytesSent += int64(len(buf))
	return buf
}

// ackState is this side's receive state. Called with l.mu held.
func (l *Link) ackState() proto.Ack {
	a := proto.Ack{Next: l.expected, Consumed: l.consumed}
	for i := 0; int(l.expected-l.consumed)+1+i < l.cfg.Window; i++ {
		if l.in[(l.expected+1+uint16(i))%proto.MaxWindow].state != inEmpty {
			a.SACK |= 1 << i
		}
	}
	return a
}

// handleFrame acts on one frame from the port, or on the error parsing it.
func (l *Link) handleFrame(f proto.Frame, perr error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	now := l.now()
	switch {
	case perr == nil:
	case errors.Is(perr, proto.ErrEmpty):
		return
	case errors.Is(perr, proto.ErrVersion):
		l.versionMismatch(f, perr)
		return
	default:
		l.damaged()
		return
	}
	l.stats.FramesReceived++
	l.lastHeard = now
	switch f.Type {
	case proto.TypeHello:
		l.onHello(f)
	case proto.TypeAck:
		if a, err := proto.ParseAck(f.Payload); err == nil && l.established {
			l.onAck(a, now)
			if f.Flags&proto.FlagPoll != 0 {
				l.ackDue = true
				l.signalWriter()
			}
		}
	case proto.TypeNack:
		if n, err := proto.ParseNack(f.Payload); err == nil && l.established {
			l.onNack(n, now)
		}
	default:
		l.receive(f)
	}
}

func (l *Link) damaged() {
	l.stats.Damaged++
	if !l.established {
		return
	}
	if k := len(l.nacks); k > 0 && l.nacks[k-1].Reason == proto.ReasonDamaged {
		return
	}
	l.queueNack(proto.Nack{Seq: l.expected, Reason: proto.ReasonDamaged})
}

func (l *Link) queueNack(n proto.Nack) {
	if len(l.nacks) < 8 {
		l.nacks = append(l.nacks, n)
		l.signalWriter()
	}
}

func (l *Link) versionMismatch(f proto.Frame, perr error) {
	l.stats.Damaged++
	if l.role == responder {
		if f.Type == proto.TypeHello {
			l.helloRefuse = fmt.Sprintf("the board speaks protocol version %d, the host sent version %d; update the host software or the board firmware so they match", proto.Version, f.Version)
			l.helloDue = true
			l.signalWriter()
		}
		return
	}
	err := newError(ErrVersionMismatch, perr, "the %s on %s speaks protocol version %d, this host speaks %d; update glemu or the board firmware so they match", l.cfg.PeerName, l.cfg.PortName, f.Version, proto.Version)
	if !l.established {
		l.dialErr = err
		l.cond.Broadcast()
		return
	}
	l.failLater(err)
}

func (l *Link) onHello(f proto.Frame) {
	if l.role == initiator {
		if f.Flags&proto.FlagReply == 0 || l.established || l.dialErr != nil {
			return
		}
		if f.Flags&proto.FlagError != 0 {
			l.dialErr = newError(ErrIncompatible, nil, "the %s on %s refused the session: %s", l.cfg.PeerName, l.cfg.PortName, printable(f.Payload))
			l.cond.Broadcast()
			return
		}
		h, err := proto.ParseHello(f.Payload)
		if err != nil {
			l.dialErr = newError(ErrIncompatible, err, "the %s on %s sent a malformed HELLO (%v); update the board firmware", l.cfg.PeerName, l.cfg.PortName, err)
			l.cond.Broadcast()
			return
		}
		if h.Nonce != l.nonce {
			return // an answer to an older HELLO
		}
		if l.cfg.Check != nil {
			if err := l.cfg.Check(h); err != nil {
				l.dialErr = newError(ErrIncompatible, err, "the %s on %s does not suit this host: %v", l.cfg.PeerName, l.cfg.PortName, err)
				l.cond.Broadcast()
				return
			}
		}
		l.startSession(h)
		return
	}
	if f.Flags&proto.FlagReply != 0 {
		return
	}
	h, err := proto.ParseHello(f.Payload)
	switch {
	case err != nil:
		l.helloRefuse = fmt.Sprintf("the board could not read the host's HELLO (%v); update the host software or the board firmware so they match", err)
	case l.established && h.Nonce == l.nonce:
		l.helloRefuse = "" // the initiator missed our answer: say it again
	default:
		if l.cfg.Check != nil {
			if err := l.cfg.Check(h); err != nil {
				l.helloRefuse = fmt.Sprintf("the board refuses this host: %v", err)
				if len(l.helloRefuse) > maxChipConfig {
					l.helloRefuse = l.helloRefuse[:maxChipConfig]
				}
				break
			}
		}
		if l.established {
			l.endSession(newError(ErrSessionReset, nil, "the %s started a new session; the old one's work is abandoned", l.cfg.PeerName))
		}
		l.helloRefuse = ""
		l.startSession(h)
	}
	l.helloDue = true
	l.signalWriter()
}

func printable(b []byte) string {
	return fmt.Sprintf("%q", b)[1 : len(fmt.Sprintf("%q", b))-1]
}

// onAck applies the peer's receive state to the send window. Called with l.mu held.
func (l *Link) onAck(a proto.Ack, now time.Time) {
	var maxOrder uint64
	ack := func(seq uint16) {
		s := &l.out[seq%proto.MaxWindow]
		if s.acked || s.sends == 0 {
			return
		}
		s.acked, s.due = true, false
		if s.sends == 1 {
			l.sampleRTT(now.Sub(s.sentAt))
		}
		maxOrder = max(maxOrder, s.order)
	}
	inflight := l.next - l.base
	if a.Next-l.base <= inflight {
		for seq := l.base; seq != a.Next; seq++ {
			ack(seq)
		}
		for i := 0; i < 64; i++ {
			if seq := a.Next + 1 + uint16(i); a.SACK>>i&1 == 1 && seq-l.base < inflight {
				ack(seq)
			}
		}
	}
	for l.base != l.next && l.out[l.base%proto.MaxWindow].acked {
		l.base++
	}
	if a.Consumed-l.peerConsumed <= l.base-l.peerConsumed {
		if l.peerConsumed != a.Consumed {
			l.creditAt, l.polls = now, 0
		}
		for l.peerConsumed != a.Consumed {
			l.outBytes -= l.out[l.peerConsumed%proto.MaxWindow].size
			l.peerConsumed++
		}
	}
	if maxOrder > 0 {
		// The line keeps order: a frame sent before one that arrived is lost.
		for seq := l.base; seq != l.next; seq++ {
			s := &l.out[seq%proto.MaxWindow]
			if !s.acked && !s.due && s.sends > 0 && s.order < maxOrder {
				s.due = true
				l.stats.FastResends++
			}
		}
	}
	l.signalWriter()
	l.cond.Broadcast()
}

// sampleRTT updates the retransmission timeout from one round trip (RFC 6298).
func (l *Link) sampleRTT(r time.Duration) {
	if l.srtt == 0 {
		l.srtt, l.rttvar = r, r/2
	} else {
		diff := l.srtt - r
		if diff < 0 {
			diff = -diff
		}
		l.rttvar = (3*l.rttvar + diff) / 4
		l.srtt = (7*l.srtt + r) / 8
	}
	l.rto = min(max(l.srtt+max(4*l.rttvar, time.Millisecond), l.cfg.MinRTO), l.cfg.MaxRTO)
}

func (l *Link) onNack(n proto.Nack, now time.Time) {
	l.onAck(n.Ack, now)
	switch n.Reason {
	case proto.ReasonDamaged:
		// The damaged frame is most likely the first one sent after those the state covers.
		var first *outSlot
		for seq := l.base; seq != l.next; seq++ {
			s := &l.out[seq%proto.MaxWindow]
			if !s.acked && !s.due && s.sends > 0 && (first == nil || s.order < first.order) {
				first = s
			}
		}
		if first != nil {
			first.due = true
			l.stats.FastResends++
			l.signalWriter()
		}
	case proto.ReasonRefused:
		if n.Seq-l.base >= l.next-l.base {
			return
		}
		s := &l.out[n.Seq%proto.MaxWindow]
		s.acked, s.due = true, false
		err := newError(ErrRefused, nil, "the %s refused %v seq %d: %s", l.cfg.PeerName, s.typ, n.Seq, n.Text)
		if c := l.calls[n.Seq]; c != nil {
			c.err = err
			close(c.done)
			delete(l.calls, n.Seq)
			return
		}
		l.failLater(err)
	case proto.ReasonNoSession:
		if l.role == initiator {
			l.failLater(newError(ErrSessionLost, nil, "the %s on %s no longer knows this session (it was reset or restarted); reconnect and restore from a snapshot to resume", l.cfg.PeerName, l.cfg.PortName))
		}
	}
}

// failLater fails the link from a new goroutine, since l.mu is held.
func (l *Link) failLater(err error) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.fail(err)
	}()
}

// receive takes in a sequenced frame. Called with l.mu held.
func (l *Link) receive(f proto.Frame) {
	if !l.established {
		if l.role == responder {
			l.queueNack(proto.Nack{Seq: f.Seq, Type: f.Type, Reason: proto.ReasonNoSession})
		}
		return
	}
	l.ackDue = true
	l.signalWriter()
	window := uint16(l.cfg.Window)
	s := &l.in[f.Seq%proto.MaxWindow]
	if f.Seq-l.consumed >= window || f.Seq-l.consumed < l.expected-l.consumed || s.state != inEmpty {
		l.stats.Duplicates++
		if f.Type.Kind() == proto.KindRequest {
			l.duplicateRequest(f.Seq)
		}
		return
	}
	refuse := ""
	switch {
	case f.Type.Kind() == proto.KindUnknown:
		refuse = fmt.Sprintf("unknown message type 0x%02x; update the %s", uint8(f.Type), map[role]string{initiator: "host software", responder: "board firmware"}[l.role])
	case len(f.Payload) > l.cfg.MaxPayload:
		refuse = fmt.Sprintf("%d-byte payload exceeds the maximum of %d announced in HELLO", len(f.Payload), l.cfg.MaxPayload)
	}
	if refuse != "" {
		l.stats.Refused++
		s.state, s.size = inDone, 0
		l.queueNack(proto.Nack{Seq: f.Seq, Type: f.Type, Reason: proto.ReasonRefused, Text: refuse})
	} else {
		size := proto.HeaderLen + len(f.Payload)
		if l.inBytes+size > l.cfg.RxBuffer {
			l.stats.Refused++ // the sender ignored our buffer size; it will resend
			return
		}
		l.inBytes += size
		l.stats.PayloadReceived += int64(len(f.Payload))
		s.state, s.size, s.flags = inHeld, size, f.Flags
		s.msg = Message{Type: f.Type, Seq: f.Seq, Payload: append([]byte(nil), f.Payload...)}
	}
	for l.expected-l.consumed < window {
		s := &l.in[l.expected%proto.MaxWindow]
		if s.state == inEmpty {
			break
		}
		if s.state == inHeld && s.msg.Type.Kind() == proto.KindResponse {
			l.route(s.msg, s.flags)
			s.state, s.msg = inDone, Message{}
		}
		l.expected++
	}
	l.advanceConsumed()
	l.cond.Broadcast()
}

// route hands a response to the call waiting for it. Called with l.mu held.
func (l *Link) route(m Message, flags proto.Flags) {
	ref, body, err := proto.ParseResponse(m.Payload)
	if err != nil {
		return
	}
	c := l.calls[ref]
	if c == nil {
		return // the caller gave up
	}
	delete(l.calls, ref)
	c.resp = body
	if flags&proto.FlagError != 0 {
		c.resp, c.err = nil, &RemoteError{Peer: l.cfg.PeerName, Type: c.typ, Seq: ref, Message: string(body)}
	}
	close(c.done)
}

// duplicateRequest resends the cached response to a request received twice, if it is
// ready and not yet acknowledged. Called with l.mu held.
func (l *Link) duplicateRequest(seq uint16) {
	l.stats.DuplicateRequests++
	for q := l.base; q != l.next; q++ {
		s := &l.out[q%proto.MaxWindow]
		if s.response && s.ref == seq && !s.acked && s.sends > 0 && !s.due {
			s.due = true
			l.stats.CachedReplies++
			return
		}
	}
}

// advanceConsumed moves the consumed mark over consumed frames. Called with l.mu held.
func (l *Link) advanceConsumed() {
	for l.consumed != l.expected {
		s := &l.in[l.consumed%proto.MaxWindow]
		if s.state != inDone {
			break
		}
		l.inBytes -= s.size
		*s = inSlot{}
		l.consumed++
		l.ackDue = true
		l.signalWriter()
	}
}
