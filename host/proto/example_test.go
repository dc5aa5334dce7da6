package proto_test

import (
	"fmt"

	"github.com/glemu/glemu/host/proto"
)

func Example() {
	wire := proto.AppendFrame(nil, proto.Frame{Version: proto.Version, Type: proto.TypeRequest, Seq: 0, Payload: []byte("ping")})
	fmt.Printf("% x\n", wire)

	f, n, err := proto.ParseFrame(wire)
	fmt.Println(f, n, err)
	// Output:
	// 03 01 10 01 01 02 04 07 70 69 6e 67 9a ed 00
	// REQUEST seq 0 (4 bytes) 15 <nil>
}
