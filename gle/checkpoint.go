package gle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/glemu/glemu/network"
)

// Checkpoint layout (little endian):
//
//	"GLECKPT\x00"  magic
//	u32            checkpoint format version (1)
//	bytes          the network file (network.Encode), to refuse another network
//	u32            contexts
//	i64 i64 f64    Steps, OptimizerSteps, LR
//	f64            Loss of the last step
//	u8             flags: 1 the last step had a target, 2 it had labels, 4 plateau state follows, 8 frozen
//	[f64 i64 i64]  plateau Best, Bad, Epochs
//	u32, i64…      labels of the last step (count, values)
//	u32            number of arrays, then for each: bytes name, u32 count, f64… values
//	bytes          the caller's blob (data stream position, generator state, …)
//
// "bytes" is a u32 length and that many bytes.

var checkpointMagic = []byte("GLECKPT\x00")

const checkpointVersion = 1

// ErrCheckpoint is wrapped by every error about a malformed or mismatched checkpoint.
var ErrCheckpoint = errors.New("gle: bad checkpoint")

type namedArray struct {
	name string
	v    []float64
}

// arrays lists every array a checkpoint holds, in a fixed order.
func (n *Net) arrays() []namedArray {
	var as []namedArray
	add := func(name string, v []float64) {
		if v != nil {
			as = append(as, namedArray{name, v})
		}
	}
	add("net/x", n.X)
	add("net/target", n.Target)
	add("net/out", n.Out)
	add("net/e_star", n.EStar)
	for _, p := range n.Populations {
		pre := "pop/" + p.Name + "/"
		add(pre+"r", p.R)
		if p.Input {
			continue
		}
		for _, s := range []namedArray{{"u", p.U}, {"v", p.V}, {"r_prime", p.RPrime}, {"u_breve", p.UBreve},
			{"e_breve", p.EBreve}, {"inst_e", p.InstE}, {"u_dot", p.UDot}, {"b", p.B}, {"tau_m", p.TauM},
			{"tau_r", p.TauR}, {"b_grad", p.BGrad}, {"tau_m_grad", p.TauMGrad}} {
			add(pre+s.name, s.v)
		}
		if p.BOpt != nil {
			add(pre+"b_opt_m", p.BOpt.M)
			add(pre+"b_opt_v", p.BOpt.V)
		}
		if p.TauMOpt != nil {
			add(pre+"tau_m_opt_m", p.TauMOpt.M)
			add(pre+"tau_m_opt_v", p.TauMOpt.V)
		}
	}
	for _, q := range n.Projections {
		pre := fmt.Sprintf("proj/%d/", q.Index)
		add(pre+"w", q.W)
		add(pre+"w_grad", q.WGrad)
		add(pre+"e_bottom", q.EBottom)
		if q.WOpt != nil {
			add(pre+"w_opt_m", q.WOpt.M)
			add(pre+"w_opt_v", q.WOpt.V)
		}
	}
	return as
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

// AppendCheckpoint appends to dst everything needed to resume n bit for bit —
// parameters, dynamic state, gradients, optimizer moments and step counters, the plateau
// schedule — and blob, an opaque record of the caller's own state (the data stream's
// position, its generator state).
func (n *Net) AppendCheckpoint(dst, blob []byte) ([]byte, error) {
	var netFile bytes.Buffer
	if err := network.Encode(&netFile, n.Network); err != nil {
		return dst, err
	}
	le := binary.LittleEndian
	dst = append(dst, checkpointMagic...)
	dst = le.AppendUint32(dst, checkpointVersion)
	dst = appendBytes(dst, netFile.Bytes())
	dst = le.AppendUint32(dst, uint32(n.Contexts))
	dst = le.AppendUint64(dst, uint64(n.Steps))
	dst = le.AppendUint64(dst, uint64(n.OptimizerSteps))
	dst = le.AppendUint64(dst, math.Float64bits(n.LR))
	dst = le.AppendUint64(dst, math.Float64bits(n.Loss))
	var flags byte
	if n.hasTarget {
		flags |= 1
	}
	if n.Labels != nil {
		flags |= 2
	}
	if n.Plateau != nil {
		flags |= 4
	}
	if n.Frozen {
		flags |= 8
	}
	dst = append(dst, flags)
	if s := n.Plateau; s != nil {
		dst = le.AppendUint64(dst, math.Float64bits(s.Best))
		dst = le.AppendUint64(dst, uint64(s.Bad))
		dst = le.AppendUint64(dst, uint64(s.Epochs))
	}
	dst = le.AppendUint32(dst, uint32(len(n.labelBuf)))
	for _, l := range n.labelBuf {
		dst = le.AppendUint64(dst, uint64(l))
	}
	as := n.arrays()
	dst = le.AppendUint32(dst, uint32(len(as)))
	for _, a := range as {
		dst = appendBytes(dst, []byte(a.name))
		dst = le.AppendUint32(dst, uint32(len(a.v)))
		for _, x := range a.v {
			dst = le.AppendUint64(dst, math.Float64bits(x))
		}
	}
	return appendBytes(dst, blob), nil
}

// reader decodes a checkpoint, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(k int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if k < 0 || len(r.b) < k {
		r.err = fmt.Errorf("%w: it ends inside %s; the file is truncated", ErrCheckpoint, what)
		return nil
	}
	out := r.b[:k]
	r.b = r.b[k:]
	return out
}

