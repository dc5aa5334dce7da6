package firmwaresim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/glemu/glemu/chip"
	"github.com/glemu/glemu/chip/chiptest"
	"github.com/glemu/glemu/chip/image"
	"github.com/glemu/glemu/host/command"
	"github.com/glemu/glemu/host/link"
	"github.com/glemu/glemu/host/proto"
	"github.com/glemu/glemu/network"
)

func tinyImage(t testing.TB) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "host", "testdata", "tiny.net.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	net, err := network.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	p, err := chiptest.Map(net, nil, chiptest.Options{Contexts: 2})
	if err != nil {
		t.Fatal(err)
	}
	img, err := image.AppendImage(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// rawHost speaks frames to a firmware over a pipe, byte by byte, without package link.
type rawHost struct {
	t      *testing.T
	conn   net.Conn
	mu     sync.Mutex
	frames []proto.Frame
	done   chan struct{}
}

func newRawHost(t *testing.T, fw *Firmware) *rawHost {
	a, b := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		fw.Serve(ctx, a)
	}()
	h := &rawHost{t: t, conn: b, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		buf := make([]byte, 0, 1<<16)
		tmp := make([]byte, 4096)
		for {
			n, err := b.Read(tmp)
			buf = append(buf, tmp[:n]...)
			for {
				f, m, perr := proto.ParseFrame(buf)
				if errors.Is(perr, proto.ErrIncomplete) {
					break
				}
				if perr == nil {
					f.Payload = bytes.Clone(f.Payload)
					h.mu.Lock()
					h.frames = append(h.frames, f)
					h.mu.Unlock()
				}
				buf = buf[:copy(buf, buf[m:])]
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		b.Close()
		<-served
		<-h.done
	})
	return h
}

func (h *rawHost) write(f proto.Frame) []byte {
	f.Version = proto.Version
	w := proto.AppendFrame(nil, f)
	if _, err := h.conn.Write(w); err != nil {
		h.t.Fatal(err)
	}
	return w
}

// waitFor waits until a frame of type t has come, and returns it.
func (h *rawHost) waitFor(t proto.Type) proto.Frame {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		for i, f := range h.frames {
			if f.Type == t {
				h.frames = append(h.frames[:i], h.frames[i+1:]...)
				h.mu.Unlock()
				return f
			}
		}
		h.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	h.t.Fatalf("no %v from the firmware", t)
	return proto.Frame{}
}

func (h *rawHost) hello() {
	desc, _ := command.AppendHello(nil, command.Hello{Version: command.Version, Role: command.RoleHost})
	h.write(proto.Frame{Type: proto.TypeHello, Payload: proto.AppendHello(nil, proto.Hello{Nonce: 77, MaxPayload: 1024, RxBuffer: 1 << 14, Window: 8, Config: desc})})
	if r := h.waitFor(proto.TypeHello); r.Flags != proto.FlagReply {
		h.t.Fatalf("HELLO answered with flags %v: %q", r.Flags, r.Payload)
	}
}

// The firmware never acts on a frame whose CRC does not match: a LOAD_BEGIN with one
// bit flipped anywhere in its header or payload is NACKed as damaged and not executed;
// the intact frame then executes once.
func TestNeverActsOnBadCRC(t *testing.T) {
	fw, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close()
	h := newRawHost(t, fw)
	h.hello()
	img := tinyImage(t)
	good := proto.AppendFrame(nil, proto.Frame{Version: proto.Version, Type: proto.TypeLoadBegin, Payload: img[:image.HeaderSize]})
	raw, _ := proto.DecodeCOBS(nil, good[:len(good)-1])
	for bit := 0; bit < 8*(len(raw)-proto.CRCLen); bit += 7 {
		bad := bytes.Clone(raw)
		bad[bit/8] ^= 1 << (bit % 8)
		wire := append(proto.AppendCOBS(nil, bad), 0)
		if _, err := h.conn.Write(wire); err != nil {
			t.Fatal(err)
		}
		if n := h.waitFor(proto.TypeNack); n.Payload[proto.NackLen-1] != byte(proto.ReasonDamaged) {
			t.Fatalf("bit %d: NACK %x", bit, n.Payload)
		}
	}
	if st := fw.Stats(); len(st.Executed) != 0 {
		t.Fatalf("damaged frames executed: %v", st.Executed)
	}
	if _, err := h.conn.Write(good); err != nil {
		t.Fatal(err)
	}
	if r := h.waitFor(proto.TypeResponse); r.Flags != 0 {
		t.Fatalf("intact LOAD_BEGIN failed: %q", r.Payload)
	}
	if st := fw.Stats(); st.Executed[proto.TypeLoadBegin] != 1 || len(st.Executed) != 1 {
		t.Fatalf("executed %v", st.Executed)
	}
}

// fakeStream feeds a RUN the DATA chunks given and takes what it sends.
type fakeStream struct {
	in   [][]byte
	sent int
}

func (s *fakeStream) next(ctx context.Context) (link.Message, error) {
	if len(s.in) == 0 {
		return link.Message{}, io.EOF
	}
	m := link.Message{Type: proto.TypeData, Payload: s.in[0]}
	s.in = s.in[1:]
	return m, nil
}

func (s *fakeStream) send(_ context.Context, _ link.Message, payload []byte) error {
	s.sent += len(payload)
	return nil
}

// FuzzHandle: the command handlers never panic, whatever the request and the DATA
// that follows, on a board with a program loaded or without.
func FuzzHandle(f *testing.F) {
	img := tinyImage(f)
	f.Add(uint8(proto.TypeLoadBegin), img[:image.HeaderSize], []byte{}, false)
	f.Add(uint8(proto.TypeRun), command.AppendRun(nil, command.Run{Steps: 2, Flags: command.RunInputs | command.RunTargets | command.RunOutputs}),
		append(command.AppendDataHeader(nil, command.DataRunIn, 0), make([]byte, 40)...), true)
	f.Add(uint8(proto.TypeWriteMem), command.AppendWriteMem(nil, command.Mem{Space: command.SpaceWeights}, command.EncRaw, command.AppendValues(nil, command.EncRaw, command.Values{Raw: make([]int64, 18)}), false), []byte{}, true)
	f.Add(uint8(proto.TypeSetProbes), command.AppendSetProbes(nil, true, []chip.Probe{{Population: "h", Var: "u"}}), []byte{}, true)
	f.Add(uint8(proto.TypeRequest), command.AppendRequest(nil, command.Request{Op: command.OpFetch, Offset: 0, N: 10}), []byte{}, true)
	f.Add(uint8(proto.TypeRestore), []byte{1, 0, 0, 0, 0, 0, 0, 0, 0}, []byte{}, false)
	fw, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	prog, _, err := image.Parse(img)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, typ uint8, payload, data []byte, loaded bool) {
		if loaded {
			if err := fw.m.Load(prog); err != nil {
				t.Fatal(err)
			}
			fw.m.SetProbes(true, []chip.Probe{{Population: "out", Var: "v"}})
		} else {
			fw.m.Reset(true)
		}
		st := &fakeStream{}
		for len(data) > 0 {
			n := min(len(data), 64)
			st.in = append(st.in, data[:n])
			data = data[n:]
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		fw.Handle(ctx, link.Message{Type: proto.Type(typ), Payload: payload}, st)
	})
}

