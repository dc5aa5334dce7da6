package proto

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestPayloadsRoundtrip(t *testing.T) {
	h := Hello{Nonce: 7, MaxPayload: 1024, RxBuffer: 4096, Window: 64, Config: []byte{0, 1, 2}}
	if got, err := ParseHello(AppendHello(nil, h)); err != nil || !reflect.DeepEqual(got, h) {
		t.Errorf("hello: %+v, %v", got, err)
	}
	a := Ack{Next: 3, Consumed: 65535, SACK: 1<<63 | 5}
	if got, err := ParseAck(AppendAck(nil, a)); err != nil || got != a {
		t.Errorf("ack: %+v, %v", got, err)
	}
	n := Nack{Ack: a, Seq: 3, Type: TypeRun, Reason: ReasonRefused, Text: "too large"}
	if got, err := ParseNack(AppendNack(nil, n)); err != nil || got != n {
		t.Errorf("nack: %+v, %v", got, err)
	}
	ref, body, err := ParseResponse(AppendResponse(nil, 812, []byte("ok")))
	if err != nil || ref != 812 || string(body) != "ok" {
		t.Errorf("response: %d %q %v", ref, body, err)
	}
}

func TestPayloadsFail(t *testing.T) {
	okHello := AppendHello(nil, Hello{Nonce: 1, MaxPayload: 100, RxBuffer: 107, Window: 1})
	tests := []struct {
		name  string
		parse func([]byte) error
		p     []byte
		err   string
	}{
		{"hello ok", hello, okHello, ""},
		{"hello short", hello, okHello[:11], "proto: malformed payload: HELLO: 11 bytes, need at least 12"},
		{"hello window 0", hello, AppendHello(nil, Hello{MaxPayload: 1, RxBuffer: 100, Window: 0}), "proto: malformed payload: HELLO: window 0 outside 1…64"},
		{"hello window 65", hello, AppendHello(nil, Hello{MaxPayload: 1, RxBuffer: 100, Window: 65}), "proto: malformed payload: HELLO: window 65 outside 1…64"},
		{"hello max 0", hello, AppendHello(nil, Hello{MaxPayload: 0, RxBuffer: 100, Window: 1}), "proto: malformed payload: HELLO: max payload 0"},
		{"hello buffer", hello, AppendHello(nil, Hello{MaxPayload: 100, RxBuffer: 106, Window: 1}), "proto: malformed payload: HELLO: receive buffer 106 bytes cannot hold one 107-byte frame"},
		{"ack short", ack, make([]byte, 11), "proto: malformed payload: ACK: 11 bytes, want 12"},
		{"ack long", ack, make([]byte, 13), "proto: malformed payload: ACK: 13 bytes, want 12"},
		{"ack next far ahead", ack, AppendAck(nil, Ack{Next: 100, Consumed: 1}), "proto: malformed payload: ACK: next 100 is 99 frames past consumed 1, more than any window"},
		{"ack next behind consumed", ack, AppendAck(nil, Ack{Next: 1, Consumed: 2}), "proto: malformed payload: ACK: next 1 is 65535 frames past consumed 2, more than any window"},
		{"ack wraps", ack, AppendAck(nil, Ack{Next: 3, Consumed: 65533}), ""},
		{"nack short", nack, make([]byte, 15), "proto: malformed payload: NACK: 15 bytes, need at least 16"},
		{"nack reason", nack, AppendNack(nil, Nack{Reason: 9}), "proto: malformed payload: NACK: unknown reason 9"},
		{"nack text", nack, append(AppendNack(nil, Nack{Reason: ReasonRefused}), 0xFF), "proto: malformed payload: NACK: text is not UTF-8"},
		{"response short", resp, []byte{1}, "proto: malformed payload: RESPONSE: 1 bytes, need at least 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.p)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, ErrPayload) || err.Error() != tt.err {
				t.Fatalf("error\n %v\nwant\n %s", err, tt.err)
			}
		})
	}
}

func hello(p []byte) error { _, err := ParseHello(p); return err }
func ack(p []byte) error   { _, err := ParseAck(p); return err }
func nack(p []byte) error  { _, err := ParseNack(p); return err }
func resp(p []byte) error  { _, _, err := ParseResponse(p); return err }

// FuzzPayloads: the link-level payload parsers never panic, fail only with ErrPayload,
// and what they accept re-encodes to the same bytes.
func FuzzPayloads(f *testing.F) {
	f.Add(AppendHello(nil, Hello{Nonce: 1, MaxPayload: 100, RxBuffer: 107, Window: 1, Config: []byte("x")}))
	f.Add(AppendAck(nil, Ack{Next: 2, Consumed: 1, SACK: 3}))
	f.Add(AppendNack(nil, Nack{Reason: ReasonDamaged, Text: "é"}))
	f.Fuzz(func(t *testing.T, p []byte) {
		check := func(what string, err error, again []byte) {
			if err != nil {
				if !errors.Is(err, ErrPayload) {
					t.Fatalf("%s: error %v does not match ErrPayload", what, err)
				}
				return
			}
			if !bytes.Equal(again, p) {
				t.Fatalf("%s: % x re-encodes to % x", what, p, again)
			}
		}
		h, err := ParseHello(p)
		check("hello", err, AppendHello(nil, h))
		a, err := ParseAck(p)
		check("ack", err, AppendAck(nil, a))
		n, err := ParseNack(p)
		check("nack", err, AppendNack(nil, n))
		ref, body, err := ParseResponse(p)
		check("response", err, AppendResponse(nil, ref, body))
	})
}

func TestTypeRegistry(t *testing.T) {
	tests := []struct {
		t         Type
		name      string
		kind      Kind
		sequenced bool
	}{
		{TypeHello, "HELLO", KindControl, false},
		{TypeAck, "ACK", KindControl, false},
		{TypeNack, "NACK", KindControl, false},
		{TypeRequest, "REQUEST", KindRequest, true},
		{TypeResponse, "RESPONSE", KindResponse, true},
		{TypeData, "DATA", KindData, true},
		{TypeRun, "RUN", KindRequest, true},
		{TypeReset, "RESET", KindRequest, true},
		{0x7F, "TYPE(0x7f)", KindUnknown, false},
		{0x00, "TYPE(0x00)", KindUnknown, false},
	}
	for _, tt := range tests {
		if tt.t.String() != tt.name || tt.t.Kind() != tt.kind || tt.t.Sequenced() != tt.sequenced {
			t.Errorf("%#x: %q %v %v, want %q %v %v", uint8(tt.t), tt.t, tt.t.Kind(), tt.t.Sequenced(), tt.name, tt.kind, tt.sequenced)
		}
	}
}
