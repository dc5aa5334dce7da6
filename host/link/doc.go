// Package link owns the reliable session between host and board over a byte stream:
// the HELLO handshake, sequence numbers, acknowledgements, retransmission, duplicate
// suppression and flow control, on top of the frames of package proto. It knows
// nothing of chips: the command layer defines request and data payloads and the
// handlers that answer them.
//
// One Link runs over one port, any io.ReadWriter, which the link owns from Dial or
// Accept on. Two goroutines serve it, one reading and one writing, so a port's Read and
// Write are called concurrently and never each from two goroutines. Close closes the
// port if it is an io.Closer (otherwise it sets a past read deadline if the port has
// SetReadDeadline) and waits for both goroutines to end.
//
// The initiator (the host) says HELLO with Dial; the responder (the board, or the
// firmware simulator) answers with Accept. After that the link is symmetric: each side
// has a reliable, ordered stream of sequenced frames to the other, and:
//
//   - every sequenced frame is acknowledged; one not acknowledged within the
//     retransmission timeout (adaptive, from measured round trips) is sent again, and
//     one that a later-sent frame overtook, or that a NACK reports damaged, is sent
//     again at once; after Config.Retries timeouts with no sign of life from the peer
//     the link fails with ErrTimeout, naming the message that got no answer;
//   - a receiver drops duplicates by sequence number, so no request is handed to the
//     application twice; the answer to a duplicated request is the cached response,
//     resent, never a second execution;
//   - a sender never has more bytes or frames outstanding than the receiver advertised
//     in its HELLO (its receive buffer), counting a frame until the receiver reports it
//     consumed, so a board with a small buffer is never overrun;
//   - requests (Call) are answered by exactly one RESPONSE (Reply); DATA (Send, Next)
//     is an ordered stream of chunks whose meaning the command layer defines.
//
// Message payloads returned by Next and Call belong to the caller. Payloads passed to
// Send, Call and Reply are copied before those return; the caller may reuse them.
package link
