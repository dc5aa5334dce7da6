//go:build amd64 && !purego

#include "textflag.h"

// Matrix–matrix kernels (AVX-512 VNNI). Sums wrap in int32 as vpdpwssd does, so the
// order of lanes and blocks cannot change a result. Z15 may be used: Go zeroes X15
// again after calling an ABI0 function.

// func matMatVNNI(dst *int32, ds int, w0, w1, w2, w3 *int16, x *int16, xs int, cols, contexts int, rowMask uint64)
// dst[c·ds + r] = Σ_j w_r[j]·x[c·xs + j] for the four rows r (rows whose bit is clear
// in rowMask are computed but not stored) and every context c < contexts.
// Four contexts at a time: sixteen int32 accumulators Z(4k+r), k the context, r the
// row; per 32 columns eight loads (four rows, four contexts) feed sixteen vpdpwssd.
// The last cols mod 32 columns use zero-masked loads. A transpose-and-add tree then
// reduces the sixteen accumulators to one register whose 128-bit lane k holds the
// four rows of context k. Contexts past the end of the last block read context 0 of
// the block and are not stored.
TEXT ·matMatVNNI(SB), NOSPLIT, $0-88
	MOVQ w0+16(FP), R8
	MOVQ w1+24(FP), R9
	MOVQ w2+32(FP), R10
	MOVQ w3+40(FP), R11
	MOVQ cols+64(FP), CX
	MOVQ CX, AX
	ANDQ $31, AX
	MOVL $1, DX
	SHLXL AX, DX, DX
	DECL DX
	KMOVD DX, K1              // tail words
	ANDQ $-32, CX
	SHLQ $1, CX               // bytes in full chunks
	MOVQ rowMask+80(FP), AX
	KMOVB AX, K2              // rows stored

mm_block:
	MOVQ contexts+72(FP), AX
	TESTQ AX, AX
	JLE  mm_done
	MOVQ x+48(FP), SI
	MOVQ xs+56(FP), DX
	SHLQ $1, DX
	LEAQ (SI)(DX*1), DI
	LEAQ (DI)(DX*1), R12
	LEAQ (R12)(DX*1), R13
	CMPQ AX, $2
	JGE  mm_c2
	MOVQ SI, DI

mm_c2:
	CMPQ AX, $3
	JGE  mm_c3
	MOVQ SI, R12

mm_c3:
	CMPQ AX, $4
	JGE  mm_c4
	MOVQ SI, R13

mm_c4:
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
	XORQ   BX, BX

mm_chunk:
	CMPQ      BX, CX
	JGE       mm_tail
	VMOVDQU64 (R8)(BX*1), Z16
	VMOVDQU64 (R9)(BX*1), Z17
	VMOVDQU64 (R10)(BX*1), Z18
	VMOVDQU64 (R11)(BX*1), Z19
	VMOVDQU64 (SI)(BX*1), Z20
	VMOVDQU64 (DI)(BX*1), Z21
	VMOVDQU64 (R12)(BX*1), Z22
	VMOVDQU64 (R13)(BX*1), Z23
	VPDPWSSD  Z16, Z20, Z0
	VPDPWSSD  Z17, Z20, Z1
	VPDPWSSD  Z18, Z20, Z2
	VPDPWSSD  Z19, Z20, Z3
	VPDPWSSD  Z16, Z21, Z4
	VPDPWSSD  Z17, Z21, Z5
	VPDPWSSD  Z18, Z21, Z6
	VPDPWSSD  Z19, Z21, Z7
	VPDPWSSD  Z16, Z22, Z8
	VPDPWSSD  Z17, Z22, Z9
	VPDPWSSD  Z18, Z22, Z10
	VPDPWSSD  Z19, Z22, Z11
	VPDPWSSD  Z16, Z23, Z12
	VPDPWSSD  Z17, Z23, Z13
	VPDPWSSD  Z18, Z23, Z14
	VPDPWSSD  Z19, Z23, Z15
	ADDQ      $64, BX
	JMP       mm_chunk

mm_tail:
	KTESTD      K1, K1
	JZ          mm_reduce
	VMOVDQU16.Z (R8)(BX*1), K1, Z16
	VMOVDQU16.Z (R9)(BX*1), K1, Z17
	VMOVDQU16.Z (R10)(BX*1), K1, Z18
	VMOVDQU16.Z (R11)(BX*1), K1, Z19
	VMOVDQU16.Z (SI)(BX*1), K1, Z20
	VMOVDQU16.Z (DI)(BX*1), K1, Z21
	VMOVDQU16.Z (R12)(BX*1), K1, Z22
	VMOVDQU16.Z (R13)(BX*1), K1, Z23
	VPDPWSSD    Z16, Z20, Z0
	VPDPWSSD    Z17, Z20, Z1
	VPDPWSSD    Z18, Z20, Z2
	VPDPWSSD    Z19, Z20, Z3
	VPDPWSSD    Z16, Z21, Z4
	VPDPWSSD    Z17, Z21, Z5
	VPDPWSSD    Z18, Z21, Z6
	VPDPWSSD    Z19, Z21, Z7
	VPDPWSSD    Z16, Z22, Z8
	VPDPWSSD    Z17, Z22, Z9
	VPDPWSSD    Z18, Z22, Z10
	VPDPWSSD    Z19, Z22, Z11
	VPDPWSSD    Z16, Z23, Z12
	VPDPWSSD    Z17, Z23, Z13
	VPDPWSSD    Z18, Z23, Z14
	VPDPWSSD    Z19, Z23, Z15

