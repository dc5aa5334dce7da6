package proto

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// docPath is the protocol's description, whose worked examples must decode.
var docPath = filepath.Join("..", "..", "docs", "protocol.md")

// docExample is one ```frame block of docs/protocol.md.
type docExample struct {
	line                                int
	name, wire, decoded, means, payload string
}

func readDocExamples(t *testing.T) []docExample {
	t.Helper()
	f, err := os.Open(docPath)
	if err != nil {
		t.Fatalf("%v: the protocol must be written down there", err)
	}
	defer f.Close()
	var out []docExample
	var cur *docExample
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case text == "```frame":
			out = append(out, docExample{line: line})
			cur = &out[len(out)-1]
		case text == "```":
			cur = nil
		case cur != nil:
			key, val, ok := strings.Cut(text, ":")
			if !ok {
				t.Fatalf("%s:%d: want \"key: value\" in a frame block, got %q", docPath, line, text)
			}
			val = strings.TrimSpace(val)
			switch key {
			case "name":
				cur.name = val
			case "wire":
				cur.wire = val
			case "decoded":
				cur.decoded = val
			case "means":
				cur.means = val
			case "payload":
				cur.payload = val
			default:
				t.Fatalf("%s:%d: unknown key %q", docPath, line, key)
			}
		}
	}
	return out
}

func hexBytes(s string) ([]byte, error) {
	return hex.DecodeString(strings.NewReplacer(" ", "", "|", "").Replace(s))
}

func quoteOrHex(b []byte) string {
	for _, r := range string(b) {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return fmt.Sprintf("% x", b)
		}
	}
	return fmt.Sprintf("%q", b)
}

// describe is the "means" line of a frame.
func describe(f Frame) string {
	return fmt.Sprintf("%v flags=0x%02x seq=%d len=%d", f.Type, uint8(f.Flags), f.Seq, len(f.Payload))
}

// describePayload is the "payload" line: the link-level payloads field by field.
func describePayload(f Frame) string {
	switch {
	case f.Type == TypeHello && f.Flags&FlagError != 0:
		return fmt.Sprintf("refusal %s", quoteOrHex(f.Payload))
	case f.Type == TypeHello:
		h, err := ParseHello(f.Payload)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("nonce=0x%08x max_payload=%d rx_buffer=%d window=%d config=%s", h.Nonce, h.MaxPayload, h.RxBuffer, h.Window, quoteOrHex(h.Config))
	case f.Type == TypeAck:
		a, err := ParseAck(f.Payload)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("next=%d consumed=%d sack=0x%016x", a.Next, a.Consumed, a.SACK)
	case f.Type == TypeNack:
		n, err := ParseNack(f.Payload)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("next=%d consumed=%d sack=0x%016x seq=%d type=%v reason=%v text=%q", n.Next, n.Consumed, n.SACK, n.Seq, n.Type, n.Reason, n.Text)
	case f.Type == TypeResponse:
		ref, body, err := ParseResponse(f.Payload)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("ref=%d body=%s", ref, quoteOrHex(body))
	}
	if len(f.Payload) > 32 {
		return fmt.Sprintf("%d bytes", len(f.Payload))
	}
	return quoteOrHex(f.Payload)
}

// decodedLine is the "decoded" line: header | payload | crc, in hex.
func decodedLine(raw []byte) string {
	p := raw[HeaderLen : len(raw)-CRCLen]
	ps := fmt.Sprintf("% x", p)
	if len(p) > 32 {
		ps = fmt.Sprintf("% x … % x", p[:8], p[len(p)-8:])
	}
	return fmt.Sprintf("% x | %s | % x", raw[:HeaderLen], ps, raw[len(raw)-CRCLen:])
}

// TestDocExamples: every worked example in docs/protocol.md decodes to what the doc
// says, byte by byte, and encodes back to the same wire bytes.
func TestDocExamples(t *testing.T) {
	exs := readDocExamples(t)
	if len(exs) < 8 {
		t.Fatalf("%s has %d frame examples; it should show at least HELLO, its reply, a refusal, REQUEST, ACK, RESPONSE, NACK and DATA", docPath, len(exs))
	}
	for _, ex := range exs {
		t.Run(ex.name, func(t *testing.T) {
			where := fmt.Sprintf("%s:%d (%s)", docPath, ex.line, ex.name)
			wire, err := hexBytes(ex.wire)
			if err != nil {
				t.Fatalf("%s: wire: %v", where, err)
			}
			raw, err := DecodeCOBS(nil, wire[:len(wire)-1])
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			f, n, err := ParseFrame(bytes.Clone(wire))
			if err != nil || n != len(wire) {
				t.Fatalf("%s: does not decode: n=%d of %d, %v", where, n, len(wire), err)
			}
			if got := decodedLine(raw); ex.decoded != got {
				t.Errorf("%s: decoded\n got: %s\nwant: %s", where, got, ex.decoded)
			}
			if got := describe(f); ex.means != got {
				t.Errorf("%s: means\n got: %s\nwant: %s", where, got, ex.means)
			}
			if got := describePayload(f); ex.payload != got {
				t.Errorf("%s: payload\n got: %s\nwant: %s", where, got, ex.payload)
			}
			if again := AppendFrame(nil, f); !bytes.Equal(again, wire) {
				t.Errorf("%s: re-encodes to % x", where, again)
			}
		})
	}
}

// TestPrintDocExamples prints the frame blocks for docs/protocol.md (go test -run
// PrintDoc -v), so the doc is written from the code, then checked by TestDocExamples.
func TestPrintDocExamples(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("run with -v to print the doc's frame blocks")
	}
	for _, ex := range examples() {
		wire := AppendFrame(nil, ex.frame)
		raw, _ := DecodeCOBS(nil, wire[:len(wire)-1])
		w := fmt.Sprintf("% x", wire)
		if len(wire) > 48 {
			w = fmt.Sprintf("%x", wire)
		}
		t.Logf("\n```frame\nname:    %s\nwire:    %s\ndecoded: %s\nmeans:   %s\npayload: %s\n```", ex.name, w, decodedLine(raw), describe(ex.frame), describePayload(ex.frame))
	}
}
