package link

import "fmt"

// DebugState describes the windows, for failing tests.
func (l *Link) DebugState() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := fmt.Sprintf("est=%v next=%d base=%d peerConsumed=%d outBytes=%d expected=%d consumed=%d inBytes=%d ackDue=%v pollDue=%v polls=%d nacks=%d calls=%d rto=%v\n",
		l.established, l.next, l.base, l.peerConsumed, l.outBytes, l.expected, l.consumed, l.inBytes, l.ackDue, l.pollDue, l.polls, len(l.nacks), len(l.calls), l.rto)
	for seq := l.peerConsumed; seq != l.next; seq++ {
		o := l.out[seq%64]
		s += fmt.Sprintf("  out %d %v acked=%v due=%v sends=%d silent=%d\n", seq, o.typ, o.acked, o.due, o.sends, o.silent)
	}
	for seq := l.consumed; seq != l.consumed+uint16(l.cfg.Window); seq++ {
		i := l.in[seq%64]
		if i.state != 0 {
			s += fmt.Sprintf("  in %d state=%d %v\n", seq, i.state, i.msg.Type)
		}
	}
	return s
}
