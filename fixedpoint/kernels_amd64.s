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

// func matTVecAVX2(dst *int32, w *int16, stride int, e *int16, rows, cols int)
// dst[j] = Σ_i w[i][j]·e[i] for j < cols (a multiple of 8): blocks of 32 then 8
// columns held in registers while all rows stream by; each row's words are sign-
// extended to int32 (vpmovsxwd) and multiplied by the broadcast e[i] (vpmulld; the
// products of int16 are exact in int32), then added with wrap.
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

// Lane offsets 0..7 for the stochastic-rounding counters.
DATA lanes<>+0(SB)/8, $0
DATA lanes<>+8(SB)/8, $1
DATA lanes<>+16(SB)/8, $2
DATA lanes<>+24(SB)/8, $3
DATA lanes<>+32(SB)/8, $4
DATA lanes<>+40(SB)/8, $5
DATA lanes<>+48(SB)/8, $6
DATA lanes<>+56(SB)/8, $7
GLOBL lanes<>(SB), RODATA|NOPTR, $64

// func outerRowAVX512(w *int16, t *int64, b *int16, n int, am int64, ctr uint64, shift uint64, lo, hi int64) uint64
// One row of OuterUpdate, n a multiple of 8, eight synapses per step in int64 lanes:
//   T = am·t[j] (t != nil) or am·b[j]
//   R = mix(ctr + j·γ)                      (SplitMix64 finaliser, vpmullq)
//   q = T >> shift + ((T & (2^shift−1)) + (R >> (64−shift))) >> shift
//   w[j] = clamp(w[j] + q, lo, hi)           saturations returned
// Needs AVX-512 F and DQ.
TEXT ·outerRowAVX512(SB), NOSPLIT, $0-80
	MOVQ w+0(FP), DI
	MOVQ t+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ am+32(FP), AX
	VPBROADCASTQ AX, Z20                 // am
	MOVQ $0x9E3779B97F4A7C15, AX
	VPBROADCASTQ AX, Z21                 // γ
	VPMULLQ lanes<>(SB), Z21, Z22        // lane·γ
	MOVQ ctr+40(FP), AX
	VPBROADCASTQ AX, Z23
	VPADDQ Z22, Z23, Z23                 // counters of lanes 0..7
	MOVQ $8, AX
	VPBROADCASTQ AX, Z22
	VPMULLQ Z22, Z21, Z21                // 8γ: the step between chunks
	MOVQ $0xBF58476D1CE4E5B9, AX
	VPBROADCASTQ AX, Z24
	MOVQ $0x94D049BB133111EB, AX
	VPBROADCASTQ AX, Z25
	MOVQ shift+48(FP), BX
	VMOVQ BX, X26                        // shift count
	MOVQ $64, AX
	SUBQ BX, AX
	VMOVQ AX, X27                        // 64 − shift
	MOVQ $1, AX
	SHLXQ BX, AX, AX
	DECQ AX
	VPBROADCASTQ AX, Z28                 // 2^shift − 1
	MOVQ lo+56(FP), AX
	VPBROADCASTQ AX, Z29
	MOVQ hi+64(FP), AX
	VPBROADCASTQ AX, Z30
	XORQ R8, R8                          // saturations
	XORQ R9, R9                          // j

or_loop:
	CMPQ R9, CX
	JGE  or_done
	TESTQ SI, SI
	JZ   or_product
	VMOVDQU64 (SI)(R9*8), Z0
	VPMULLQ   Z20, Z0, Z0
	JMP  or_round

or_product:
	VPMOVSXWQ (DX)(R9*2), Z0
	VPMULLQ   Z20, Z0, Z0

