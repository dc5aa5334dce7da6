package trace_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/glemu/glemu/trace"
)

func ExampleCSVWriter() {
	w := trace.NewCSVWriter(os.Stdout, false)
	w.Write(trace.Record{Step: -1, Layer: 0, Var: "W", B: -1, I: 0, J: 0, Value: 0.5})
	w.Write(trace.Record{Step: 0, Layer: trace.NetworkLayer, Var: "x", B: 0, I: 0, J: -1, Value: 1.0249973959147123})
	w.Flush()
	// Output:
	// step,layer,var,b,i,j,value
	// -1,0,W,-1,0,0,0.5
	// 0,-1,x,0,0,-1,1.0249973959147123
}

func ExampleReadStream() {
	s, err := trace.ReadStream(strings.NewReader("x,context\n0.1,0\n0.2,1\n0.3,0\n0.4,1\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Steps, s.Contexts, s.Width, s.Row(1))
	// Output: 2 2 1 [0.3 0.4]
}
