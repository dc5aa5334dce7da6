//go:build amd64 && !purego

#include "textflag.h"

// OuterSum's kernel on pre-paired operands (AVX-512 VNNI). Sums wrap in int32 as
// vpdpwssd does; the caller only uses it where they cannot leave int32.

// OP_LOADW loads the next 64 columns of weight pairs (R8) into Z24-Z27, the columns
// outside the block's masks K1, K3, K2, K4 as zero.
#define OP_LOADW \
	VMOVDQU32.Z (R8), K1, Z24; \
	VMOVDQU32.Z 64(R8), K3, Z25; \
	VMOVDQU32.Z 128(R8), K2, Z26; \
	VMOVDQU32.Z 192(R8), K4, Z27

// OP_MAC adds the four weight registers Z24-Z27 (64 columns of pairs, in column order)
// times the broadcast error pair Z28 to one output row's accumulators.
#define OP_MAC(a, b, c, d) \
	VPDPWSSD Z28, Z24, a; \
	VPDPWSSD Z28, Z25, b; \
	VPDPWSSD Z28, Z26, c; \
	VPDPWSSD Z28, Z27, d

// OP_ST16 sign-extends the sixteen int32 sums of z (columns off/8 …) and stores them
// under the dword mask K (low eight columns) and K >> 8 (high eight).
#define OP_ST16(z, y, K, off) \
	VPMOVSXDQ     y, Z29; \
	VMOVDQU64     Z29, K, off(DI); \
	VEXTRACTI64X4 $1, z, Y30; \
	VPMOVSXDQ     Y30, Z30; \
	KSHIFTRQ      $8, K, K7; \
	VMOVDQU64     Z30, K7, off+64(DI)

// OP_STROW stores one output row's 64 columns as int64.
#define OP_STROW(a, ya, b, yb, c, yc, d, yd) \
	OP_ST16(a, ya, K1, 0); \
	OP_ST16(b, yb, K3, 128); \
	OP_ST16(c, yc, K2, 256); \
	OP_ST16(d, yd, K4, 384)

// func outerPairedVNNI(dst *int64, ds int, w *int32, ws, pairs int, e *int32, ps, rows int, mask uint64)
// One block of up to 64 columns (those whose bit is set in mask, a run of low bits) of
// dst[i·ds + j] = Σ_p w[p·ws + j]·e[p·ps + i] (each a pair of int16, vpdpwssd's dot
// product of two), sign-extended to int64, for i < rows: the weight pairs are already
// interleaved, in column order, so they are loaded straight into the multiplies and
// the sums come out in column order (no shuffles before the stores). Six output rows
// at a time (24 accumulators), then one at a time. pairs ≥ 1.
TEXT ·outerPairedVNNI(SB), NOSPLIT, $0-72
	MOVQ     dst+0(FP), DI
	MOVQ     ds+8(FP), BX
	SHLQ     $3, BX
	MOVQ     ws+24(FP), R12
	SHLQ     $2, R12
	MOVQ     pairs+32(FP), R10
	MOVQ     e+40(FP), SI
	MOVQ     ps+48(FP), R9
	SHLQ     $2, R9
	MOVQ     rows+56(FP), AX
	MOVQ     mask+64(FP), CX
	KMOVQ    CX, K1               // dwords 0-15
	KSHIFTRQ $16, K1, K3          // dwords 16-31
	KSHIFTRQ $32, K1, K2          // dwords 32-47
	KSHIFTRQ $48, K1, K4          // dwords 48-63

op_block6:
	CMPQ AX, $6
	JLT  op_block1
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	MOVQ w+16(FP), R8
	XORQ DX, DX
	MOVQ R10, CX

op_pairs6:
	OP_LOADW
	VPBROADCASTD (SI)(DX*1), Z28
	OP_MAC(Z0, Z1, Z2, Z3)
	VPBROADCASTD 4(SI)(DX*1), Z28
	OP_MAC(Z4, Z5, Z6, Z7)
	VPBROADCASTD 8(SI)(DX*1), Z28
	OP_MAC(Z8, Z9, Z10, Z11)
	VPBROADCASTD 12(SI)(DX*1), Z28
	OP_MAC(Z12, Z13, Z14, Z15)
	VPBROADCASTD 16(SI)(DX*1), Z28
	OP_MAC(Z16, Z17, Z18, Z19)
	VPBROADCASTD 20(SI)(DX*1), Z28
	OP_MAC(Z20, Z21, Z22, Z23)
	ADDQ R12, R8
	ADDQ R9, DX
	DECQ CX
	JNZ  op_pairs6
	OP_STROW(Z0, Y0, Z1, Y1, Z2, Y2, Z3, Y3)
	ADDQ BX, DI
	OP_STROW(Z4, Y4, Z5, Y5, Z6, Y6, Z7, Y7)
	ADDQ BX, DI
	OP_STROW(Z8, Y8, Z9, Y9, Z10, Y10, Z11, Y11)
	ADDQ BX, DI
	OP_STROW(Z12, Y12, Z13, Y13, Z14, Y14, Z15, Y15)
	ADDQ BX, DI
	OP_STROW(Z16, Y16, Z17, Y17, Z18, Y18, Z19, Y19)
	ADDQ BX, DI
	OP_STROW(Z20, Y20, Z21, Y21, Z22, Y22, Z23, Y23)
	ADDQ BX, DI
	ADDQ $24, SI
	SUBQ $6, AX
	JMP  op_block6

op_block1:
	TESTQ  AX, AX
	JLE    op_done
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ   w+16(FP), R8
	XORQ   DX, DX
	MOVQ   R10, CX

op_pairs1:
	OP_LOADW
	VPBROADCASTD (SI)(DX*1), Z28
	OP_MAC(Z0, Z1, Z2, Z3)
	ADDQ         R12, R8
	ADDQ         R9, DX
	DECQ         CX
	JNZ          op_pairs1
	OP_STROW(Z0, Y0, Z1, Y1, Z2, Y2, Z3, Y3)
	ADDQ         BX, DI
	ADDQ         $4, SI
	DECQ         AX
	JMP          op_block1

op_done:
	VZEROUPPER
	RET
