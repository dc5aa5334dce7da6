package host

import (
	"fmt"
	"reflect"
	"testing"

	"go.bug.st/serial/enumerator"
)

func TestFilterPorts(t *testing.T) {
	ports := []*enumerator.PortDetails{
		{Name: "/dev/ttyUSB1", IsUSB: true, VID: "0403", PID: "6010", SerialNumber: "FT123", Product: "Arty"},
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "10C4", PID: "EA60"},
		{Name: "/dev/ttyACM0", IsUSB: true, VID: "2341", PID: "0043"}, // an Arduino: not a default bridge
		{Name: "/dev/ttyS0"}, // not USB
		{Name: "/dev/ttyUSB9", IsUSB: true, VID: "zz", PID: "1"}, // unreadable IDs
		nil,
	}
	tests := []struct {
		bridges []USBID
		want    []string
	}{
		{nil, []string{"/dev/ttyUSB0 (USB 10c4:ea60)", "/dev/ttyUSB1 (USB 0403:6010, Arty, serial FT123)"}},
		{[]USBID{{0x2341, 0x0043}}, []string{"/dev/ttyACM0 (USB 2341:0043)"}},
		{[]USBID{{0x1a86, 0x7523}}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range filterPorts(ports, tt.bridges) {
			got = append(got, c.String())
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("bridges %v: %q, want %q", tt.bridges, got, tt.want)
		}
	}
}

func TestParseUSBID(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"0403:6001", "0403:6001"},
		{"10C4:EA60", "10c4:ea60"},
		{"1a86:7523", "1a86:7523"},
		{"0403", `host: USB ID "0403": want VID:PID in hexadecimal, such as 0403:6001`},
		{"0403:10000", `host: USB ID "0403:10000": want VID:PID in hexadecimal, such as 0403:6001`},
		{"x:1", `host: USB ID "x:1": want VID:PID in hexadecimal, such as 0403:6001`},
	} {
		id, err := ParseUSBID(tt.in)
		got := id.String()
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("ParseUSBID(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// ListBoards runs on this machine; on one without boards it finds none, without error.
func TestListBoards(t *testing.T) {
	boards, err := ListBoards()
	if err != nil {
		t.Skipf("no serial port enumeration here: %v", err)
	}
	for _, b := range boards {
		t.Logf("candidate: %v", b)
	}
}

func ExampleListBoards() {
	boards, err := ListBoards(DefaultBridges...)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range boards {
		fmt.Println(b) // then: OpenSerial(b.Path, DefaultBaudRate, 0) and say HELLO
	}
}
