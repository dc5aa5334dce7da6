package proto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// examples are the frames of testdata/frames.golden and of docs/protocol.md.
func examples() []struct {
	name  string
	frame Frame
} {
	big := make([]byte, 300)
	for i := range big {
		big[i] = byte(i)
	}
	return []struct {
		name  string
		frame Frame
	}{
		{"hello", Frame{Version: Version, Type: TypeHello, Payload: AppendHello(nil, Hello{Nonce: 0x12345678, MaxPayload: 1024, RxBuffer: 8192, Window: 16, Config: []byte("chip")})}},
		{"hello-reply", Frame{Version: Version, Type: TypeHello, Flags: FlagReply, Payload: AppendHello(nil, Hello{Nonce: 0x12345678, MaxPayload: 512, RxBuffer: 4096, Window: 8, Config: []byte("chip")})}},
		{"hello-refused", Frame{Version: Version, Type: TypeHello, Flags: FlagReply | FlagError, Payload: []byte("protocol version 2 not supported")}},
		{"request", Frame{Version: Version, Type: TypeRequest, Seq: 0, Payload: []byte("ping")}},
		{"ack", Frame{Version: Version, Type: TypeAck, Payload: AppendAck(nil, Ack{Next: 1, Consumed: 1})}},
		{"ack-poll", Frame{Version: Version, Type: TypeAck, Flags: FlagPoll, Payload: AppendAck(nil, Ack{Next: 7, Consumed: 5, SACK: 0b11})}},
		{"response", Frame{Version: Version, Type: TypeResponse, Seq: 0, Payload: AppendResponse(nil, 0, []byte("pong"))}},
		{"response-error", Frame{Version: Version, Type: TypeResponse, Flags: FlagError, Seq: 1, Payload: AppendResponse(nil, 1, []byte("no image loaded"))}},
		{"run", Frame{Version: Version, Type: TypeRun, Seq: 812, Payload: []byte{0x40, 0x9c, 0x00, 0x00}}},
		{"nack-damaged", Frame{Version: Version, Type: TypeNack, Payload: AppendNack(nil, Nack{Ack: Ack{Next: 5, Consumed: 3, SACK: 0b101}, Seq: 5, Reason: ReasonDamaged})}},
		{"data-300", Frame{Version: Version, Type: TypeData, Seq: 65535, Payload: big}},
	}
}

func TestGoldenFrames(t *testing.T) {
	var out bytes.Buffer
	for _, ex := range examples() {
		fmt.Fprintf(&out, "%s %x\n", ex.name, AppendFrame(nil, ex.frame))
	}
	path := filepath.Join("testdata", "frames.golden")
	if *update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("frames differ from %s (the wire format changed?):\n got:\n%s\nwant:\n%s", path, out.Bytes(), want)
	}
	// And every golden frame decodes back to its example.
	sc := bufio.NewScanner(bytes.NewReader(want))
	exs := examples()
	for i := 0; sc.Scan(); i++ {
		name, hx, _ := strings.Cut(sc.Text(), " ")
		wire, err := hex.DecodeString(hx)
		if err != nil {
			t.Fatal(err)
		}
		f, n, err := ParseFrame(wire)
		if err != nil || n != len(wire) {
			t.Fatalf("%s: ParseFrame: n=%d of %d, %v", name, n, len(wire), err)
		}
		if !frameEqual(f, exs[i].frame) {
			t.Errorf("%s: decoded %+v, want %+v", name, f, exs[i].frame)
		}
	}
}

func frameEqual(a, b Frame) bool {
	return a.Version == b.Version && a.Type == b.Type && a.Flags == b.Flags && a.Seq == b.Seq && bytes.Equal(a.Payload, b.Payload)
}

func TestParseFrameStream(t *testing.T) {
	var wire []byte
	exs := examples()
	for _, ex := range exs {
		wire = AppendFrame(wire, ex.frame)
		wire = append(wire, 0) // an empty frame between each: harmless
	}
	for i := 0; len(wire) > 0; {
		f, n, err := ParseFrame(wire)
		if errors.Is(err, ErrEmpty) {
			wire = wire[n:]
			continue
		}
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !frameEqual(f, exs[i].frame) {
			t.Fatalf("frame %d: got %v, want %v", i, f, exs[i].frame)
		}
		wire = wire[n:]
		i++
	}
}

