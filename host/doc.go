// Package host is the one API users program against to run a chip: Device, over the
// in-process chip emulator (Open("emu"), the default) or a board on a serial port
// (Open("serial:///dev/ttyUSB0?baud=3000000"), a device path such as the firmware
// simulator's pty, or Dial over any byte stream). The same program runs on either and
// gives the same bits. It also opens serial ports (go.bug.st/serial) and lists the
// ports behind known USB–UART bridges; boards are identified by their HELLO.
//
// The protocol is docs/protocol.md: package proto owns the frames, link the reliable
// session, command the commands and their semantics (command.Machine, which the
// emulator backend runs in process and the firmware runs behind the link).
//
// Invariants:
//
//   - A Device's methods may be called from several goroutines; they run one at a time.
//     Run calls its Source and Sink sequentially, in process on the caller's
//     goroutine, over a link on two goroutines of its own (the Source runs ahead).
//   - The Device quantizes inputs and targets on the host exactly as the chip's
//     SetInput and SetTarget do, and dequantizes outputs as Output does, so both
//     backends run the same raw values; the host counts its own saturations and adds
//     them to Counters.Host.
//   - Errors begin "host:" and say what to do; callers branch with errors.Is on the
//     sentinels (ErrTimeout, ErrDisconnected, ErrNoBoard, ErrNoProgram, ErrBoard,
//     ErrIncompatible, ErrClosed, …). A run that loses its link returns a *RunError
//     naming the last step whose results came back.
//   - Slices passed to a Device are copied before the call returns; slices it returns
//     belong to the caller, except those handed to a Sink, valid during the call.
package host

// ProtocolVersion is the version of the host–board protocol spoken by this package.
const ProtocolVersion = 1
