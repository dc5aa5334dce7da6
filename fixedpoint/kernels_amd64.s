//go:build amd64 && !purego

#include "textflag.h"

// Registers R14, R15 and X15 are left alone (Go's g, GOT and zero registers).

// func dotVNNI(a, b *int16, n int) int32
// AVX-512 VNNI: vpdpwssd accumulates int16 pair products into int32 lanes, wrapping.
// The last n mod 32 elements are read with zero-masked loads (no fault past the end).
TEXT ·dotVNNI(SB), NOSPLIT, $0-28
	MOVQ   a+0(FP), SI
	MOVQ   b+8(FP), DI
	MOVQ   n+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	CMPQ   CX, $256
	JLT    dv_loop32

	// 256 words per iteration into eight independent accumulators.
dv_loop256:
	VMOVDQU64 (SI), Z16
	VMOVDQU64 64(SI), Z17
	VMOVDQU64 128(SI), Z18
	VMOVDQU64 192(SI), Z19
	VMOVDQU64 256(SI), Z20
	VMOVDQU64 320(SI), Z21
	VMOVDQU64 384(SI), Z22
	VMOVDQU64 448(SI), Z23
	VPDPWSSD  (DI), Z16, Z0
	VPDPWSSD  64(DI), Z17, Z1
	VPDPWSSD  128(DI), Z18, Z2
	VPDPWSSD  192(DI), Z19, Z3
	VPDPWSSD  256(DI), Z20, Z4
	VPDPWSSD  320(DI), Z21, Z5
	VPDPWSSD  384(DI), Z22, Z6
	VPDPWSSD  448(DI), Z23, Z7
	ADDQ      $512, SI
	ADDQ      $512, DI
	SUBQ      $256, CX
	CMPQ      CX, $256
	JGE       dv_loop256

dv_loop32:
	CMPQ      CX, $32
	JLT       dv_tail
	VMOVDQU64 (SI), Z16
	VPDPWSSD  (DI), Z16, Z0
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $32, CX
	JMP       dv_loop32

dv_tail:
	TESTQ       CX, CX
	JZ          dv_reduce
	MOVL        $1, AX
	SHLL        CX, AX
	DECL        AX
	KMOVD       AX, K1
	VMOVDQU16.Z (SI), K1, Z16
	VMOVDQU16.Z (DI), K1, Z17
	VPDPWSSD    Z17, Z16, Z1

dv_reduce:
	VPADDD        Z1, Z0, Z0
	VPADDD        Z3, Z2, Z2
	VPADDD        Z5, Z4, Z4
	VPADDD        Z7, Z6, Z6
	VPADDD        Z2, Z0, Z0
	VPADDD        Z6, Z4, Z4
	VPADDD        Z4, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD        Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0x4e, X0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0xb1, X0, X1
	VPADDD        X1, X0, X0
	VMOVD         X0, AX
	MOVL          AX, ret+24(FP)
	VZEROUPPER
	RET