func (r *reader) u32(what string) uint32 {
	b := r.take(4, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *reader) u64(what string) uint64 {
	b := r.take(8, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *reader) bytes(what string) []byte {
	return r.take(int(r.u32(what)), what)
}

// Restore loads a checkpoint written by AppendCheckpoint of a Net of the same network
// and number of contexts, and returns the caller's blob. On error n is unchanged.
func (n *Net) Restore(buf []byte) (blob []byte, err error) {
	r := &reader{b: buf}
	if m := r.take(len(checkpointMagic), "the header"); r.err != nil || !bytes.Equal(m, checkpointMagic) {
		return nil, fmt.Errorf("%w: not a glemu checkpoint (wrong magic bytes)", ErrCheckpoint)
	}
	if v := r.u32("the version"); r.err == nil && v != checkpointVersion {
		return nil, fmt.Errorf("%w: checkpoint format %d, this glemu reads %d", ErrCheckpoint, v, checkpointVersion)
	}
	netFile := r.bytes("the network")
	var want bytes.Buffer
	if err := network.Encode(&want, n.Network); err != nil {
		return nil, err
	}
	if r.err == nil && !bytes.Equal(netFile, want.Bytes()) {
		return nil, fmt.Errorf("%w: it is of another network; restore it into a Net of the network it was saved from", ErrCheckpoint)
	}
	if c := r.u32("the contexts"); r.err == nil && int(c) != n.Contexts {
		return nil, fmt.Errorf("%w: it has %d contexts, this Net %d", ErrCheckpoint, c, n.Contexts)
	}
	steps := int(r.u64("the step counter"))
	optSteps := int(r.u64("the step counter"))
	lr := math.Float64frombits(r.u64("the learning rate"))
	loss := math.Float64frombits(r.u64("the loss"))
	flags := r.take(1, "the flags")
	var plateau PlateauState
	hasPlateau := flags != nil && flags[0]&4 != 0
	if hasPlateau != (n.Plateau != nil) && r.err == nil {
		return nil, fmt.Errorf("%w: plateau schedule present in one of the checkpoint and the Net only", ErrCheckpoint)
	}
	if hasPlateau {
		plateau = *n.Plateau
		plateau.Best = math.Float64frombits(r.u64("the plateau state"))
		plateau.Bad = int(r.u64("the plateau state"))
		plateau.Epochs = int(r.u64("the plateau state"))
	}
	nl := int(r.u32("the labels"))
	if r.err == nil && nl != len(n.labelBuf) {
		return nil, fmt.Errorf("%w: %d labels for %d contexts", ErrCheckpoint, nl, n.Contexts)
	}
	labels := make([]int, 0, len(n.labelBuf))
	for range nl {
		labels = append(labels, int(r.u64("the labels")))
	}
	as := n.arrays()
	count := int(r.u32("the arrays"))
	if r.err == nil && count != len(as) {
		return nil, fmt.Errorf("%w: %d arrays, this Net has %d", ErrCheckpoint, count, len(as))
	}
	values := make([][]byte, len(as))
	for i := range as {
		if r.err != nil {
			break
		}
		name := string(r.bytes("an array name"))
		k := int(r.u32("an array"))
		if r.err == nil && (name != as[i].name || k != len(as[i].v)) {
			return nil, fmt.Errorf("%w: array %d is %s[%d], want %s[%d]", ErrCheckpoint, i, name, k, as[i].name, len(as[i].v))
		}
		values[i] = r.take(8*k, "array "+name)
	}
	blob = r.bytes("the blob")
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the end", ErrCheckpoint, len(r.b))
	}
	// Everything checked: commit.
	for i, a := range as {
		for j := range a.v {
			a.v[j] = math.Float64frombits(binary.LittleEndian.Uint64(values[i][8*j:]))
		}
	}
	n.Steps, n.OptimizerSteps, n.LR, n.Loss = steps, optSteps, lr, loss
	n.hasTarget = flags[0]&1 != 0
	n.Frozen = flags[0]&8 != 0
	copy(n.labelBuf, labels)
	n.Labels = nil
	if flags[0]&2 != 0 {
		n.Labels = n.labelBuf
	}
	if hasPlateau {
		*n.Plateau = plateau
	}
	return append([]byte(nil), blob...), nil
}