// Limits a board has: an image too large is refused before a byte of it is stored;
// a result larger than the board holds is refused; a FETCH outside the outbox too.
func TestLimits(t *testing.T) {
	fw, err := New(Config{MaxImage: 1000, MaxStage: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close()
	img := tinyImage(t)
	_, err = fw.Handle(context.Background(), link.Message{Type: proto.TypeLoadBegin, Payload: img[:image.HeaderSize]}, nil)
	if want := "firmware: the image is " + itoa(len(img)) + " bytes; this board loads at most 1000"; err == nil || err.Error() != want {
		t.Errorf("big image: %v, want %s", err, want)
	}
	_, err = fw.Handle(context.Background(), link.Message{Type: proto.TypeRequest, Payload: command.AppendRequest(nil, command.Request{Op: command.OpFetch, N: 5})}, nil)
	if want := "firmware: FETCH of bytes 0…5, but the outbox holds 0; repeat the command whose result it was"; err == nil || err.Error() != want {
		t.Errorf("fetch: %v, want %s", err, want)
	}
	if _, err := fw.result(make([]byte, 2000)); err == nil || err.Error() != "firmware: the result is 2000 bytes, more than the 100 this board holds" {
		t.Errorf("big result: %v", err)
	}
	stage := func(off int, n int) error {
		_, err := fw.Handle(context.Background(), link.Message{Type: proto.TypeRequest, Payload: command.AppendRequest(nil, command.Request{Op: command.OpStage, Offset: uint32(off), Data: make([]byte, n)})}, nil)
		return err
	}
	if err := stage(0, 60); err != nil {
		t.Fatal(err)
	}
	if err := stage(30, 10); err == nil || err.Error() != "firmware: STAGE at offset 30, but 60 bytes are staged; stage the argument again from 0" {
		t.Errorf("stage out of order: %v", err)
	}
	if err := stage(60, 60); err == nil || err.Error() != "firmware: the staged argument exceeds the 100 bytes this board holds" {
		t.Errorf("stage too much: %v", err)
	}
	if _, err := New(Config{MaxImage: 3}); err == nil || err.Error() != "firmwaresim: MaxImage 3 outside 36…2147483648" {
		t.Errorf("config: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
