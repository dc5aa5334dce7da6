package image

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/glemu/glemu/chip"
)

// Write writes the image of p to w.
func Write(w io.Writer, p *chip.Program) error {
	buf, err := AppendImage(nil, p)
	if err != nil {
		return err
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("image: write: %w", err)
	}
	return nil
}

// Read reads one image from r and decodes it as Parse does. It reads exactly the image's
// bytes (the header's length), never past them, so r may hold more after it. Memory
// grows with the bytes actually read, not with the length a header claims.
func Read(r io.Reader) (*chip.Program, error) {
	var head [HeaderSize]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("image: read: %w", err)
	}
	h, herr := ParseHeader(head[:n])
	if herr != nil {
		return nil, herr
	}
	var buf bytes.Buffer
	buf.Write(head[:])
	rest := int64(h.Length - HeaderSize)
	if h.Length-HeaderSize > 1<<62 {
		rest = 1 << 62
	}
	got, err := io.Copy(&buf, io.LimitReader(r, rest))
	if err != nil {
		return nil, fmt.Errorf("image: read: %w", err)
	}
	if got < rest {
		return nil, newError(ErrTruncated, "the header gives %d bytes, the stream ended after %d", h.Length, HeaderSize+got)
	}
	p, _, err := Parse(buf.Bytes())
	return p, err
}

// Load reads the image file at path. The file must hold exactly one image. Like Read,
// it reads the header first, so a file that is not an image is refused after 36 bytes
// whatever its size.
func Load(path string) (*chip.Program, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	defer f.Close()
	p, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	n, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	if st.Size() != n {
		return nil, newError(ErrCorrupt, "file %s: %s after the image's %d", path, plural(int(st.Size()-n), "byte"), n)
	}
	return p, nil
}

// Save writes the image of p to the file at path, replacing it atomically: the image
// goes to a temporary file in the same directory, which is synced and renamed over path,
// so a crash never leaves a partial image behind. The file gets mode 0644.
func Save(path string, p *chip.Program) (err error) {
	buf, err := AppendImage(nil, p)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(buf); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	return nil
}
