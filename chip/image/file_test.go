package image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/glemu/glemu/chip"
)

func TestWriteRead(t *testing.T) {
	a, b := tinyProgram(), splitProgram()
	var buf bytes.Buffer
	for _, p := range []*chip.Program{a, b} {
		if err := Write(&buf, p); err != nil {
			t.Fatal(err)
		}
	}
	buf.WriteString("after")
	// One byte at a time, so that Read cannot rely on large reads.
	r := iotest.OneByteReader(&buf)
	for _, want := range []*chip.Program{a, b} {
		p, err := Read(r)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p, want) {
			t.Fatal(firstDiff(p, want))
		}
	}
	if rest, _ := io.ReadAll(r); string(rest) != "after" {
		t.Fatalf("Read consumed bytes after the images; %q left", rest)
	}
	if _, err := Read(r); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Read at the end of the stream: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	if err := Write(io.Discard, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Write(nil program): %v", err)
	}
	w := errWriter{}
	if err := Write(w, tinyProgram()); err == nil || err.Error() != "image: write: disk full" {
		t.Errorf("Write to a failing writer: %v", err)
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestReadErrors(t *testing.T) {
	img := mustAppend(t, tinyProgram())
	cases := []struct {
		name string
		r    io.Reader
		kind error
		want string
	}{
		{"reader fails", iotest.ErrReader(errors.New("port closed")), nil, "image: read: port closed"},
		{"fails in the body", io.MultiReader(bytes.NewReader(img[:100]), iotest.ErrReader(errors.New("port closed"))), nil,
			"image: read: port closed"},
		{"ends in the body", bytes.NewReader(img[:100]), ErrTruncated,
			"image: the header gives 1208 bytes, the stream ended after 100; the image is truncated, re-copy it"},
		{"not an image", strings.NewReader("hello"), ErrNotImage,
			"image: the first bytes are 68 65 6c 6c 6f, not the image magic 89 47 4c 45 0d 0a 1a 0a; give a file written by glemu compile or image.Save"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.r)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error\n got %v\nwant %s", err, tc.want)
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("%v does not match %v", err, tc.kind)
			}
		})
	}
}

// TestReadHostileLength: a header that claims an enormous image (with a correct CRC)
// makes Read allocate only for the bytes that actually arrive.
func TestReadHostileLength(t *testing.T) {
	img := mustAppend(t, tinyProgram())
	binary.LittleEndian.PutUint64(img[16:], 1<<60)
	img = reseal(img)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Read(bytes.NewReader(img))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("%v", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<16 {
		t.Errorf("allocated %d bytes to read %d", got, len(img))
	}
	if _, _, err := Parse(img); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Parse: %v", err)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.img")
	for _, p := range []*chip.Program{tinyProgram(), splitProgram()} { // the second replaces the first
		if err := Save(path, p); err != nil {
			t.Fatal(err)
		}
		q, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(q, p) {
			t.Fatal(firstDiff(q, p))
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want only net.img (a temporary file was left behind?)", len(entries))
	}
}

func TestSaveErrors(t *testing.T) {
	dir := t.TempDir()
	bad := tinyProgram()
	bad.Contexts = 0
	path := filepath.Join(dir, "bad.img")
	if err := Save(path, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("Save of an invalid program: %v", err)
	}
	if err := Save(filepath.Join(dir, "missing", "x.img"), tinyProgram()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Save into a missing directory: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed saves left %d files", len(entries))
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	img := mustAppend(t, tinyProgram())
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := Load(filepath.Join(dir, "none.img")); !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "image: ") {
		t.Errorf("missing file: %v", err)
	}
	trailing := write("trailing.img", append(bytes.Clone(img), 0))
	if _, err := Load(trailing); !errors.Is(err, ErrCorrupt) ||
		err.Error() != "image: file "+trailing+": 1 byte after the image's 1208; the image is corrupted, recompile or re-copy it" {
		t.Errorf("trailing bytes: %v", err)
	}
	damaged := bytes.Clone(img)
	damaged[1000] ^= 4
	dpath := write("damaged.img", damaged)
	if _, err := Load(dpath); !errors.Is(err, ErrCorrupt) || !strings.HasSuffix(err.Error(), " (file "+dpath+")") {
		t.Errorf("damaged file: %v", err)
	}
}
