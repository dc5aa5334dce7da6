package host

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.bug.st/serial/enumerator"
)

// ErrNoBoard: no board where one was expected (no such port, or no candidate port).
var ErrNoBoard = errors.New("host: no board")

// USBID is a USB vendor and product ID pair, as in "0403:6001".
type USBID struct {
	VID, PID uint16
}

func (id USBID) String() string { return fmt.Sprintf("%04x:%04x", id.VID, id.PID) }

// ParseUSBID parses "VID:PID" in hexadecimal, such as "0403:6001".
func ParseUSBID(s string) (USBID, error) {
	v, p, ok := strings.Cut(s, ":")
	vid, verr := strconv.ParseUint(v, 16, 16)
	pid, perr := strconv.ParseUint(p, 16, 16)
	if !ok || verr != nil || perr != nil {
		return USBID{}, fmt.Errorf("host: USB ID %q: want VID:PID in hexadecimal, such as 0403:6001", s)
	}
	return USBID{uint16(vid), uint16(pid)}, nil
}

// DefaultBridges are the USB–UART bridges FPGA boards commonly carry: FTDI FT232R,
// FT2232, FT232H and FT230X; Silicon Labs CP210x; WCH CH340.
var DefaultBridges = []USBID{
	{0x0403, 0x6001}, {0x0403, 0x6010}, {0x0403, 0x6014}, {0x0403, 0x6015},
	{0x10c4, 0xea60},
	{0x1a86, 0x7523},
}

// Candidate is a serial port behind a known USB bridge: a board may answer there. A
// board is identified by its HELLO, not by its port.
type Candidate struct {
	Path         string
	ID           USBID
	SerialNumber string
	Product      string
}

func (c Candidate) String() string {
	s := fmt.Sprintf("%s (USB %v", c.Path, c.ID)
	if c.Product != "" {
		s += ", " + c.Product
	}
	if c.SerialNumber != "" {
		s += ", serial " + c.SerialNumber
	}
	return s + ")"
}

// ListBoards lists the serial ports behind one of the given USB bridges (DefaultBridges
// if none are given), sorted by path. Pseudo-terminals, such as the firmware
// simulator's, are never listed: open them by path.
func ListBoards(bridges ...USBID) ([]Candidate, error) {
	ports, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("host: list serial ports: %w", err)
	}
	return filterPorts(ports, bridges), nil
}

// filterPorts keeps the USB ports whose IDs are among bridges (DefaultBridges if empty).
func filterPorts(ports []*enumerator.PortDetails, bridges []USBID) []Candidate {
	if len(bridges) == 0 {
		bridges = DefaultBridges
	}
	var out []Candidate
	for _, p := range ports {
		if p == nil || !p.IsUSB {
			continue
		}
		id, err := ParseUSBID(p.VID + ":" + p.PID)
		if err != nil || !slices.Contains(bridges, id) {
			continue
		}
		out = append(out, Candidate{Path: p.Name, ID: id, SerialNumber: p.SerialNumber, Product: p.Product})
	}
	slices.SortFunc(out, func(a, b Candidate) int { return strings.Compare(a.Path, b.Path) })
	return out
}
