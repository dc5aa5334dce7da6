//go:build amd64 && !purego

#include "textflag.h"

// ROW_LOAD and ROW_STORE move one row of 32 doubles of c (pointer p) to and from four
// accumulators under the column masks K1-K4 (zero-masked loads read nothing past the
// columns).
#define ROW_LOAD(p, a, b, c, d) \
	VMOVUPD.Z (p), K1, a; \
	VMOVUPD.Z 64(p), K2, b; \
	VMOVUPD.Z 128(p), K3, c; \
	VMOVUPD.Z 192(p), K4, d

#define ROW_STORE(p, a, b, c, d) \
	VMOVUPD a, K1, (p); \
	VMOVUPD b, K2, 64(p); \
	VMOVUPD c, K3, 128(p); \
	VMOVUPD d, K4, 192(p)

// func gemmAVX512(rows int, k int, a0, a1, a2, a3 *float64, acs int, b *float64, bs int, c *float64, cs int, mask uint64, acc int)
// c[r][j] = (acc ≠ 0 ? c[r][j] : 0) + Σ_κ a_r[κ·acs]·b[κ·bs + j], for the first rows
// rows (1 to 4) and the columns j < 32 whose bit is set in mask (a run of low bits);
// strides in float64 elements. Sixteen accumulators, four rows × four registers of
// eight doubles; each κ loads four registers of b (zero-masked) and broadcasts one
// element of a per row: the sum runs over κ in order, one fused multiply-add per term,
// starting from c's value (or 0). Rows past rows read row 0 of a and c and are not
// stored.
TEXT ·gemmAVX512(SB), NOSPLIT, $0-104
	MOVQ     mask+88(FP), DX
	KMOVQ    DX, K1               // columns 0-7
	KSHIFTRQ $8, K1, K2           // 8-15
	KSHIFTRQ $16, K1, K3          // 16-23
	KSHIFTRQ $24, K1, K4          // 24-31
	MOVQ     rows+0(FP), AX

	// c's row pointers, rows past the last clamped to row 0.
	MOVQ c+72(FP), SI
	MOVQ cs+80(FP), R10
	SHLQ $3, R10
	MOVQ SI, DI
	MOVQ SI, R11
	MOVQ SI, R12
	CMPQ AX, $2
	JLT  gm_ptrs
	LEAQ (SI)(R10*1), DI
	CMPQ AX, $3
	JLT  gm_ptrs
	LEAQ (DI)(R10*1), R11
	CMPQ AX, $4
	JLT  gm_ptrs
	LEAQ (R11)(R10*1), R12

gm_ptrs:
	CMPQ acc+96(FP), $0
	JEQ  gm_zero
	ROW_LOAD(SI, Z0, Z1, Z2, Z3)
	ROW_LOAD(DI, Z4, Z5, Z6, Z7)
	ROW_LOAD(R11, Z8, Z9, Z10, Z11)
	ROW_LOAD(R12, Z12, Z13, Z14, Z15)
	JMP  gm_start

gm_zero:
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15

gm_start:
	MOVQ k+8(FP), CX
	MOVQ a0+16(FP), SI
	MOVQ a1+24(FP), DI
	MOVQ a2+32(FP), R11
	MOVQ a3+40(FP), R12
	MOVQ acs+48(FP), R9
	SHLQ $3, R9
	MOVQ b+56(FP), BX
	MOVQ bs+64(FP), R10
	SHLQ $3, R10
	TESTQ CX, CX
	JLE   gm_store

gm_loop:
	VMOVUPD.Z    (BX), K1, Z16
	VMOVUPD.Z    64(BX), K2, Z17
	VMOVUPD.Z    128(BX), K3, Z18
	VMOVUPD.Z    192(BX), K4, Z19
	VBROADCASTSD (SI), Z20
	VBROADCASTSD (DI), Z21
	VBROADCASTSD (R11), Z22
	VBROADCASTSD (R12), Z23
	VFMADD231PD  Z16, Z20, Z0
	VFMADD231PD  Z17, Z20, Z1
	VFMADD231PD  Z18, Z20, Z2
	VFMADD231PD  Z19, Z20, Z3
	VFMADD231PD  Z16, Z21, Z4
	VFMADD231PD  Z17, Z21, Z5
	VFMADD231PD  Z18, Z21, Z6
	VFMADD231PD  Z19, Z21, Z7
	VFMADD231PD  Z16, Z22, Z8
	VFMADD231PD  Z17, Z22, Z9
	VFMADD231PD  Z18, Z22, Z10
	VFMADD231PD  Z19, Z22, Z11
	VFMADD231PD  Z16, Z23, Z12
	VFMADD231PD  Z17, Z23, Z13
	VFMADD231PD  Z18, Z23, Z14
	VFMADD231PD  Z19, Z23, Z15
	ADDQ R9, SI
	ADDQ R9, DI
	ADDQ R9, R11
	ADDQ R9, R12
	ADDQ R10, BX
	DECQ CX
	JNZ  gm_loop

gm_store:
	MOVQ c+72(FP), SI
	MOVQ cs+80(FP), R10
	SHLQ $3, R10
	ROW_STORE(SI, Z0, Z1, Z2, Z3)
	CMPQ AX, $2
	JLT  gm_done
	ADDQ R10, SI
	ROW_STORE(SI, Z4, Z5, Z6, Z7)
	CMPQ AX, $3
	JLT  gm_done
	ADDQ R10, SI
	ROW_STORE(SI, Z8, Z9, Z10, Z11)
	CMPQ AX, $4
	JLT  gm_done
	ADDQ R10, SI
	ROW_STORE(SI, Z12, Z13, Z14, Z15)

gm_done:
	VZEROUPPER
	RET