or_round:
	// R = mix(counter)
	VPSRLQ  $30, Z23, Z1
	VPXORQ  Z23, Z1, Z1
	VPMULLQ Z24, Z1, Z1
	VPSRLQ  $27, Z1, Z2
	VPXORQ  Z2, Z1, Z1
	VPMULLQ Z25, Z1, Z1
	VPSRLQ  $31, Z1, Z2
	VPXORQ  Z2, Z1, Z1
	VPADDQ  Z21, Z23, Z23
	// q = T >> s + ((T & mask) + (R >> (64−s))) >> s
	VPSRLQ X27, Z1, Z1
	VPANDQ Z28, Z0, Z2
	VPADDQ Z2, Z1, Z1
	VPSRLQ X26, Z1, Z1
	VPSRAQ X26, Z0, Z0
	VPADDQ Z1, Z0, Z0
	// x = w + q, clamped; count clamps
	VPMOVSXWQ (DI)(R9*2), Z3
	VPADDQ    Z3, Z0, Z0
	VPCMPGTQ  Z30, Z0, K2                 // x > hi
	VPCMPGTQ  Z0, Z29, K3                 // lo > x
	KORB      K2, K3, K2
	KMOVB     K2, AX
	POPCNTL   AX, AX
	ADDQ      AX, R8
	VPMINSQ   Z30, Z0, Z0
	VPMAXSQ   Z29, Z0, Z0
	VPMOVQW   Z0, (DI)(R9*2)
	ADDQ      $8, R9
	JMP       or_loop

or_done:
	MOVQ R8, ret+72(FP)
	VZEROUPPER
	RET

// func matTVecVNNI(dst *int32, w *int16, stride int, e *int16, rows int, mask uint64)
// One block of up to 64 columns of MatTVec: dst[j] = Σ_i w[i][j]·e[i] for the columns
// whose bit is set in mask (a run of low bits). Rows go in pairs: the pair's words are
// interleaved (vpunpcklwd/hwd) so that one vpdpwssd against the broadcast pair
// (e[i], e[i+1]) adds w[i][j]·e[i] + w[i+1][j]·e[i+1] to each column's int32 lane. The
// interleave leaves the columns of each 128-bit lane in the order 0-3 | 4-7 across two
// registers, which four lane shuffles put back before the (masked) stores. An odd last
// row pairs with itself and a zero coefficient. Masked loads do not fault past the end.
TEXT ·matTVecVNNI(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), R8
	MOVQ stride+16(FP), R12
	SHLQ $1, R12
	MOVQ e+24(FP), R13
	MOVQ rows+32(FP), R10
	MOVQ mask+40(FP), AX
	KMOVQ AX, K1                // words 0-31 and dwords 0-15
	KSHIFTRQ $32, K1, K2        // words 32-63 and dwords 32-47
	KSHIFTRQ $16, K1, K3        // dwords 16-31
	KSHIFTRQ $48, K1, K4        // dwords 48-63
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	XORQ   CX, CX

tv_pairs:
	LEAQ 1(CX), AX
	CMPQ AX, R10
	JGE  tv_last
	LEAQ (R8)(R12*1), R9
	MOVWLZX (R13)(CX*2), AX
	MOVWLSX 2(R13)(CX*2), DX
	SHLL    $16, DX
	ORL     DX, AX
	VPBROADCASTD AX, Z16

tv_body:
	VMOVDQU16.Z (R8), K1, Z4
	VMOVDQU16.Z 64(R8), K2, Z5
	VMOVDQU16.Z (R9), K1, Z6
	VMOVDQU16.Z 64(R9), K2, Z7
	VPUNPCKLWD  Z6, Z4, Z8
	VPUNPCKHWD  Z6, Z4, Z9
	VPUNPCKLWD  Z7, Z5, Z10
	VPUNPCKHWD  Z7, Z5, Z11
	VPDPWSSD    Z16, Z8, Z0
	VPDPWSSD    Z16, Z9, Z1
	VPDPWSSD    Z16, Z10, Z2
	VPDPWSSD    Z16, Z11, Z3
	LEAQ        (R9)(R12*1), R8
	ADDQ        $2, CX
	JMP         tv_pairs

tv_last:
	CMPQ    CX, R10
	JGE     tv_store
	MOVQ    R8, R9              // pair the odd row with itself, coefficient 0
	MOVWLZX (R13)(CX*2), AX
	VPBROADCASTD AX, Z16
	JMP     tv_body

tv_store:
	VSHUFI32X4 $0x44, Z1, Z0, Z12
	VSHUFI32X4 $0xd8, Z12, Z12, Z12 // columns 0-15
	VSHUFI32X4 $0xee, Z1, Z0, Z13
	VSHUFI32X4 $0xd8, Z13, Z13, Z13 // columns 16-31
	VSHUFI32X4 $0x44, Z3, Z2, Z14
	VSHUFI32X4 $0xd8, Z14, Z14, Z14 // columns 32-47
	VSHUFI32X4 $0xee, Z3, Z2, Z17
	VSHUFI32X4 $0xd8, Z17, Z17, Z17 // columns 48-63
	VMOVDQU32  Z12, K1, (DI)
	VMOVDQU32  Z13, K3, 64(DI)
	VMOVDQU32  Z14, K2, 128(DI)
	VMOVDQU32  Z17, K4, 192(DI)
	VZEROUPPER
	RET

