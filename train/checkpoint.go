package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/glemu/glemu/network"
)

// Checkpoint file layout (little endian):
//
//	"GLEMUTRN"   magic
//	u32          format version (1)
//	bytes        the network file being trained (network.Encode)
//	bytes        the run record (Record), JSON
//	bytes        the backend's state (Checkpointer.AppendCheckpoint)
//	u32          CRC-32 (IEEE) of everything before it
//
// "bytes" is a u32 length and that many bytes. A checkpoint is written after an epoch's
// training pass, before its test pass: resuming replays the test pass (no learning, so
// it lands on exactly the state the uninterrupted run had and must reproduce the
// recorded test loss bit for bit), sets the learning rate the schedule chose, and goes
// on with the next epoch.

var checkpointMagic = []byte("GLEMUTRN")

const checkpointVersion = 1

// CheckpointFile is the name of the checkpoint in a checkpoint directory; TrainedFile
// the network file with the parameters learned so far written into it.
const (
	CheckpointFile = "checkpoint.glemu"
	TrainedFile    = "trained.net.json"
)

// ErrCheckpoint is wrapped by every error about a malformed checkpoint.
var ErrCheckpoint = errors.New("train: bad checkpoint")

// Record is a run's own state in a checkpoint: what was trained how, and how far.
type Record struct {
	Task     string `json:"task"`
	Backend  string `json:"backend"`
	Seed     uint64 `json:"seed"`
	Contexts int    `json:"contexts"`
	// Data names the data set and its size.
	Data         string `json:"data"`
	TrainSamples int    `json:"train_samples"`
	TestSamples  int    `json:"test_samples"`
	Length       int    `json:"length"`
	// LR is the learning rate of the next epoch; Plateau the schedule's state.
	LR      float64  `json:"lr"`
	Plateau *Plateau `json:"plateau,omitempty"`
	// History holds every epoch done; the checkpoint is of the last one.
	History []Epoch `json:"history"`
}

// Checkpoint is a decoded checkpoint file.
type Checkpoint struct {
	Network *network.Network
	Record  Record
	// State is the backend's state after the last epoch's training pass.
	State []byte
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

// AppendCheckpoint appends c in the checkpoint file format to dst.
func AppendCheckpoint(dst []byte, c *Checkpoint) ([]byte, error) {
	var nw bytes.Buffer
	if err := network.Encode(&nw, c.Network); err != nil {
		return dst, err
	}
	rec, err := json.Marshal(c.Record)
	if err != nil {
		return dst, fmt.Errorf("train: checkpoint record: %w", err)
	}
	start := len(dst)
	dst = append(dst, checkpointMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, checkpointVersion)
	dst = appendBytes(dst, nw.Bytes())
	dst = appendBytes(dst, rec)
	dst = appendBytes(dst, c.State)
	return binary.LittleEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:])), nil
}

// ParseCheckpoint decodes a checkpoint file. The returned State aliases buf.
func ParseCheckpoint(buf []byte) (*Checkpoint, error) {
	if len(buf) < len(checkpointMagic)+8 || !bytes.Equal(buf[:len(checkpointMagic)], checkpointMagic) {
		return nil, fmt.Errorf("%w: not a glemu training checkpoint (wrong magic bytes)", ErrCheckpoint)
	}
	body, sum := buf[:len(buf)-4], binary.LittleEndian.Uint32(buf[len(buf)-4:])
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, fmt.Errorf("%w: checksum 0x%08x, want 0x%08x; the file is damaged or truncated", ErrCheckpoint, got, sum)
	}
	b := body[len(checkpointMagic):]
	if v := binary.LittleEndian.Uint32(b); v != checkpointVersion {
		return nil, fmt.Errorf("%w: format version %d, this glemu reads %d", ErrCheckpoint, v, checkpointVersion)
	}
	b = b[4:]
	var parts [3][]byte
	for i, what := range []string{"the network", "the run record", "the backend state"} {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: it ends inside %s", ErrCheckpoint, what)
		}
		k := binary.LittleEndian.Uint32(b)
		b = b[4:]
		if uint64(len(b)) < uint64(k) {
			return nil, fmt.Errorf("%w: it ends inside %s", ErrCheckpoint, what)
		}
		parts[i], b = b[:k], b[k:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the end", ErrCheckpoint, len(b))
	}
	nw, err := network.Decode(bytes.NewReader(parts[0]))
	if err != nil {
		return nil, fmt.Errorf("%w: its network: %w", ErrCheckpoint, err)
	}
	c := &Checkpoint{Network: nw, State: parts[2]}
	dec := json.NewDecoder(bytes.NewReader(parts[1]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c.Record); err != nil {
		return nil, fmt.Errorf("%w: its run record: %w", ErrCheckpoint, err)
	}
	if r := c.Record; len(r.History) == 0 || r.Contexts < 1 || r.Length < 1 || r.TrainSamples < 1 || r.TestSamples < 1 {
		return nil, fmt.Errorf("%w: its run record has %d epochs, %d contexts, %d+%d samples of %d; every one must be ≥ 1",
			ErrCheckpoint, len(r.History), r.Contexts, r.TrainSamples, r.TestSamples, r.Length)
	}
	return c, nil
}

// WriteCheckpoint writes buf to dir/CheckpointFile, creating dir, atomically: the file
// is written beside it and renamed, so a crash leaves the previous checkpoint whole.
func WriteCheckpoint(dir string, buf []byte) error {
	return writeAtomic(dir, CheckpointFile, buf)
}

// writeFile writes buf to path atomically (see WriteCheckpoint).
func writeFile(path string, buf []byte) error {
	return writeAtomic(filepath.Dir(path), filepath.Base(path), buf)
}

func writeAtomic(dir, name string, buf []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: writing %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return fmt.Errorf("train: writing %s: %w", name, err)
	}
	_, err = tmp.Write(buf)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("train: writing %s: %w", name, err)
	}
	return nil
}

// ReadCheckpoint reads and decodes dir/CheckpointFile.
func ReadCheckpoint(dir string) (*Checkpoint, error) {
	buf, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("train: no checkpoint in %s (want %s there); give the --checkpoint directory of a run", dir, CheckpointFile)
		}
		return nil, fmt.Errorf("train: %w", err)
	}
	c, err := ParseCheckpoint(buf)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, filepath.Join(dir, CheckpointFile))
	}
	return c, nil
}

// WithParams returns a copy of net whose file gives params explicitly: every
// projection's weights, every bias and every τm. Saved, it is the trained network,
// which glemu run and glemu eval take like any network file.
func WithParams(net *network.Network, params *network.Params) (*network.Network, error) {
	if err := net.CheckParams(params); err != nil {
		return nil, err
	}
	out := *net
	out.Populations = append([]network.Population(nil), net.Populations...)
	out.Projections = append([]network.Projection(nil), net.Projections...)
	for q := range out.Populations {
		p := &out.Populations[q]
		if p.Input {
			continue
		}
		p.TauM = append([]float64(nil), params.TauM[q]...)
		p.TauR = append([]float64(nil), params.TauR[q]...)
		if p.Bias {
			p.BiasInit = append([]float64(nil), params.Biases[q]...)
		}
	}
	for i := range out.Projections {
		pr := &out.Projections[i]
		s, t := net.Endpoints(i)
		ns := net.Populations[s].Size
		pr.Weights = make([][]float64, net.Populations[t].Size)
		for r := range pr.Weights {
			pr.Weights[r] = append([]float64(nil), params.Weights[i][r*ns:(r+1)*ns]...)
		}
	}
	return &out, nil
}
