package fixedpoint

// Portable fast paths: unrolled Go, used on CPUs without the assembly kernels and for
// the tails the assembly leaves.

func dotUnrolled(a, b []int16) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += int32(a[i]) * int32(b[i])
		s1 += int32(a[i+1]) * int32(b[i+1])
		s2 += int32(a[i+2]) * int32(b[i+2])
		s3 += int32(a[i+3]) * int32(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}

func matTVecGo(dst []int32, w []int16, stride int, e []int16) {
	clear(dst)
	for i, ei := range e {
		row := w[i*stride : i*stride+len(dst)]
		x := int32(ei)
		d := dst[:len(row)]
		j := 0
		for ; j+4 <= len(row); j += 4 {
			d[j] += int32(row[j]) * x
			d[j+1] += int32(row[j+1]) * x
			d[j+2] += int32(row[j+2]) * x
			d[j+3] += int32(row[j+3]) * x
		}
		for ; j < len(row); j++ {
			d[j] += int32(row[j]) * x
		}
	}
}

// outerUpdateGo is OuterUpdate with the single-context case specialised and the
// stochastic rounding inlined.
func outerUpdateGo(w []int16, stride int, a, b []int16, rows, cols, contexts int, p OuterParams, c *Counters) {
	if contexts != 1 {
		outerUpdatePlain(w, stride, a, b, rows, cols, contexts, p, c)
		return
	}
	mask := uint64(1)<<p.Shift - 1
	rshift := 64 - p.Shift
	lo, hi := int64(p.Min), int64(p.Max)
	var sat uint64
	b = b[:cols]
	for i := 0; i < rows; i++ {
		ai := int64(a[i]) * int64(p.Mult)
		row := w[i*stride : i*stride+cols]
		base := uint64(p.Stream) + (uint64(p.Row0+i)*uint64(p.Cols)+uint64(p.Col0))*golden
		for j, bj := range b {
			t := ai * int64(bj)
			r := mix(base + uint64(j)*golden)
			q := t>>p.Shift + int64((uint64(t)&mask+r>>rshift)>>p.Shift)
			x := int64(row[j]) + q
			if x > hi {
				x = hi
				sat++
			} else if x < lo {
				x = lo
				sat++
			}
			row[j] = int16(x)
		}
	}
	if c != nil {
		c.Saturations += sat
	}
}