mm_reduce:
	// Level 1: pairs of accumulators, 32-bit interleave: B_p in Z(2p).
	VPUNPCKLDQ Z1, Z0, Z16
	VPUNPCKHDQ Z1, Z0, Z17
	VPADDD     Z17, Z16, Z0
	VPUNPCKLDQ Z3, Z2, Z16
	VPUNPCKHDQ Z3, Z2, Z17
	VPADDD     Z17, Z16, Z2
	VPUNPCKLDQ Z5, Z4, Z16
	VPUNPCKHDQ Z5, Z4, Z17
	VPADDD     Z17, Z16, Z4
	VPUNPCKLDQ Z7, Z6, Z16
	VPUNPCKHDQ Z7, Z6, Z17
	VPADDD     Z17, Z16, Z6
	VPUNPCKLDQ Z9, Z8, Z16
	VPUNPCKHDQ Z9, Z8, Z17
	VPADDD     Z17, Z16, Z8
	VPUNPCKLDQ Z11, Z10, Z16
	VPUNPCKHDQ Z11, Z10, Z17
	VPADDD     Z17, Z16, Z10
	VPUNPCKLDQ Z13, Z12, Z16
	VPUNPCKHDQ Z13, Z12, Z17
	VPADDD     Z17, Z16, Z12
	VPUNPCKLDQ Z15, Z14, Z16
	VPUNPCKHDQ Z15, Z14, Z17
	VPADDD     Z17, Z16, Z14

	// Level 2: 64-bit interleave: C_q in Z(4q), lane L = the four accumulators'
	// sums over that 128-bit lane.
	VPUNPCKLQDQ Z2, Z0, Z16
	VPUNPCKHQDQ Z2, Z0, Z17
	VPADDD      Z17, Z16, Z0
	VPUNPCKLQDQ Z6, Z4, Z16
	VPUNPCKHQDQ Z6, Z4, Z17
	VPADDD      Z17, Z16, Z4
	VPUNPCKLQDQ Z10, Z8, Z16
	VPUNPCKHQDQ Z10, Z8, Z17
	VPADDD      Z17, Z16, Z8
	VPUNPCKLQDQ Z14, Z12, Z16
	VPUNPCKHQDQ Z14, Z12, Z17
	VPADDD      Z17, Z16, Z12

	// Levels 3 and 4: add the 128-bit lanes; lane k of Z16 = context k's four rows.
	VSHUFI32X4 $0x88, Z4, Z0, Z16
	VSHUFI32X4 $0xdd, Z4, Z0, Z17
	VPADDD     Z17, Z16, Z0
	VSHUFI32X4 $0x88, Z12, Z8, Z16
	VSHUFI32X4 $0xdd, Z12, Z8, Z17
	VPADDD     Z17, Z16, Z8
	VSHUFI32X4 $0x88, Z8, Z0, Z16
	VSHUFI32X4 $0xdd, Z8, Z0, Z17
	VPADDD     Z17, Z16, Z16

	MOVQ          dst+0(FP), DI
	MOVQ          ds+8(FP), DX
	SHLQ          $2, DX
	VMOVDQU32     X16, K2, (DI)
	CMPQ          AX, $2
	JLT           mm_next
	VEXTRACTI32X4 $1, Z16, X17
	VMOVDQU32     X17, K2, (DI)(DX*1)
	CMPQ          AX, $3
	JLT           mm_next
	VEXTRACTI32X4 $2, Z16, X17
	VMOVDQU32     X17, K2, (DI)(DX*2)
	CMPQ          AX, $4
	JLT           mm_next
	VEXTRACTI32X4 $3, Z16, X17
	LEAQ          (DI)(DX*2), SI
	VMOVDQU32     X17, K2, (SI)(DX*1)

mm_next:
	LEAQ (DI)(DX*4), DI
	MOVQ DI, dst+0(FP)
	MOVQ x+48(FP), SI
	MOVQ xs+56(FP), DX
	SHLQ $3, DX               // four contexts, in bytes
	ADDQ DX, SI
	MOVQ SI, x+48(FP)
	SUBQ $4, AX
	MOVQ AX, contexts+72(FP)
	JMP  mm_block

mm_done:
	VZEROUPPER
	RET

// MT_PAIR loads 64 columns of two weight rows (P, Q) with the column masks K1, K2 and
// interleaves them into Z28-Z31: each int32 lane holds (w[i][j], w[i+1][j]).
#define MT_PAIR(P, Q) \
	VMOVDQU16.Z (P), K1, Z24; \
	VMOVDQU16.Z 64(P), K2, Z25; \
	VMOVDQU16.Z (Q), K1, Z26; \
	VMOVDQU16.Z 64(Q), K2, Z27; \
	VPUNPCKLWD  Z26, Z24, Z28; \
	VPUNPCKHWD  Z26, Z24, Z29; \
	VPUNPCKLWD  Z27, Z25, Z30; \
	VPUNPCKHWD  Z27, Z25, Z31

