package image

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/glemu/glemu/fixedpoint"
)

// Dump writes an annotated listing of the image at the start of buf to w: every field
// with its offset, its bytes in hex and its decoded value, one field per line (longer
// fields wrap at 8 bytes a line), sections and records introduced by lines starting
// with "#". It decodes with Parse's checks and returns Parse's error after listing the
// fields read before it, so a damaged image shows where it goes wrong.
// docs/image-format.md's worked example is Dump's output.
func Dump(w io.Writer, buf []byte) error {
	a := &annotator{img: buf}
	_, _, err := decode(buf, a)
	if _, werr := w.Write(a.out); werr != nil {
		return fmt.Errorf("image: dump: %w", werr)
	}
	return err
}

// annotator collects Dump's lines.
type annotator struct {
	img   []byte
	out   []byte
	quiet int // > 0 inside a record listed as one line
}

const dumpBytesPerLine = 8

func (a *annotator) comment(s string) {
	if a.quiet == 0 {
		a.out = append(a.out, "# "+s+"\n"...)
	}
}

// field lists bytes off…off+n−1 as one field.
func (a *annotator) field(off, n int, label, value string) {
	if a.quiet > 0 {
		return
	}
	text := label
	if value != "" {
		text += " = " + value
	}
	const digits = "0123456789abcdef"
	for i := 0; i == 0 || i < n; i += dumpBytesPerLine {
		o := off + i
		if o < 1<<24 {
			a.out = append(a.out, digits[o>>20&15], digits[o>>16&15], digits[o>>12&15], digits[o>>8&15], digits[o>>4&15], digits[o&15], ' ')
		} else {
			a.out = fmt.Appendf(a.out, "%x ", o)
		}
		k := min(dumpBytesPerLine, n-i)
		for j := range dumpBytesPerLine {
			if j < k {
				c := a.img[o+j]
				a.out = append(a.out, ' ', digits[c>>4], digits[c&15])
			} else {
				a.out = append(a.out, "   "...)
			}
		}
		if i == 0 {
			a.out = append(a.out, "  "+text...)
		} else {
			a.out = bytes.TrimRight(a.out, " ")
		}
		a.out = append(a.out, '\n')
	}
}

func (a *annotator) header(h []byte) {
	le := binary.LittleEndian
	a.comment("header")
	a.field(0, 8, "magic", strconv.Quote(string(h[:8])))
	a.field(8, 2, "major version", strconv.Itoa(int(le.Uint16(h[8:]))))
	a.field(10, 2, "minor version", strconv.Itoa(int(le.Uint16(h[10:]))))
	a.field(12, 4, "flags", hex32(le.Uint32(h[12:])))
	a.field(16, 8, "length", strconv.FormatUint(le.Uint64(h[16:]), 10))
	a.field(24, 4, "sections", strconv.Itoa(int(le.Uint32(h[24:]))))
	a.field(28, 4, "body crc", hex32(le.Uint32(h[28:])))
	a.field(32, 4, "header crc", hex32(le.Uint32(h[32:])))
}

func hex32(v uint32) string { return fmt.Sprintf("0x%08x", v) }

// formatValues lists raw values, eliding the middle of long lists.
func formatValues(vs []int64) string {
	const most = 16
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if len(vs) > most && i == most/2 {
			fmt.Fprintf(&b, " … (%d more)", len(vs)-most)
		}
		if len(vs) > most && i >= most/2 && i < len(vs)-most/2 {
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(v, 10))
	}
	b.WriteByte(']')
	return b.String()
}

func describeVar(v *fixedpoint.Var) string {
	s := v.Name + " " + v.Format.String() + " " + v.Rounding.String() + " " + v.Overflow.String()
	if v.Doc != "" {
		s += " " + strconv.Quote(v.Doc)
	}
	return s
}