// rawFrame builds header ‖ payload ‖ crc by hand, so tests can break one field at a time.
func rawFrame(version, typ, flags byte, seq, length uint16, payload []byte, crcDelta uint16) []byte {
	h := []byte{version, typ, flags}
	h = binary.LittleEndian.AppendUint16(h, seq)
	h = binary.LittleEndian.AppendUint16(h, length)
	raw := append(h, payload...)
	return binary.LittleEndian.AppendUint16(raw, CRC(h, payload)+crcDelta)
}

func wireOf(raw []byte) []byte { return append(AppendCOBS(nil, raw), 0) }

func TestParseFrameFails(t *testing.T) {
	tests := []struct {
		name  string
		wire  []byte
		n     int
		is    error
		err   string
		frame Frame
	}{
		{"incomplete", []byte{0x03, 0x01, 0x01}, 0, ErrIncomplete, "proto: incomplete frame (no 0x00 delimiter yet); read more bytes", Frame{}},
		{"empty", []byte{0x00, 0x05}, 1, ErrEmpty, "proto: empty frame", Frame{}},
		{"bad cobs", []byte{0x09, 0x01, 0x00, 0x07}, 3, ErrCOBS, "proto: malformed COBS: block runs past the end at byte 0; check the baud rate and the cable", Frame{}},
		{"short", wireOf([]byte{1, 2, 3, 4, 5, 6, 7, 8}), 10, ErrShort, "proto: frame too short: 8 bytes, need at least 9; check the baud rate and the cable", Frame{}},
		{"crc", wireOf(rawFrame(1, 0x10, 0, 7, 2, []byte{1, 2}, 1)), 13, ErrCRC, "", Frame{}},
		{"length", wireOf(rawFrame(1, 0x10, 0, 7, 3, []byte{1, 2}, 0)), 13, ErrLength, "proto: payload length mismatch: header says 3 payload bytes, frame holds 2; check the baud rate and the cable", Frame{}},
		{"version", wireOf(rawFrame(2, 0x01, 0, 0, 0, nil, 0)), 11, ErrVersion, "proto: peer speaks protocol version 2, this side speaks 1; update the host software or the board firmware so they match", Frame{Version: 2, Type: TypeHello}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, n, err := ParseFrame(bytes.Clone(tt.wire))
			if !errors.Is(err, tt.is) {
				t.Fatalf("error %v, want one matching %v", err, tt.is)
			}
			if tt.err != "" && err.Error() != tt.err {
				t.Errorf("error\n %s\nwant\n %s", err, tt.err)
			}
			if n != tt.n {
				t.Errorf("n = %d, want %d", n, tt.n)
			}
			if !frameEqual(f, tt.frame) {
				t.Errorf("frame %+v, want %+v", f, tt.frame)
			}
		})
	}
	var ce *CRCError
	_, _, err := ParseFrame(wireOf(rawFrame(1, 0x10, 0, 7, 2, []byte{1, 2}, 1)))
	if !errors.As(err, &ce) || ce.Got != ce.Want+1 {
		t.Fatalf("CRC error %#v, want Got = Want+1", err)
	}
	if want := fmt.Sprintf("proto: crc mismatch (got 0x%04x, want 0x%04x); check the baud rate and the cable", ce.Got, ce.Want); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestCRCCheckValue(t *testing.T) {
	// The catalogue's check value of CRC-16/CCITT-FALSE over "123456789".
	if got := CRC([]byte("1234"), []byte("56789")); got != 0x29B1 {
		t.Fatalf("CRC(123456789) = 0x%04x, want 0x29b1", got)
	}
}