// MT_MAC adds the interleaved rows times the broadcast pair Z24 to one context's four
// accumulators.
#define MT_MAC(a, b, c, d) \
	VPDPWSSD Z24, Z28, a; \
	VPDPWSSD Z24, Z29, b; \
	VPDPWSSD Z24, Z30, c; \
	VPDPWSSD Z24, Z31, d

// MT_PERM puts one context's accumulators back in column order (the interleave left
// columns 0-3 | 8-11 | … in a and 4-7 | 12-15 | … in b): columns 0-15, 16-31, 32-47,
// 48-63 in Z24-Z27.
#define MT_PERM(a, b, c, d) \
	VSHUFI32X4 $0x44, b, a, Z24; \
	VSHUFI32X4 $0xd8, Z24, Z24, Z24; \
	VSHUFI32X4 $0xee, b, a, Z25; \
	VSHUFI32X4 $0xd8, Z25, Z25, Z25; \
	VSHUFI32X4 $0x44, d, c, Z26; \
	VSHUFI32X4 $0xd8, Z26, Z26, Z26; \
	VSHUFI32X4 $0xee, d, c, Z27; \
	VSHUFI32X4 $0xd8, Z27, Z27, Z27

// MT_STORE stores one context's 64 columns in order under the dword masks K1, K3, K2,
// K4.
#define MT_STORE(a, b, c, d, P) \
	MT_PERM(a, b, c, d); \
	VMOVDQU32  Z24, K1, (P); \
	VMOVDQU32  Z25, K3, 64(P); \
	VMOVDQU32  Z26, K2, 128(P); \
	VMOVDQU32  Z27, K4, 192(P)

// MT_ADD64 widens one 16-column register (Z24-Z27 after MT_PERM) to int64, shifts it
// left by X20's count, adds what
// P+off holds under K3 (columns 0-7) and K4 (8-15) (zero-masked: nothing when setting)
// and stores under K5 and K6.
#define MT_ADD64(ysrc, zsrc, off, P) \
	VPMOVSXDQ     ysrc, Z28; \
	VEXTRACTI64X4 $1, zsrc, Y29; \
	VPMOVSXDQ     Y29, Z29; \
	VPSLLQ        X20, Z28, Z28; \
	VPSLLQ        X20, Z29, Z29; \
	VMOVDQU64.Z   off(P), K3, Z30; \
	VPADDQ        Z30, Z28, Z28; \
	VMOVDQU64     Z28, K5, off(P); \
	VMOVDQU64.Z   off+64(P), K4, Z31; \
	VPADDQ        Z31, Z29, Z29; \
	VMOVDQU64     Z29, K6, off+64(P)

// MT_HALVES sets the store masks K5, K6 of columns s…s+7 and s+8…s+15 from K1, and
// the read-back masks K3, K4 = K5, K6 and K7 (all ones when adding, zero when setting).
#define MT_HALVES(s, s8) \
	KSHIFTRQ $s, K1, K5; \
	KSHIFTRQ $s8, K1, K6; \
	KANDQ    K7, K5, K3; \
	KANDQ    K7, K6, K4

// MT_STORE64 is MT_STORE for int64 destinations: each column's sum is sign-extended
// and added to what dst holds (or replaces it). It uses K3 and K4, which the int32
// stores need: a call stores one width only.
#define MT_STORE64(a, b, c, d, P) \
	MT_PERM(a, b, c, d); \
	MT_HALVES(0, 8); \
	MT_ADD64(Y24, Z24, 0, P); \
	MT_HALVES(16, 24); \
	MT_ADD64(Y25, Z25, 128, P); \
	MT_HALVES(32, 40); \
	MT_ADD64(Y26, Z26, 256, P); \
	MT_HALVES(48, 56); \
	MT_ADD64(Y27, Z27, 384, P)

// MT_SET64 is MT_STORE64 for a full block (all 64 columns) set without a shift:
// each column's sum sign-extended and stored, with no read-back, shift or masks
// (the first chunk of an OuterSum that outerPairedVNNI does not take: split operands,
// over 256 contexts or very wide rows).
#define MT_SET64(a, b, c, d, P) \
	MT_PERM(a, b, c, d); \
	VPMOVSXDQ     Y24, Z28; \
	VEXTRACTI64X4 $1, Z24, Y29; \
	VPMOVSXDQ     Y29, Z29; \
	VMOVDQU64     Z28, (P); \
	VMOVDQU64     Z29, 64(P); \
	VPMOVSXDQ     Y25, Z30; \
	VEXTRACTI64X4 $1, Z25, Y31; \
	VPMOVSXDQ     Y31, Z31; \
	VMOVDQU64     Z30, 128(P); \
	VMOVDQU64     Z31, 192(P); \
	VPMOVSXDQ     Y26, Z28; \
	VEXTRACTI64X4 $1, Z26, Y29; \
	VPMOVSXDQ     Y29, Z29; \
	VMOVDQU64     Z28, 256(P); \
	VMOVDQU64     Z29, 320(P); \
	VPMOVSXDQ     Y27, Z30; \
	VEXTRACTI64X4 $1, Z27, Y31; \
	VPMOVSXDQ     Y31, Z31; \
	VMOVDQU64     Z30, 384(P); \
	VMOVDQU64     Z31, 448(P)

