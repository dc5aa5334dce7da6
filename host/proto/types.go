package proto

import "fmt"

// Type is a frame's message type, byte 1 of the header.
type Type uint8

// Link-level messages, handled by package link itself.
const (
	TypeHello    Type = 0x01 // handshake: versions and capabilities; unsequenced
	TypeAck      Type = 0x02 // receive state: next expected seq, consumed seq, selective acks; unsequenced
	TypeNack     Type = 0x03 // a damaged, missing or refused frame, plus the receive state; unsequenced
	TypeRequest  Type = 0x10 // generic request; the responder answers with one RESPONSE
	TypeResponse Type = 0x11 // answer to the request whose seq opens the payload
	TypeData     Type = 0x12 // one chunk of an ordered stream; no answer beyond the ACK
)

// Command requests of the command layer. Their payloads, and those of their responses,
// are defined by package host/command (docs/protocol.md, "Commands"); the link treats
// them as requests.
const (
	TypeLoadBegin    Type = 0x20 // start loading a chip image: size, CRC
	TypeLoadChunk    Type = 0x21 // one chunk of the image
	TypeLoadEnd      Type = 0x22 // finish loading; the board verifies the image CRC
	TypeReadReg      Type = 0x23 // read registers
	TypeWriteReg     Type = 0x24 // write registers
	TypeReadMem      Type = 0x25 // read a memory (weights, state)
	TypeWriteMem     Type = 0x26 // write a memory
	TypeRun          Type = 0x27 // run N steps; inputs and targets stream in as DATA, outputs back
	TypeSetProbes    Type = 0x28 // choose probes
	TypeReadProbes   Type = 0x29 // read probes
	TypeReadCounters Type = 0x2A // read counters
	TypeSetLearning  Type = 0x2B // switch learning on or off
	TypeSnapshot     Type = 0x2C // take a snapshot of the chip state
	TypeRestore      Type = 0x2D // restore a snapshot
	TypeReset        Type = 0x2E // reset the chip
)

// Kind says how the link treats a message type.
type Kind uint8

const (
	KindUnknown  Kind = iota // not in the registry; refused with a NACK
	KindControl              // HELLO, ACK, NACK: unsequenced, handled by the link
	KindRequest              // sequenced; answered by exactly one RESPONSE
	KindResponse             // sequenced; answers a request
	KindData                 // sequenced; no answer
)

var kindNames = [...]string{"unknown", "control", "request", "response", "data"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

type typeInfo struct {
	name string
	kind Kind
}

// registry is the one table of message types; docs/protocol.md lists the same.
var registry = [256]typeInfo{
	TypeHello:        {"HELLO", KindControl},
	TypeAck:          {"ACK", KindControl},
	TypeNack:         {"NACK", KindControl},
	TypeRequest:      {"REQUEST", KindRequest},
	TypeResponse:     {"RESPONSE", KindResponse},
	TypeData:         {"DATA", KindData},
	TypeLoadBegin:    {"LOAD_BEGIN", KindRequest},
	TypeLoadChunk:    {"LOAD_CHUNK", KindRequest},
	TypeLoadEnd:      {"LOAD_END", KindRequest},
	TypeReadReg:      {"READ_REG", KindRequest},
	TypeWriteReg:     {"WRITE_REG", KindRequest},
	TypeReadMem:      {"READ_MEM", KindRequest},
	TypeWriteMem:     {"WRITE_MEM", KindRequest},
	TypeRun:          {"RUN", KindRequest},
	TypeSetProbes:    {"SET_PROBES", KindRequest},
	TypeReadProbes:   {"READ_PROBES", KindRequest},
	TypeReadCounters: {"READ_COUNTERS", KindRequest},
	TypeSetLearning:  {"SET_LEARNING", KindRequest},
	TypeSnapshot:     {"SNAPSHOT", KindRequest},
	TypeRestore:      {"RESTORE", KindRequest},
	TypeReset:        {"RESET", KindRequest},
}

// Kind returns how the link treats t; KindUnknown for a type not in the registry.
func (t Type) Kind() Kind { return registry[t].kind }

// Sequenced reports whether frames of type t carry a sequence number of the sender's
// reliable stream (requests, responses, data).
func (t Type) Sequenced() bool { k := t.Kind(); return k >= KindRequest }

func (t Type) String() string {
	if n := registry[t].name; n != "" {
		return n
	}
	return fmt.Sprintf("TYPE(0x%02x)", uint8(t))
}

// Flags is the header's flag byte. Bits not defined here are sent as zero and ignored.
type Flags uint8

const (
	// FlagReply marks the responder's HELLO, answering the initiator's.
	FlagReply Flags = 1 << 0
	// FlagError marks a failure: a RESPONSE whose request failed (the payload after the
	// reference is the error text), or a HELLO reply that refuses the session.
	FlagError Flags = 1 << 1
	// FlagPoll on an ACK asks the receiver to answer with its own ACK at once: a sender
	// waiting for room in the receiver's buffer polls, since the ACK that would have
	// reported the room may have been lost.
	FlagPoll Flags = 1 << 2
)
