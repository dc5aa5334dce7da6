package link

import (
	"bytes"
	"testing"

	"github.com/glemu/glemu/host/proto"
)

type nullPort struct{}

func (nullPort) Read([]byte) (int, error)    { select {} }
func (nullPort) Write(b []byte) (int, error) { return len(b), nil }

// FuzzReceive feeds arbitrary bytes to both roles in a session: they never panic, and
// every message they accept is one of the intact frames in the input (its CRC checked
// by an independent decoding of the input), so no request runs from a damaged frame.
func FuzzReceive(f *testing.F) {
	frame := func(t proto.Type, seq uint16, p string) []byte {
		return proto.AppendFrame(nil, proto.Frame{Version: proto.Version, Type: t, Seq: seq, Payload: []byte(p)})
	}
	f.Add(frame(proto.TypeRequest, 0, "ping"))
	f.Add(append(frame(proto.TypeData, 1, "a"), frame(proto.TypeData, 0, "b")...))
	f.Add(append(frame(proto.TypeRun, 0, "x"), frame(proto.TypeRun, 0, "x")...))
	f.Add(frame(proto.TypeResponse, 0, "\x00\x00ok"))
	f.Add(frame(proto.TypeAck, 0, "\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add(frame(proto.TypeHello, 0, "\x02\x00\x00\x00\x40\x00\x00\x04\x00\x00\x08\x00"))
	f.Add([]byte{0x05, 0x01, 0x10, 0x00, 0xff, 0x00})
	f.Fuzz(func(t *testing.T, input []byte) {
		intact := map[string]bool{}
		for _, chunk := range bytes.Split(input, []byte{0}) {
			raw, err := proto.DecodeCOBS(nil, chunk)
			if err != nil {
				continue
			}
			if fr, err := proto.DecodeFrame(raw); err == nil {
				intact[string(proto.AppendFrame(nil, fr))] = true
			}
		}
		for _, r := range []role{initiator, responder} {
			l, err := newLink(nullPort{}, Config{MaxPayload: 64, RxBuffer: 1024, Window: 8}, r)
			if err != nil {
				t.Fatal(err)
			}
			l.nonce = 1
			l.startSession(proto.Hello{Nonce: 1, MaxPayload: 64, RxBuffer: 1024, Window: 8})
			l.parse(bytes.Clone(input), false)
			for _, s := range l.in {
				if s.state != inHeld {
					continue
				}
				fr := proto.AppendFrame(nil, proto.Frame{Version: proto.Version, Type: s.msg.Type, Flags: s.flags, Seq: s.msg.Seq, Payload: s.msg.Payload})
				if !intact[string(fr)] {
					t.Fatalf("role %d accepted %v, which is no intact frame of the input", r, s.msg)
				}
			}
			l.fail(ErrClosed)
			l.wg.Wait()
		}
	})
}