// MT_SETHALF stores sixteen sums (ysrc/zsrc) at off(P) under the column masks K5 and
// K6, shifted out of K1 by s and s8.
#define MT_SETHALF(ysrc, zsrc, s, s8, off, P) \
	KSHIFTRQ      $s, K1, K5; \
	KSHIFTRQ      $s8, K1, K6; \
	VPMOVSXDQ     ysrc, Z28; \
	VEXTRACTI64X4 $1, zsrc, Y29; \
	VPMOVSXDQ     Y29, Z29; \
	VMOVDQU64     Z28, K5, off(P); \
	VMOVDQU64     Z29, K6, off+64(P)

// MT_SETM64 is MT_SET64 for a partial block: the same stores under the column masks
// (MT_SETHALF), still with no read-back.
#define MT_SETM64(a, b, c, d, P) \
	MT_PERM(a, b, c, d); \
	MT_SETHALF(Y24, Z24, 0, 8, 0, P); \
	MT_SETHALF(Y25, Z25, 16, 24, 128, P); \
	MT_SETHALF(Y26, Z26, 32, 40, 256, P); \
	MT_SETHALF(Y27, Z27, 48, 56, 384, P)

// func matTMatVNNI(dst unsafe.Pointer, ds int, w *int16, stride, rows int, e *int16, es, ps, contexts int, mask uint64, wide, shift int)
// One block of up to 64 columns (those whose bit is set in mask, a run of low bits) of
// dst[c·ds + j] = Σ_i w[i·stride + j]·e_c[i], for every context c. Rows go in pairs:
// a pair is loaded and interleaved once, then multiplied by the broadcast error pair
// (e_c[i], e_c[i+1]) of five contexts (twenty accumulators); remaining contexts go one
// at a time. Context c's pair of rows 2p, 2p+1 is the two int16 at e + c·es + p·ps
// (ps = 2 for errors stored as rows, e_c[i] = e[c·es + i]). An odd last row pairs with
// a zero row (and the error e_c[i] twice, so nothing past the row is read). wide 0
// stores int32 sums; wide 1 and 2 treat dst as int64 (ds in int64 elements) and add
// each sign-extended sum, shifted left by shift, to it (1) or store it (2); storing with
// shift 0 (OuterSum's first chunk) skips the read-back, the shift and, for a full block,
// the masks.
TEXT ·matTMatVNNI(SB), NOSPLIT, $0-96
	MOVQ     stride+24(FP), R12
	SHLQ     $1, R12
	MOVQ     rows+32(FP), R10
	MOVQ     ps+56(FP), AX
	SHLQ     $1, AX
	MOVQ     AX, ps+56(FP)        // pair step in bytes
	MOVQ     mask+72(FP), AX
	KMOVQ    AX, K1               // words 0-31, dwords 0-15
	KSHIFTRQ $32, K1, K2          // words 32-63, dwords 32-47
	KSHIFTRQ $16, K1, K3          // dwords 16-31
	KSHIFTRQ $48, K1, K4          // dwords 48-63
	MOVQ     shift+88(FP), AX
	VMOVQ    AX, X20              // the int64 sums' left shift
	KXORQ    K7, K7, K7
	CMPQ     wide+80(FP), $1
	JNE      mt_block5
	KXNORQ   K7, K7, K7           // int64 sums are added to dst

mt_block5:
	MOVQ contexts+64(FP), AX
	CMPQ AX, $5
	JLT  mt_block1
	MOVQ e+40(FP), SI
	MOVQ es+48(FP), DX
	SHLQ $1, DX
	LEAQ (SI)(DX*1), DI
	LEAQ (DI)(DX*1), R11
	LEAQ (R11)(DX*1), R13
	LEAQ (R13)(DX*1), BX
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
	MOVQ   w+16(FP), R8
	XORQ   CX, CX
	XORQ   DX, DX

mt_pairs5:
	LEAQ 1(CX), AX
	CMPQ AX, R10
	JGE  mt_last5
	LEAQ (R8)(R12*1), R9
	MT_PAIR(R8, R9)
	VPBROADCASTD (SI)(DX*1), Z24
	MT_MAC(Z0, Z1, Z2, Z3)
	VPBROADCASTD (DI)(DX*1), Z24
	MT_MAC(Z4, Z5, Z6, Z7)
	VPBROADCASTD (R11)(DX*1), Z24
	MT_MAC(Z8, Z9, Z10, Z11)
	VPBROADCASTD (R13)(DX*1), Z24
	MT_MAC(Z12, Z13, Z14, Z15)
	VPBROADCASTD (BX)(DX*1), Z24
	MT_MAC(Z16, Z17, Z18, Z19)
	LEAQ (R9)(R12*1), R8
	ADDQ ps+56(FP), DX
	ADDQ $2, CX
	JMP  mt_pairs5