func TestAppendFrameAppends(t *testing.T) {
	prefix := []byte("keep")
	got := AppendFrame(prefix, Frame{Version: Version, Type: TypeData, Seq: 9, Payload: []byte{0, 0, 0}})
	if !bytes.HasPrefix(got, []byte("keep")) || got[len(got)-1] != 0 || bytes.IndexByte(got[4:len(got)-1], 0) >= 0 {
		t.Fatalf("AppendFrame = % x", got)
	}
	if n := len(got) - 4; n > MaxFrameLen(3) {
		t.Errorf("frame is %d bytes, MaxFrameLen(3) = %d", n, MaxFrameLen(3))
	}
}

func TestAppendFrameAllocs(t *testing.T) {
	buf := make([]byte, 0, MaxFrameLen(1024))
	payload := make([]byte, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendFrame(buf[:0], Frame{Version: Version, Type: TypeData, Payload: payload})
		if _, _, err := ParseFrame(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("AppendFrame+ParseFrame allocate %v times per frame, want 0", allocs)
	}
}

// FuzzFrameRoundtrip: any frame AppendFrame writes, ParseFrame reads back unchanged.
func FuzzFrameRoundtrip(f *testing.F) {
	for _, ex := range examples() {
		f.Add(byte(ex.frame.Type), byte(ex.frame.Flags), ex.frame.Seq, ex.frame.Payload)
	}
	f.Fuzz(func(t *testing.T, typ, flags byte, seq uint16, payload []byte) {
		if len(payload) > MaxPayload {
			return
		}
		in := Frame{Version: Version, Type: Type(typ), Flags: Flags(flags), Seq: seq, Payload: payload}
		wire := AppendFrame(nil, in)
		if len(wire) > MaxFrameLen(len(payload)) {
			t.Fatalf("frame is %d bytes, more than MaxFrameLen = %d", len(wire), MaxFrameLen(len(payload)))
		}
		if i := bytes.IndexByte(wire, 0); i != len(wire)-1 {
			t.Fatalf("first 0x00 at %d of %d", i, len(wire))
		}
		out, n, err := ParseFrame(wire)
		if err != nil || n != len(wire) || !frameEqual(in, out) {
			t.Fatalf("round trip of %+v: %+v, n=%d, %v", in, out, n, err)
		}
	})
}

// FuzzParseFrame: arbitrary bytes never panic, and a frame is accepted only if an
// independent check of its CRC (over a separately decoded copy) passes.
func FuzzParseFrame(f *testing.F) {
	for _, ex := range examples() {
		f.Add(AppendFrame(nil, ex.frame))
	}
	f.Add([]byte{0x00})
	f.Add([]byte{0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, wire []byte) {
		orig := bytes.Clone(wire)
		fr, n, err := ParseFrame(wire)
		if n < 0 || n > len(wire) {
			t.Fatalf("n = %d of %d", n, len(wire))
		}
		if err != nil {
			for _, s := range []error{ErrIncomplete, ErrEmpty, ErrCOBS, ErrShort, ErrLength, ErrCRC, ErrVersion} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error %v matches no sentinel", err)
		}
		raw, err := DecodeCOBS(nil, orig[:n-1])
		if err != nil {
			t.Fatalf("accepted a frame that does not decode: %v", err)
		}
		body := raw[:len(raw)-CRCLen]
		if CRC(body[:HeaderLen], body[HeaderLen:]) != binary.LittleEndian.Uint16(raw[len(body):]) {
			t.Fatalf("accepted a frame with a bad CRC: % x", orig[:n])
		}
		again, _, err := ParseFrame(AppendFrame(nil, fr))
		if err != nil || !frameEqual(again, fr) {
			t.Fatalf("re-encoding %v: %v, %v", fr, again, err)
		}
	})
}

func BenchmarkAppendParseFrame(b *testing.B) {
	for _, size := range []int{16, 256, 1024} {
		b.Run(fmt.Sprintf("payload=%d", size), func(b *testing.B) {
			payload := make([]byte, size)
			for i := range payload {
				payload[i] = byte(i * 7)
			}
			buf := make([]byte, 0, MaxFrameLen(size))
			b.SetBytes(int64(size))
			for b.Loop() {
				buf = AppendFrame(buf[:0], Frame{Version: Version, Type: TypeData, Payload: payload})
				if _, _, err := ParseFrame(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
