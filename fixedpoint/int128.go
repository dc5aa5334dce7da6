package fixedpoint

import "math/bits"

// i128 is a two's-complement 128-bit integer, used for exact intermediates (full-width
// products of 63-bit values, aligned sums). Only what the rescaler needs is here.
type i128 struct{ hi, lo uint64 }

func i128From(x int64) i128 { return i128{uint64(x >> 63), uint64(x)} }

func (x i128) neg() bool { return int64(x.hi) < 0 }

func (x i128) isZero() bool { return x.hi|x.lo == 0 }

// int64 reports x as an int64 and whether it fits.
func (x i128) int64() (int64, bool) {
	return int64(x.lo), x.hi == uint64(int64(x.lo)>>63)
}

func (x i128) add(y i128) i128 {
	lo, c := bits.Add64(x.lo, y.lo, 0)
	hi, _ := bits.Add64(x.hi, y.hi, c)
	return i128{hi, lo}
}

func (x i128) sub(y i128) i128 {
	lo, b := bits.Sub64(x.lo, y.lo, 0)
	hi, _ := bits.Sub64(x.hi, y.hi, b)
	return i128{hi, lo}
}

// mul128 is the exact product of two int64 values.
func mul128(a, b int64) i128 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if a < 0 {
		hi -= uint64(b)
	}
	if b < 0 {
		hi -= uint64(a)
	}
	return i128{hi, lo}
}

// sar is the arithmetic (floor) shift right by n, 0 ≤ n; n ≥ 127 leaves the sign.
func (x i128) sar(n int) i128 {
	switch {
	case n == 0:
		return x
	case n < 64:
		return i128{uint64(int64(x.hi) >> n), x.lo>>n | x.hi<<(64-n)}
	case n < 128:
		return i128{uint64(int64(x.hi) >> 63), uint64(int64(x.hi) >> (n - 64))}
	default:
		s := uint64(int64(x.hi) >> 63)
		return i128{s, s}
	}
}

// shl shifts left by 0 ≤ n, dropping bits shifted past bit 127.
func (x i128) shl(n int) i128 {
	switch {
	case n == 0:
		return x
	case n < 64:
		return i128{x.hi<<n | x.lo>>(64-n), x.lo << n}
	case n < 128:
		return i128{x.lo << (n - 64), 0}
	default:
		return i128{}
	}
}

// low keeps the n low bits of x as an unsigned value (x mod 2^n), 0 ≤ n ≤ 128.
func (x i128) low(n int) i128 {
	switch {
	case n >= 128:
		return x
	case n >= 64:
		return i128{x.hi & (1<<(n-64) - 1), x.lo}
	default:
		return i128{0, x.lo & (1<<n - 1)}
	}
}

// ucmp compares x and y as unsigned 128-bit values.
func ucmp(x, y i128) int {
	switch {
	case x.hi < y.hi:
		return -1
	case x.hi > y.hi:
		return 1
	case x.lo < y.lo:
		return -1
	case x.lo > y.lo:
		return 1
	}
	return 0
}

// scmp compares x and y as signed values.
func scmp(x, y i128) int {
	if int64(x.hi) != int64(y.hi) {
		if int64(x.hi) < int64(y.hi) {
			return -1
		}
		return 1
	}
	return ucmp(i128{0, x.lo}, i128{0, y.lo})
}

// bitLen is the number of bits of |x| (x ≠ min128).
func (x i128) absBitLen() int {
	if x.neg() {
		x = i128{}.sub(x)
	}
	if x.hi != 0 {
		return 64 + bits.Len64(x.hi)
	}
	return bits.Len64(x.lo)
}