mt_last5:
	CMPQ CX, R10
	JGE  mt_store5
	MOVQ R8, R9
	MT_PAIR(R8, R9)
	VPXORD       Z26, Z26, Z26
	VPUNPCKLWD   Z26, Z24, Z28
	VPUNPCKHWD   Z26, Z24, Z29
	VPUNPCKLWD   Z26, Z25, Z30
	VPUNPCKHWD   Z26, Z25, Z31
	VPBROADCASTW (SI)(DX*1), Z24
	MT_MAC(Z0, Z1, Z2, Z3)
	VPBROADCASTW (DI)(DX*1), Z24
	MT_MAC(Z4, Z5, Z6, Z7)
	VPBROADCASTW (R11)(DX*1), Z24
	MT_MAC(Z8, Z9, Z10, Z11)
	VPBROADCASTW (R13)(DX*1), Z24
	MT_MAC(Z12, Z13, Z14, Z15)
	VPBROADCASTW (BX)(DX*1), Z24
	MT_MAC(Z16, Z17, Z18, Z19)

mt_store5:
	MOVQ dst+0(FP), DI
	MOVQ ds+8(FP), DX
	CMPQ wide+80(FP), $0
	JNE  mt_wide5
	SHLQ $2, DX
	MT_STORE(Z0, Z1, Z2, Z3, DI)
	ADDQ DX, DI
	MT_STORE(Z4, Z5, Z6, Z7, DI)
	ADDQ DX, DI
	MT_STORE(Z8, Z9, Z10, Z11, DI)
	ADDQ DX, DI
	MT_STORE(Z12, Z13, Z14, Z15, DI)
	ADDQ DX, DI
	MT_STORE(Z16, Z17, Z18, Z19, DI)
	ADDQ DX, DI
	JMP  mt_next5

mt_wide5:
	SHLQ $3, DX
	CMPQ wide+80(FP), $2
	JNE  mt_add5
	CMPQ shift+88(FP), $0
	JNE  mt_add5
	CMPQ mask+72(FP), $-1
	JNE  mt_setm5
	MT_SET64(Z0, Z1, Z2, Z3, DI)
	ADDQ DX, DI
	MT_SET64(Z4, Z5, Z6, Z7, DI)
	ADDQ DX, DI
	MT_SET64(Z8, Z9, Z10, Z11, DI)
	ADDQ DX, DI
	MT_SET64(Z12, Z13, Z14, Z15, DI)
	ADDQ DX, DI
	MT_SET64(Z16, Z17, Z18, Z19, DI)
	ADDQ DX, DI
	JMP  mt_next5

mt_setm5:
	MT_SETM64(Z0, Z1, Z2, Z3, DI)
	ADDQ DX, DI
	MT_SETM64(Z4, Z5, Z6, Z7, DI)
	ADDQ DX, DI
	MT_SETM64(Z8, Z9, Z10, Z11, DI)
	ADDQ DX, DI
	MT_SETM64(Z12, Z13, Z14, Z15, DI)
	ADDQ DX, DI
	MT_SETM64(Z16, Z17, Z18, Z19, DI)
	ADDQ DX, DI
	JMP  mt_next5

mt_add5:
	MT_STORE64(Z0, Z1, Z2, Z3, DI)
	ADDQ DX, DI
	MT_STORE64(Z4, Z5, Z6, Z7, DI)
	ADDQ DX, DI
	MT_STORE64(Z8, Z9, Z10, Z11, DI)
	ADDQ DX, DI
	MT_STORE64(Z12, Z13, Z14, Z15, DI)
	ADDQ DX, DI
	MT_STORE64(Z16, Z17, Z18, Z19, DI)
	ADDQ DX, DI

mt_next5:
	MOVQ DI, dst+0(FP)
	MOVQ e+40(FP), SI
	MOVQ es+48(FP), DX
	LEAQ (DX)(DX*4), DX
	LEAQ (SI)(DX*2), SI
	MOVQ SI, e+40(FP)
	MOVQ contexts+64(FP), AX
	SUBQ $5, AX
	MOVQ AX, contexts+64(FP)
	JMP  mt_block5

mt_block1:
	TESTQ AX, AX
	JLE   mt_done
	MOVQ  e+40(FP), SI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ  w+16(FP), R8
	XORQ  CX, CX
	XORQ  DX, DX

mt_pairs1:
	LEAQ 1(CX), AX
	CMPQ AX, R10
	JGE  mt_last1
	LEAQ (R8)(R12*1), R9
	MT_PAIR(R8, R9)
	VPBROADCASTD (SI)(DX*1), Z24
	MT_MAC(Z0, Z1, Z2, Z3)
	LEAQ (R9)(R12*1), R8
	ADDQ ps+56(FP), DX
	ADDQ $2, CX
	JMP  mt_pairs1