// func dotAVX2(a, b *int16, n int) int32
// AVX2: vpmaddwd forms int32 sums of adjacent int16 products (wrapping, as the only
// overflow, 2·(−32768)², wraps to −2^31), vpaddd accumulates. n is a multiple of 16.
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ  a+0(FP), SI
	MOVQ  b+8(FP), DI
	MOVQ  n+16(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	CMPQ  CX, $64
	JLT   da_loop16

da_loop64:
	VMOVDQU  (SI), Y4
	VMOVDQU  32(SI), Y5
	VMOVDQU  64(SI), Y6
	VMOVDQU  96(SI), Y7
	VPMADDWD (DI), Y4, Y4
	VPMADDWD 32(DI), Y5, Y5
	VPMADDWD 64(DI), Y6, Y6
	VPMADDWD 96(DI), Y7, Y7
	VPADDD   Y4, Y0, Y0
	VPADDD   Y5, Y1, Y1
	VPADDD   Y6, Y2, Y2
	VPADDD   Y7, Y3, Y3
	ADDQ     $128, SI
	ADDQ     $128, DI
	SUBQ     $64, CX
	CMPQ     CX, $64
	JGE      da_loop64

da_loop16:
	CMPQ     CX, $16
	JLT      da_reduce
	VMOVDQU  (SI), Y4
	VPMADDWD (DI), Y4, Y4
	VPADDD   Y4, Y0, Y0
	ADDQ     $32, SI
	ADDQ     $32, DI
	SUBQ     $16, CX
	JMP      da_loop16

da_reduce:
	VPADDD       Y1, Y0, Y0
	VPADDD       Y3, Y2, Y2
	VPADDD       Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, AX
	MOVL         AX, ret+24(FP)
	VZEROUPPER
	RET

// func matVecVNNI(dst *int32, w *int16, stride int, x *int16, rows, n int)
// Four rows at a time share each load of x; the four sums are reduced together.
// Then one row at a time. Column tails use zero-masked loads.
TEXT ·matVecVNNI(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DX
	MOVQ w+8(FP), R8
	MOVQ stride+16(FP), R12
	SHLQ $1, R12              // row stride in bytes
	MOVQ x+24(FP), SI
	MOVQ rows+32(FP), R13
	MOVQ n+40(FP), CX

	// K1: mask of the n mod 32 tail words.
	MOVQ  CX, AX
	ANDQ  $31, AX
	MOVQ  AX, BX
	MOVL  $1, AX
	SHLXL BX, AX, AX
	DECL  AX
	KMOVD AX, K1
	MOVQ  CX, R11
	ANDQ  $-32, R11           // words in full chunks
	SHLQ  $1, R11             // bytes in full chunks

mv_rows4:
	CMPQ   R13, $4
	JLT    mv_rows1
	LEAQ   (R8)(R12*1), R9
	LEAQ   (R9)(R12*1), R10
	LEAQ   (R10)(R12*1), DI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	XORQ   BX, BX

mv_loop4:
	CMPQ      BX, R11
	JGE       mv_tail4
	VMOVDQU64 (SI)(BX*1), Z4
	VPDPWSSD  (R8)(BX*1), Z4, Z0
	VPDPWSSD  (R9)(BX*1), Z4, Z1
	VPDPWSSD  (R10)(BX*1), Z4, Z2
	VPDPWSSD  (DI)(BX*1), Z4, Z3
	ADDQ      $64, BX
	JMP       mv_loop4

mv_tail4:
	KTESTD      K1, K1
	JZ          mv_reduce4
	VMOVDQU16.Z (SI)(BX*1), K1, Z4
	VMOVDQU16.Z (R8)(BX*1), K1, Z5
	VMOVDQU16.Z (R9)(BX*1), K1, Z6
	VMOVDQU16.Z (R10)(BX*1), K1, Z7
	VMOVDQU16.Z (DI)(BX*1), K1, Z8
	VPDPWSSD    Z5, Z4, Z0
	VPDPWSSD    Z6, Z4, Z1
	VPDPWSSD    Z7, Z4, Z2
	VPDPWSSD    Z8, Z4, Z3

mv_reduce4:
	VEXTRACTI64X4 $1, Z0, Y4
	VEXTRACTI64X4 $1, Z1, Y5
	VEXTRACTI64X4 $1, Z2, Y6
	VEXTRACTI64X4 $1, Z3, Y7
	VPADDD        Y4, Y0, Y0
	VPADDD        Y5, Y1, Y1
	VPADDD        Y6, Y2, Y2
	VPADDD        Y7, Y3, Y3
	VPHADDD       Y1, Y0, Y0  // per 128-bit lane: a01 a23 b01 b23
	VPHADDD       Y3, Y2, Y2  // c01 c23 d01 d23
	VPHADDD       Y2, Y0, Y0  // a b c d (per lane)
	VEXTRACTI128  $1, Y0, X1
	VPADDD        X1, X0, X0
	VMOVDQU       X0, (DX)
	ADDQ          $16, DX
	LEAQ          (DI)(R12*1), R8
	SUBQ          $4, R13
	JMP           mv_rows4

mv_rows1:
	TESTQ  R13, R13
	JZ     mv_done
	VPXORD Z0, Z0, Z0
	XORQ   BX, BX

mv_loop1:
	CMPQ      BX, R11
	JGE       mv_tail1
	VMOVDQU64 (SI)(BX*1), Z4
	VPDPWSSD  (R8)(BX*1), Z4, Z0
	ADDQ      $64, BX
	JMP       mv_loop1

mv_tail1:
	KTESTD      K1, K1
	JZ          mv_reduce1
	VMOVDQU16.Z (SI)(BX*1), K1, Z4
	VMOVDQU16.Z (R8)(BX*1), K1, Z5
	VPDPWSSD    Z5, Z4, Z0

mv_reduce1:
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD        Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0x4e, X0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0xb1, X0, X1
	VPADDD        X1, X0, X0
	VMOVD         X0, (DX)
	ADDQ          $4, DX
	ADDQ          R12, R8
	DECQ          R13
	JMP           mv_rows1

mv_done:
	VZEROUPPER
	RET

// func matVecAVX2(dst *int32, w *int16, stride int, x *int16, rows, n int)
// Four rows at a time over the first n words (n a multiple of 16); the caller adds the
// column tail.
TEXT ·matVecAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DX
	MOVQ w+8(FP), R8
	MOVQ stride+16(FP), R12
	SHLQ $1, R12
	MOVQ x+24(FP), SI
	MOVQ rows+32(FP), R13
	MOVQ n+40(FP), R11
	SHLQ $1, R11

ma_rows4:
	CMPQ  R13, $4
	JLT   ma_rows1
	LEAQ  (R8)(R12*1), R9
	LEAQ  (R9)(R12*1), R10
	LEAQ  (R10)(R12*1), DI
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	XORQ  BX, BX

ma_loop4:
	CMPQ     BX, R11
	JGE      ma_reduce4
	VMOVDQU  (SI)(BX*1), Y4
	VPMADDWD (R8)(BX*1), Y4, Y5
	VPMADDWD (R9)(BX*1), Y4, Y6
	VPMADDWD (R10)(BX*1), Y4, Y7
	VPMADDWD (DI)(BX*1), Y4, Y8
	VPADDD   Y5, Y0, Y0
	VPADDD   Y6, Y1, Y1
	VPADDD   Y7, Y2, Y2
	VPADDD   Y8, Y3, Y3
	ADDQ     $32, BX
	JMP      ma_loop4

ma_reduce4:
	VPHADDD      Y1, Y0, Y0
	VPHADDD      Y3, Y2, Y2
	VPHADDD      Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VMOVDQU      X0, (DX)
	ADDQ         $16, DX
	LEAQ         (DI)(R12*1), R8
	SUBQ         $4, R13
	JMP          ma_rows4

ma_rows1:
	TESTQ R13, R13
	JZ    ma_done
	VPXOR Y0, Y0, Y0
	XORQ  BX, BX

ma_loop1:
	CMPQ     BX, R11
	JGE      ma_reduce1
	VMOVDQU  (SI)(BX*1), Y4
	VPMADDWD (R8)(BX*1), Y4, Y5
	VPADDD   Y5, Y0, Y0
	ADDQ     $32, BX
	JMP      ma_loop1

ma_reduce1:
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, (DX)
	ADDQ         $4, DX
	ADDQ         R12, R8
	DECQ         R13
	JMP          ma_rows1

ma_done:
	VZEROUPPER
	RET

// func matTVecAVX512(dst *int32, w *int16, stride int, e *int16, rows, cols int)
// dst[j] = Σ_i w[i][j]·e[i] for j < cols (a multiple of 16): blocks of 64 then 16
// columns held in registers while all rows stream by; each row's words are sign-
// extended to int32 (vpmovsxwd) and multiplied by the broadcast e[i] (vpmulld; the
// products of int16 are exact in int32), then added with wrap.
TEXT ·matTVecAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ stride+16(FP), R12
	SHLQ $1, R12
	MOVQ e+24(FP), R13
	MOVQ rows+32(FP), R10
	MOVQ cols+40(FP), R11
	XORQ BX, BX               // first column of the block

mt_block64:
	LEAQ   64(BX), AX
	CMPQ   AX, R11
	JGT    mt_block16
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	LEAQ   (SI)(BX*2), R8
	XORQ   CX, CX

mt_row64:
	CMPQ         CX, R10
	JGE          mt_store64
	MOVWLSX      (R13)(CX*2), AX
	VPBROADCASTD AX, Z4
	VPMOVSXWD    (R8), Z5
	VPMOVSXWD    32(R8), Z6
	VPMOVSXWD    64(R8), Z7
	VPMOVSXWD    96(R8), Z8
	VPMULLD      Z4, Z5, Z5
	VPMULLD      Z4, Z6, Z6
	VPMULLD      Z4, Z7, Z7
	VPMULLD      Z4, Z8, Z8
	VPADDD       Z5, Z0, Z0
	VPADDD       Z6, Z1, Z1
	VPADDD       Z7, Z2, Z2
	VPADDD       Z8, Z3, Z3
	ADDQ         R12, R8
	INCQ         CX
	JMP          mt_row64

mt_store64:
	VMOVDQU32 Z0, (DI)(BX*4)
	VMOVDQU32 Z1, 64(DI)(BX*4)
	VMOVDQU32 Z2, 128(DI)(BX*4)
	VMOVDQU32 Z3, 192(DI)(BX*4)
	ADDQ      $64, BX
	JMP       mt_block64

mt_block16:
	LEAQ   16(BX), AX
	CMPQ   AX, R11
	JGT    mt_done
	VPXORD Z0, Z0, Z0
	LEAQ   (SI)(BX*2), R8
	XORQ   CX, CX

mt_row16:
	CMPQ         CX, R10
	JGE          mt_store16
	MOVWLSX      (R13)(CX*2), AX
	VPBROADCASTD AX, Z4
	VPMOVSXWD    (R8), Z5
	VPMULLD      Z4, Z5, Z5
	VPADDD       Z5, Z0, Z0
	ADDQ         R12, R8
	INCQ         CX
	JMP          mt_row16

mt_store16:
	VMOVDQU32 Z0, (DI)(BX*4)
	ADDQ      $16, BX
	JMP       mt_block16

mt_done:
	VZEROUPPER
	RET

// func matTVecAVX2(dst *int32, w *int16, stride int, e *int16, rows, cols int)
// As matTVecAVX512 with 8-lane registers: blocks of 32 then 8 columns (cols a
// multiple of 8).
TEXT ·matTVecAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ stride+16(FP), R12
	SHLQ $1, R12
	MOVQ e+24(FP), R13
	MOVQ rows+32(FP), R10
	MOVQ cols+40(FP), R11
	XORQ BX, BX

ta_block32:
	LEAQ  32(BX), AX
	CMPQ  AX, R11
	JGT   ta_block8
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	LEAQ  (SI)(BX*2), R8
	XORQ  CX, CX

ta_row32:
	CMPQ         CX, R10
	JGE          ta_store32
	MOVWLSX      (R13)(CX*2), AX
	VMOVD        AX, X4
	VPBROADCASTD X4, Y4
	VPMOVSXWD    (R8), Y5
	VPMOVSXWD    16(R8), Y6
	VPMOVSXWD    32(R8), Y7
	VPMOVSXWD    48(R8), Y8
	VPMULLD      Y4, Y5, Y5
	VPMULLD      Y4, Y6, Y6
	VPMULLD      Y4, Y7, Y7
	VPMULLD      Y4, Y8, Y8
	VPADDD       Y5, Y0, Y0
	VPADDD       Y6, Y1, Y1
	VPADDD       Y7, Y2, Y2
	VPADDD       Y8, Y3, Y3
	ADDQ         R12, R8
	INCQ         CX
	JMP          ta_row32

ta_store32:
	VMOVDQU Y0, (DI)(BX*4)
	VMOVDQU Y1, 32(DI)(BX*4)
	VMOVDQU Y2, 64(DI)(BX*4)
	VMOVDQU Y3, 96(DI)(BX*4)
	ADDQ    $32, BX
	JMP     ta_block32

ta_block8:
	LEAQ  8(BX), AX
	CMPQ  AX, R11
	JGT   ta_done
	VPXOR Y0, Y0, Y0
	LEAQ  (SI)(BX*2), R8
	XORQ  CX, CX

ta_row8:
	CMPQ         CX, R10
	JGE          ta_store8
	MOVWLSX      (R13)(CX*2), AX
	VMOVD        AX, X4
	VPBROADCASTD X4, Y4
	VPMOVSXWD    (R8), Y5
	VPMULLD      Y4, Y5, Y5
	VPADDD       Y5, Y0, Y0
	ADDQ         R12, R8
	INCQ         CX
	JMP          ta_row8

ta_store8:
	VMOVDQU Y0, (DI)(BX*4)
	ADDQ    $8, BX
	JMP     ta_block8

ta_done:
	VZEROUPPER
	RET