// func outerSumAVX512(t *int64, b *int16, bstride int, a *int16, astride int, contexts, n int)
// t[j] = Σ_c a[c·astride]·b[c·bstride+j] for j < n, exact in int64 (contexts ≥ 1):
// blocks of 32 columns stay in four registers while the contexts stream by; each
// product is vpmuldq of sign-extended values (exact), each sum vpaddq.
TEXT ·outerSumAVX512(SB), NOSPLIT, $0-56
	MOVQ t+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ bstride+16(FP), R12
	SHLQ $1, R12
	MOVQ a+24(FP), R13
	MOVQ astride+32(FP), R11
	SHLQ $1, R11
	MOVQ contexts+40(FP), R10
	MOVQ n+48(FP), R9
	XORQ BX, BX                 // first column of the block

os_block32:
	LEAQ   32(BX), AX
	CMPQ   AX, R9
	JGT    os_block8
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	LEAQ   (SI)(BX*2), R8
	MOVQ   R13, DX
	MOVQ   R10, CX

os_ctx32:
	MOVWQSX      (DX), AX
	VPBROADCASTQ AX, Z4
	VPMOVSXWQ    (R8), Z5
	VPMOVSXWQ    16(R8), Z6
	VPMOVSXWQ    32(R8), Z7
	VPMOVSXWQ    48(R8), Z8
	VPMULDQ      Z4, Z5, Z5
	VPMULDQ      Z4, Z6, Z6
	VPMULDQ      Z4, Z7, Z7
	VPMULDQ      Z4, Z8, Z8
	VPADDQ       Z5, Z0, Z0
	VPADDQ       Z6, Z1, Z1
	VPADDQ       Z7, Z2, Z2
	VPADDQ       Z8, Z3, Z3
	ADDQ         R12, R8
	ADDQ         R11, DX
	DECQ         CX
	JNZ          os_ctx32
	VMOVDQU64    Z0, (DI)(BX*8)
	VMOVDQU64    Z1, 64(DI)(BX*8)
	VMOVDQU64    Z2, 128(DI)(BX*8)
	VMOVDQU64    Z3, 192(DI)(BX*8)
	ADDQ         $32, BX
	JMP          os_block32

os_block8:
	LEAQ   8(BX), AX
	CMPQ   AX, R9
	JGT    os_tail
	VPXORQ Z0, Z0, Z0
	LEAQ   (SI)(BX*2), R8
	MOVQ   R13, DX
	MOVQ   R10, CX

os_ctx8:
	MOVWQSX      (DX), AX
	VPBROADCASTQ AX, Z4
	VPMOVSXWQ    (R8), Z5
	VPMULDQ      Z4, Z5, Z5
	VPADDQ       Z5, Z0, Z0
	ADDQ         R12, R8
	ADDQ         R11, DX
	DECQ         CX
	JNZ          os_ctx8
	VMOVDQU64    Z0, (DI)(BX*8)
	ADDQ         $8, BX
	JMP          os_block8

	// The last n mod 8 columns: zero-masked loads (no fault past the end), masked store.
os_tail:
	MOVQ   R9, AX
	SUBQ   BX, AX
	JZ     os_done
	MOVQ   AX, CX
	MOVL   $1, AX
	SHLL   CX, AX
	DECL   AX
	KMOVB  AX, K1
	VPXORQ Z0, Z0, Z0
	LEAQ   (SI)(BX*2), R8
	MOVQ   R13, DX
	MOVQ   R10, CX

os_ctxt:
	MOVWQSX       (DX), AX
	VPBROADCASTQ  AX, Z4
	VPMOVSXWQ.Z   (R8), K1, Z5
	VPMULDQ       Z4, Z5, Z5
	VPADDQ        Z5, Z0, Z0
	ADDQ          R12, R8
	ADDQ          R11, DX
	DECQ          CX
	JNZ           os_ctxt
	VMOVDQU64     Z0, K1, (DI)(BX*8)

os_done:
	VZEROUPPER
	RET