mt_last1:
	CMPQ CX, R10
	JGE  mt_store1
	MOVQ R8, R9
	MT_PAIR(R8, R9)
	VPXORD       Z26, Z26, Z26
	VPUNPCKLWD   Z26, Z24, Z28
	VPUNPCKHWD   Z26, Z24, Z29
	VPUNPCKLWD   Z26, Z25, Z30
	VPUNPCKHWD   Z26, Z25, Z31
	VPBROADCASTW (SI)(DX*1), Z24
	MT_MAC(Z0, Z1, Z2, Z3)

mt_store1:
	MOVQ dst+0(FP), DI
	MOVQ ds+8(FP), DX
	CMPQ wide+80(FP), $0
	JNE  mt_wide1
	MT_STORE(Z0, Z1, Z2, Z3, DI)
	LEAQ (DI)(DX*4), DI
	JMP  mt_next1

mt_wide1:
	MT_STORE64(Z0, Z1, Z2, Z3, DI)
	LEAQ (DI)(DX*8), DI

mt_next1:
	MOVQ DI, dst+0(FP)
	MOVQ e+40(FP), SI
	MOVQ es+48(FP), DX
	LEAQ (SI)(DX*2), SI
	MOVQ SI, e+40(FP)
	MOVQ contexts+64(FP), AX
	DECQ AX
	MOVQ AX, contexts+64(FP)
	JMP  mt_block1

mt_done:
	VZEROUPPER
	RET

// func peakVNNI(n int)
// n iterations of 24 independent vpdpwssd on registers (768 int16 multiply-adds each):
// no loads, no dependency shorter than 24 instructions, so the loop runs at the
// processor's vpdpwssd throughput.
TEXT ·peakVNNI(SB), NOSPLIT, $0-8
	MOVQ   n+0(FP), CX
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
	VPTERNLOGD $0xff, Z30, Z30, Z30
	VPTERNLOGD $0xff, Z31, Z31, Z31
	TESTQ  CX, CX
	JLE    pk_done

pk_loop:
	VPDPWSSD Z30, Z31, Z0
	VPDPWSSD Z30, Z31, Z1
	VPDPWSSD Z30, Z31, Z2
	VPDPWSSD Z30, Z31, Z3
	VPDPWSSD Z30, Z31, Z4
	VPDPWSSD Z30, Z31, Z5
	VPDPWSSD Z30, Z31, Z6
	VPDPWSSD Z30, Z31, Z7
	VPDPWSSD Z30, Z31, Z8
	VPDPWSSD Z30, Z31, Z9
	VPDPWSSD Z30, Z31, Z10
	VPDPWSSD Z30, Z31, Z11
	VPDPWSSD Z30, Z31, Z12
	VPDPWSSD Z30, Z31, Z13
	VPDPWSSD Z30, Z31, Z14
	VPDPWSSD Z30, Z31, Z15
	VPDPWSSD Z30, Z31, Z16
	VPDPWSSD Z30, Z31, Z17
	VPDPWSSD Z30, Z31, Z18
	VPDPWSSD Z30, Z31, Z19
	VPDPWSSD Z30, Z31, Z20
	VPDPWSSD Z30, Z31, Z21
	VPDPWSSD Z30, Z31, Z22
	VPDPWSSD Z30, Z31, Z23
	DECQ     CX
	JNZ      pk_loop

pk_done:
	VZEROUPPER
	RET

// func pairRowsVNNI(d *int32, a *int16, rows, n, pairs int)
// the int32 pairs (lo, hi) vpdpwssd multiplies, from the rows of a taken two by two:
// d[p·n + i] = uint16(a[2p·rows + i]) | a[(2p+1)·rows + i]<<16 for p < pairs, i < n,
// in one call (OuterSum pairs up to 128 context pairs of a few rows each).
TEXT ·pairRowsVNNI(SB), NOSPLIT, $0-40
	MOVQ d+0(FP), DX
	MOVQ a+8(FP), SI
	MOVQ rows+16(FP), R8
	SHLQ $1, R8                // a row in bytes
	MOVQ n+24(FP), R9
	MOVQ pairs+32(FP), R10
	MOVQ R9, CX
	ANDQ $15, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1               // the tail's lanes

pr_pair:
	TESTQ R10, R10
	JZ    pr_done
	MOVQ  SI, BX               // lo
	LEAQ  (SI)(R8*1), DI       // hi
	MOVQ  R9, CX

pr_loop:
	CMPQ      CX, $16
	JLT       pr_tail
	VPMOVZXWD (BX), Z0
	VPMOVSXWD (DI), Z1
	VPSLLD    $16, Z1, Z1
	VPORD     Z1, Z0, Z0
	VMOVDQU32 Z0, (DX)
	ADDQ      $32, BX
	ADDQ      $32, DI
	ADDQ      $64, DX
	SUBQ      $16, CX
	JMP       pr_loop

pr_tail:
	TESTQ       CX, CX
	JZ          pr_next
	VPMOVZXWD.Z (BX), K1, Z0
	VPMOVSXWD.Z (DI), K1, Z1
	VPSLLD      $16, Z1, Z1
	VPORD       Z1, Z0, Z0
	VMOVDQU32   Z0, K1, (DX)
	LEAQ        (DX)(CX*4), DX

pr_next:
	LEAQ (SI)(R8*2), SI
	DECQ R10
	JMP  pr_pair

pr_done:
	VZEROUPPER
	RET

// SPLIT_PAIRS makes Z2 = low-byte pairs and Z4 = high-byte pairs of the words in Z0
// (first of each pair) and Z1 (second), with Z30 = 255 and Z31 = 0xffff.
#define SPLIT_PAIRS \
	VPANDD Z30, Z0, Z2; \
	VPANDD Z30, Z1, Z3; \
	VPSLLD $16, Z3, Z3; \
	VPORD  Z3, Z2, Z2; \
	VPSRAD $8, Z0, Z4; \
	VPANDD Z31, Z4, Z4; \
	VPSRAD $8, Z1, Z5; \
	VPSLLD $16, Z5, Z5; \
	VPORD  Z5, Z4, Z4

// func pairSplitVNNI(dl, dh *int32, lo, hi *int16, n int)
// dl[i] = (lo[i] & 255) | (hi[i] & 255)<<16 and dh[i] = uint16(lo[i] >> 8) |
// (hi[i] >> 8)<<16 for i < n: the pairs of low (unsigned) and high (signed) bytes, so
// that a = (a >> 8)·2^8 + (a & 255) multiplies in two passes with products below 2^23.
TEXT ·pairSplitVNNI(SB), NOSPLIT, $0-40
	MOVQ dl+0(FP), DX
	MOVQ dh+8(FP), BX
	MOVQ lo+16(FP), SI
	MOVQ hi+24(FP), DI
	MOVQ n+32(FP), CX
	MOVL $255, AX
	VPBROADCASTD AX, Z30
	MOVL $0xffff, AX
	VPBROADCASTD AX, Z31

ps_loop:
	CMPQ CX, $16
	JLT  ps_tail
	VPMOVSXWD (SI), Z0
	VPMOVSXWD (DI), Z1
	SPLIT_PAIRS
	VMOVDQU32 Z2, (DX)
	VMOVDQU32 Z4, (BX)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $64, DX
	ADDQ $64, BX
	SUBQ $16, CX
	JMP  ps_loop

ps_tail:
	TESTQ CX, CX
	JZ    ps_done
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K1
	VPMOVSXWD.Z (SI), K1, Z0
	VPMOVSXWD.Z (DI), K1, Z1
	SPLIT_PAIRS
	VMOVDQU32 Z2, K1, (DX)
	VMOVDQU32 Z4, K1, (BX)

ps_done:
	VZEROUPPER
	RET

// func maxAbsVNNI(p *int16, n int) uint32
// max |p[i]| over n ≥ 1 values, as unsigned (vpabsw maps −32768 to 0x8000).
TEXT ·maxAbsVNNI(SB), NOSPLIT, $0-20
	MOVQ   p+0(FP), SI
	MOVQ   n+8(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

ma_loop64:
	CMPQ      CX, $64
	JLT       ma_loop32
	VPABSW    (SI), Z2
	VPABSW    64(SI), Z3
	VPMAXUW   Z2, Z0, Z0
	VPMAXUW   Z3, Z1, Z1
	ADDQ      $128, SI
	SUBQ      $64, CX
	JMP       ma_loop64

ma_loop32:
	CMPQ    CX, $32
	JLT     ma_tail
	VPABSW  (SI), Z2
	VPMAXUW Z2, Z0, Z0
	ADDQ    $64, SI
	SUBQ    $32, CX

ma_tail:
	TESTQ       CX, CX
	JZ          ma_reduce
	MOVL        $1, AX
	SHLL        CX, AX
	DECL        AX
	KMOVD       AX, K1
	VMOVDQU16.Z (SI), K1, Z2
	VPABSW      Z2, Z2
	VPMAXUW     Z2, Z1, Z1

ma_reduce:
	VPMAXUW       Z1, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPMAXUW       Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPMAXUW       X1, X0, X0
	VPSHUFD       $0x4e, X0, X1
	VPMAXUW       X1, X0, X0
	VPSHUFD       $0xb1, X0, X1
	VPMAXUW       X1, X0, X0
	VPSRLD        $16, X0, X1
	VPMAXUW       X1, X0, X0
	VMOVD         X0, AX
	ANDL          $0xffff, AX
	MOVL          AX, ret+16(FP)
	VZEROUPPER
	RET

// func transpose8(t *int16, rows int, w *int16, stride, r8, c8 int)
// t[j·rows + i] = w[i·stride + j] for i < r8, j < c8 (multiples of 8): 8×8 blocks of
// words, eight 16-byte row loads, three rounds of unpacks (words, dwords, qwords) and
// eight 16-byte column stores.
TEXT ·transpose8(SB), NOSPLIT, $0-48
	MOVQ t+0(FP), DI
	MOVQ rows+8(FP), R8
	SHLQ $1, R8                // a column of t in bytes
	MOVQ w+16(FP), SI
	MOVQ stride+24(FP), R9
	SHLQ $1, R9                // a row of w in bytes
	MOVQ r8+32(FP), R10
	MOVQ c8+40(FP), R11
	XORQ R12, R12              // i

tr_rows:
	CMPQ R12, R10
	JGE  tr_done
	MOVQ R12, AX
	IMULQ R9, AX
	LEAQ (SI)(AX*1), BX        // &w[i][0]
	LEAQ (DI)(R12*2), DX       // &t[0·rows + i]
	XORQ R13, R13              // j

tr_cols:
	CMPQ R13, R11
	JGE  tr_next
	LEAQ (BX)(R13*2), AX
	VMOVDQU (AX), X0
	ADDQ  R9, AX
	VMOVDQU (AX), X1
	ADDQ  R9, AX
	VMOVDQU (AX), X2
	ADDQ  R9, AX
	VMOVDQU (AX), X3
	ADDQ  R9, AX
	VMOVDQU (AX), X4
	ADDQ  R9, AX
	VMOVDQU (AX), X5
	ADDQ  R9, AX
	VMOVDQU (AX), X6
	ADDQ  R9, AX
	VMOVDQU (AX), X7
	VPUNPCKLWD X1, X0, X8      // a0 b0 a1 b1 a2 b2 a3 b3
	VPUNPCKHWD X1, X0, X9      // a4 b4 … a7 b7
	VPUNPCKLWD X3, X2, X10
	VPUNPCKHWD X3, X2, X11
	VPUNPCKLWD X5, X4, X12
	VPUNPCKHWD X5, X4, X13
	VPUNPCKLWD X7, X6, X14
	VPUNPCKHWD X7, X6, X15
	VPUNPCKLDQ X10, X8, X0     // a0 b0 c0 d0 a1 b1 c1 d1
	VPUNPCKHDQ X10, X8, X1     // columns 2, 3
	VPUNPCKLDQ X11, X9, X2     // 4, 5
	VPUNPCKHDQ X11, X9, X3     // 6, 7
	VPUNPCKLDQ X14, X12, X4    // e…h, columns 0, 1
	VPUNPCKHDQ X14, X12, X5
	VPUNPCKLDQ X15, X13, X6
	VPUNPCKHDQ X15, X13, X7
	MOVQ  R13, AX
	IMULQ R8, AX
	ADDQ  DX, AX               // &t[j·rows + i]
	VPUNPCKLQDQ X4, X0, X8
	VMOVDQU X8, (AX)
	ADDQ  R8, AX
	VPUNPCKHQDQ X4, X0, X8
	VMOVDQU X8, (AX)
	ADDQ  R8, AX
	VPUNPCKLQDQ X5, X1, X8
	VMOVDQU X8, (AX)
	ADDQ  R8, AX
	VPUNPCKHQDQ X5, X1, X8
	VMOVDQU X8, (AX)
	ADDQ  R8, AX
	VPUNPCKLQDQ X6, X2, X8
	VMOVDQU X8, (AX)
	ADDQ  R8, AX
	VPUNPCKHQDQ X6, X2, X8
	VMOVDQU X8, (AX)
	ADDQ  R8, AX
	VPUNPCKLQDQ X7, X3, X8
	VMOVDQU X8, (AX)
	ADDQ  R8, AX
	VPUNPCKHQDQ X7, X3, X8
	VMOVDQU X8, (AX)
	ADDQ  $8, R13
	JMP   tr_cols

tr_next:
	ADDQ $8, R12
	JMP  tr_rows

tr_done:
	RET

// func outerProdVNNI(dst *int64, stride int, a *int16, rows int, b *int16, cols int)
// dst[i·stride + j] = a[i]·b[j] for i < rows, j < cols: OuterSum of one context, eight
// exact products at a time (vpmuldq of the sign-extended words), the last cols mod 8
// under a mask.
TEXT ·outerProdVNNI(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ stride+8(FP), R8
	SHLQ $3, R8                // a row of dst in bytes
	MOVQ a+16(FP), SI
	MOVQ rows+24(FP), R10
	MOVQ b+32(FP), R9
	MOVQ cols+40(FP), R11
	MOVQ R11, CX
	ANDQ $7, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVB AX, K1               // the tail's lanes
	MOVQ R11, R12
	ANDQ $-8, R12              // cols rounded down to eight

op_row:
	TESTQ R10, R10
	JZ    op_done
	MOVWQSX (SI), AX
	VPBROADCASTQ AX, Z0
	XORQ  BX, BX

op_col:
	CMPQ BX, R12
	JGE  op_tail
	VPMOVSXWQ (R9)(BX*2), Z1
	VPMULDQ   Z0, Z1, Z1
	VMOVDQU64 Z1, (DI)(BX*8)
	ADDQ      $8, BX
	JMP       op_col

op_tail:
	CMPQ BX, R11
	JGE  op_next
	VPMOVSXWQ.Z (R9)(BX*2), K1, Z1
	VPMULDQ     Z0, Z1, Z1
	VMOVDQU64   Z1, K1, (DI)(BX*8)

op_next:
	ADDQ $2, SI
	ADDQ R8, DI
	DECQ R10
	JMP  op_row

op_done:
	VZEROUPPER
	RET
