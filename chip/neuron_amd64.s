//go:build amd64 && !purego

#include "textflag.h"

// The neuron loops of neuronsFast on eight neurons at a time (AVX-512 F and DQ), one
// context's row per call: int64 lanes doing exactly what the Go loops do (vpmullq
// keeps the low 64 bits like Go's multiply, shifts and adds wrap alike), each rounding
// half-even, each saturation counted. The row's last n mod 8 lanes are masked.

#define N_N 0
#define N_EPS 8
#define N_ESTAR 16
#define N_RP 24
#define N_V 32
#define N_MR 40
#define N_DTR 48
#define N_INST 56
#define N_EB 64
#define N_ERRS 72
#define N_BASE 80
#define N_IDX0 88
#define N_ERRSR 96
#define N_EPSLO 104
#define N_EPSHI 112
#define N_INSTLO 120
#define N_INSTHI 128
#define N_DINST 136
#define N_HINST 144
#define N_EBLO 152
#define N_EBHI 160
#define N_DEBP 168
#define N_HEBP 176
#define N_FMR 184
#define N_VLO 192
#define N_VHI 200
#define N_DV 208
#define N_HV 216
#define N_FDTR 224
#define N_ERRLO 232
#define N_ERRHI 240
#define N_DERR 248
#define N_HERR 256
#define N_SRERR 264
#define N_CEPS 272
#define N_CINST 280
#define N_CEB 288
#define N_CV 296
#define N_CERR 304
#define N_CU 312
#define N_CUB 320
#define N_CPHI 328
#define N_ACC 336
#define N_B 344
#define N_U 352
#define N_UB 360
#define N_DU 368
#define N_X 376
#define N_RM 384
#define N_DTM 392
#define N_SHIFT0 400
#define N_BIASSHIFT 408
#define N_ULO 416
#define N_UHI 424
#define N_DS 432
#define N_HS 440
#define N_UBLO 448
#define N_UBHI 456
#define N_DUB 464
#define N_HUB 472
#define N_FRM 480
#define N_DUM 488
#define N_HU 496
#define N_FDTM 504
#define N_PHILO 512
#define N_PHIHI 520
#define N_DPHI 528
#define N_HPHI 536
#define N_COMPARATOR 544
#define N_LANES 552
#define N_BSUM 616
#define N_TSUM 624
#define N_PACKED 632
#define N_INMIN 640
#define N_RNEXT 648
#define N_RPNEXT 656
#define N_CR 664
#define N_CRP 672
#define N_BLOCKBUS 680
#define N_EBOR 688
#define N_PACKED32 696
#define N_IDENT 704
#define N_IDENTD 712
#define N_HIDENT 720
#define N_RLO 728
#define N_RHI 736
#define N_ONE 744
#define N_ROWS 752
#define N_STRIDE 760
#define N_ACCSTRIDE 768

#define B_N 0
#define B_EB 8
#define B_BUS 16
#define B_DU 24
#define B_TSUM 32
#define B_BASE 40
#define B_IDX0 48
#define B_SHIFT 56
#define B_SRSHIFT 64
#define B_H 72
#define B_MODE 80
#define B_LO 88
#define B_HI 96
#define B_LANES 104
#define B_SATS 168

#define G_N 0
#define G_SH 8
#define G_D 16
#define G_H 24
#define G_ACC 32
#define G_EPS 40
#define G_LO 48
#define G_HI 56
#define G_SATS 64

#define C_N 0
#define C_R 8
#define C_RB 16

// RHE: x = x·2^−d rounded half-even (d: counts, h: 2^(d−1) − 1; t scratch; Z22 ones).
#define RHE(x, d, h, t) \
	VPSRAVQ d, x, t; \
	VPANDQ  Z22, t, t; \
	VPADDQ  h, t, t; \
	VPADDQ  t, x, x; \
	VPSRAVQ d, x, x

// CLAMP: x = min(max(x, lo), hi) on the row's lanes (K3), saturations counted into
// the counter at offset off of DI (AX scratch).
#define CLAMP(x, lo, hi, off) \
	VPCMPGTQ hi, x, K3, K1; \
	VPCMPGTQ x, lo, K3, K2; \
	KORB     K1, K2, K1; \
	KMOVB    K1, AX; \
	POPCNTL  AX, AX; \
	ADDQ     AX, off(DI); \
	VPMINSQ  hi, x, x; \
	VPMAXSQ  lo, x, x

// TAIL sets K3 to the lanes BX … min(BX+8, n)−1 (AX, DX scratch).
#define TAIL \
	MOVQ  CX, AX; \
	SUBQ  BX, AX; \
	MOVQ  $0xff, DX; \
	CMPQ  AX, $8; \
	JGE   4(PC); \
	MOVQ  $1, DX; \
	SHLXQ AX, DX, DX; \
	DECQ  DX; \
	KMOVB DX, K3

// MIXN: z = mix(z), SplitMix64's finaliser; Z30, Z31 its multipliers, t scratch.
#define MIXN(z, t) \
	VPSRLQ  $30, z, t; \
	VPXORQ  t, z, z; \
	VPMULLQ Z30, z, z; \
	VPSRLQ  $27, z, t; \
	VPXORQ  t, z, z; \
	VPMULLQ Z31, z, z; \
	VPSRLQ  $31, z, t; \
	VPXORQ  t, z, z

// MIXNK loads SplitMix64's constants: Z29 its increment γ (the draws' idx·γ), Z30,
// Z31 MIXN's multipliers (AX scratch).
#define MIXNK \
	MOVQ         $0x9E3779B97F4A7C15, AX; \
	VPBROADCASTQ AX, Z29; \
	MOVQ         $0xBF58476D1CE4E5B9, AX; \
	VPBROADCASTQ AX, Z30; \
	MOVQ         $0x94D049BB133111EB, AX; \
	VPBROADCASTQ AX, Z31

// func neuronErrorKernel(a *neuronArgs)
// The prospective error neuron: inst = sat(rhe(r′·ε, dInst)), Δv = inst − v,
// ĕ = sat(rhe(v·2^fmr + (τm/τr)·Δv, dEBP)), v ← sat(rhe(v·2^fdtr + (dt/τr)·Δv, dV)),
// and ĕ onto the error bus, stochastically (draw of neuron idx0 + i) or half-even;
// with bsum, bsum += ĕ. With blockBus, no error bus: ebOr |= every |ĕ| instead (Z25
// holds the lanes' OR).
TEXT ·neuronErrorKernel(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ N_N(DI), CX
	MOVQ N_EPS(DI), R8
	MOVQ N_ESTAR(DI), R9
	MOVQ N_RP(DI), R10
	MOVQ N_V(DI), R11
	MOVQ N_MR(DI), R12
	MOVQ N_DTR(DI), R13
	MOVQ N_INST(DI), SI
	VPBROADCASTQ N_EPSLO(DI), Z8
	VPBROADCASTQ N_EPSHI(DI), Z9
	VPBROADCASTQ N_INSTLO(DI), Z10
	VPBROADCASTQ N_INSTHI(DI), Z11
	VPBROADCASTQ N_DINST(DI), Z12
	VPBROADCASTQ N_HINST(DI), Z13
	VPBROADCASTQ N_EBLO(DI), Z14
	VPBROADCASTQ N_EBHI(DI), Z15
	VPBROADCASTQ N_DEBP(DI), Z16
	VPBROADCASTQ N_HEBP(DI), Z17
	VPBROADCASTQ N_FMR(DI), Z18
	VPBROADCASTQ N_VLO(DI), Z19
	VPBROADCASTQ N_VHI(DI), Z20
	VPBROADCASTQ N_DV(DI), Z21
	MOVQ         $1, AX
	VPBROADCASTQ AX, Z22
	VPBROADCASTQ N_HV(DI), Z23
	VPBROADCASTQ N_FDTR(DI), Z24
	VPBROADCASTQ N_ERRLO(DI), Z25
	VPBROADCASTQ N_ERRHI(DI), Z26
	VPBROADCASTQ N_DERR(DI), Z27
	VPBROADCASTQ N_HERR(DI), Z28
	CMPQ         N_ERRSR(DI), $0
	JEQ          2(PC)
	VPBROADCASTQ N_SRERR(DI), Z28
	CMPQ         N_BLOCKBUS(DI), $0
	JEQ          2(PC)
	VPXORQ       Z25, Z25, Z25
	MIXNK
	XORQ         BX, BX

eloop:
	CMPQ BX, CX
	JGE  edone
	TAIL
	VMOVDQU64.Z (R8)(BX*8), K3, Z0
	TESTQ       R9, R9
	JEQ         enostar
	VMOVDQU64.Z (R9)(BX*8), K3, Z1
	VPADDQ      Z1, Z0, Z0
	CLAMP(Z0, Z8, Z9, N_CEPS)

enostar:
	VMOVDQU64.Z (R10)(BX*8), K3, Z1
	VPMULLQ     Z1, Z0, Z0
	RHE(Z0, Z12, Z13, Z7)
	CLAMP(Z0, Z10, Z11, N_CINST)
	VMOVDQU64   Z0, K3, (SI)(BX*8)
	VMOVDQU64.Z (R11)(BX*8), K3, Z1
	VPSUBQ      Z1, Z0, Z2
	VMOVDQU64.Z (R12)(BX*8), K3, Z3
	VPMULLQ     Z2, Z3, Z3
	VPSLLVQ     Z18, Z1, Z4
	VPADDQ      Z4, Z3, Z3
	RHE(Z3, Z16, Z17, Z7)
	CLAMP(Z3, Z14, Z15, N_CEB)
	MOVQ        N_EB(DI), DX
	VMOVDQU64   Z3, K3, (DX)(BX*8)
	MOVQ        N_BSUM(DI), DX
	TESTQ       DX, DX
	JEQ         enobsum
	VMOVDQU64.Z (DX)(BX*8), K3, Z6
	VPADDQ      Z3, Z6, Z6
	VMOVDQU64   Z6, K3, (DX)(BX*8)

enobsum:
	VMOVDQU64.Z (R13)(BX*8), K3, Z4
	VPMULLQ     Z2, Z4, Z4
	VPSLLVQ     Z24, Z1, Z5
	VPADDQ      Z5, Z4, Z4
	RHE(Z4, Z21, Z23, Z7)
	CLAMP(Z4, Z19, Z20, N_CV)
	VMOVDQU64   Z4, K3, (R11)(BX*8)
	CMPQ        N_BLOCKBUS(DI), $0
	JEQ         ebus
	VPABSQ      Z3, Z5
	VPORQ       Z5, Z25, K3, Z25
	ADDQ        $8, BX
	JMP         eloop

ebus:
	VMOVDQA64   Z3, Z5
	CMPQ        N_ERRSR(DI), $0
	JEQ         ehe
	MOVQ         N_IDX0(DI), AX
	ADDQ         BX, AX
	VPBROADCASTQ AX, Z6
	VPADDQ       N_LANES(DI), Z6, Z6
	VPMULLQ      Z29, Z6, Z6
	VPBROADCASTQ N_BASE(DI), Z7
	VPADDQ       Z7, Z6, Z6
	MIXN(Z6, Z7)
	VPSRLVQ      Z28, Z6, Z6
	VPADDQ       Z6, Z5, Z5
	VPSRAVQ      Z27, Z5, Z5
	JMP          est

ehe:
	RHE(Z5, Z27, Z28, Z7)

est:
	CLAMP(Z5, Z25, Z26, N_CERR)
	MOVQ    N_ERRS(DI), AX
	VPMOVQW Z5, K3, (AX)(BX*2)
	ADDQ    $8, BX
	JMP     eloop

edone:
	DECQ  N_ROWS(DI)
	JLE   efin
	MOVQ  N_STRIDE(DI), AX
	SHLQ  $3, AX
	ADDQ  AX, R8
	TESTQ R9, R9
	JEQ   2(PC)
	ADDQ  AX, R9
	ADDQ  AX, R10
	ADDQ  AX, R11
	ADDQ  AX, SI
	ADDQ  AX, N_EB(DI)
	SHRQ  $2, AX
	CMPQ  N_ERRS(DI), $0
	JEQ   2(PC)
	ADDQ  AX, N_ERRS(DI)
	XORQ  BX, BX
	JMP   eloop

efin:
	CMPQ          N_BLOCKBUS(DI), $0
	JEQ           eret
	VEXTRACTI64X4 $1, Z25, Y5
	VPORQ         Y5, Y25, Y5
	VEXTRACTI128  $1, Y5, X6
	VPOR          X6, X5, X5
	VPSHUFD       $0x4e, X5, X6
	VPOR          X6, X5, X5
	MOVQ          X5, AX
	ORQ           AX, N_EBOR(DI)

eret:
	VZEROUPPER
	RET

// func neuronMembraneKernel(a *neuronArgs)
// The membrane: s = sat(rhe(acc·2^shift0 + b·2^biasShift, dS)) (no rounding when
// dS = 0), Δu = s − u,
// ŭ = sat(rhe(u·2^frm + (τr/τm)·Δu, dUB)), u ← sat(rhe(u·2^fdtm + (dt/τm)·Δu, dU)),
// du = u_new − u, and the φ units' input x = ŭ (comparator) or sat(rhe(ŭ, dPhi));
// with tsum, tsum += ĕ_bus·du (errS holds the row's error bus); with packed, the φ
// and φ′ units' outputs from the packed table (packed32's when set) into rNext, rpNext;
// with ident, the identity units' into them.
TEXT ·neuronMembraneKernel(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ N_N(DI), CX
	MOVQ N_ACC(DI), R8
	MOVQ N_B(DI), R9
	MOVQ N_U(DI), R10
	MOVQ N_UB(DI), R11
	MOVQ N_DU(DI), R12
	MOVQ N_X(DI), R13
	MOVQ N_RM(DI), SI
	VPBROADCASTQ N_SHIFT0(DI), Z8
	VPBROADCASTQ N_BIASSHIFT(DI), Z9
	VPBROADCASTQ N_ULO(DI), Z10
	VPBROADCASTQ N_UHI(DI), Z11
	VPBROADCASTQ N_DS(DI), Z12
	VPBROADCASTQ N_HS(DI), Z13
	VPBROADCASTQ N_UBLO(DI), Z14
	VPBROADCASTQ N_UBHI(DI), Z15
	VPBROADCASTQ N_DUB(DI), Z16
	VPBROADCASTQ N_HUB(DI), Z17
	VPBROADCASTQ N_FRM(DI), Z18
	VPBROADCASTQ N_DUM(DI), Z19
	VPBROADCASTQ N_HU(DI), Z20
	VPBROADCASTQ N_FDTM(DI), Z21
	MOVQ         $1, AX
	VPBROADCASTQ AX, Z22
	VPBROADCASTQ N_PHILO(DI), Z23
	VPBROADCASTQ N_PHIHI(DI), Z24
	VPBROADCASTQ N_DPHI(DI), Z25
	VPBROADCASTQ N_HPHI(DI), Z26
	XORQ         BX, BX

mloop:
	CMPQ BX, CX
	JGE  mdone
	TAIL
	VPXORQ      Z0, Z0, Z0
	TESTQ       R8, R8
	JEQ         mnoacc
	VPMOVSXDQ.Z (R8)(BX*4), K3, Z0
	VPSLLVQ     Z8, Z0, Z0

mnoacc:
	TESTQ       R9, R9
	JEQ         mnob
	VMOVDQU64.Z (R9)(BX*8), K3, Z1
	VPSLLVQ     Z9, Z1, Z1
	VPADDQ      Z1, Z0, Z0

mnob:
	CMPQ        N_DS(DI), $0
	JEQ         mnords
	RHE(Z0, Z12, Z13, Z7)

mnords:
	CLAMP(Z0, Z10, Z11, N_CU)
	VMOVDQU64.Z (R10)(BX*8), K3, Z1
	VPSUBQ      Z1, Z0, Z2
	VMOVDQU64.Z (SI)(BX*8), K3, Z3
	VPMULLQ     Z2, Z3, Z3
	VPSLLVQ     Z18, Z1, Z4
	VPADDQ      Z4, Z3, Z3
	RHE(Z3, Z16, Z17, Z7)
	CLAMP(Z3, Z14, Z15, N_CUB)
	VMOVDQU64   Z3, K3, (R11)(BX*8)
	MOVQ        N_DTM(DI), DX
	VMOVDQU64.Z (DX)(BX*8), K3, Z4
	VPMULLQ     Z2, Z4, Z4
	VPSLLVQ     Z21, Z1, Z5
	VPADDQ      Z5, Z4, Z4
	RHE(Z4, Z19, Z20, Z7)
	CLAMP(Z4, Z10, Z11, N_CU)
	VMOVDQU64   Z4, K3, (R10)(BX*8)
	VPSUBQ      Z1, Z4, Z4
	VMOVDQU64   Z4, K3, (R12)(BX*8)
	MOVQ        N_TSUM(DI), DX
	TESTQ       DX, DX
	JEQ         mnotsum
	MOVQ        N_ERRS(DI), AX
	VPMOVSXWQ.Z (AX)(BX*2), K3, Z5
	VPMULLQ     Z4, Z5, Z5
	VMOVDQU64.Z (DX)(BX*8), K3, Z6
	VPADDQ      Z5, Z6, Z6
	VMOVDQU64   Z6, K3, (DX)(BX*8)

mnotsum:
	CMPQ        N_COMPARATOR(DI), $0
	JNE         mst
	RHE(Z3, Z25, Z26, Z7)
	CLAMP(Z3, Z23, Z24, N_CPHI)

mst:
	VMOVDQU64 Z3, K3, (R13)(BX*8)
	CMPQ      N_IDENT(DI), $0
	JNE       mident
	MOVQ      N_PACKED32(DI), DX
	TESTQ     DX, DX
	JNE       mp32
	MOVQ      N_PACKED(DI), DX
	TESTQ     DX, DX
	JEQ       mnext

	// The φ and φ′ units from the packed table: e = packed[x − inMin]; r = int32(e),
	// r′ = e>>32 & (2^30 − 1), saturations from bits 62 and 63.
	VPBROADCASTQ N_INMIN(DI), Z5
	VPSUBQ       Z5, Z3, Z5
	KMOVB        K3, K1
	VPXORQ       Z6, Z6, Z6
	VPGATHERQQ   (DX)(Z5*8), K1, Z6
	VPSLLQ       $32, Z6, Z7
	VPSRAQ       $32, Z7, Z7
	MOVQ         N_RNEXT(DI), AX
	VMOVDQU64    Z7, K3, (AX)(BX*8)
	VPSLLQ       $2, Z6, Z7
	VPSRLQ       $34, Z7, Z7
	MOVQ         N_RPNEXT(DI), AX
	VMOVDQU64    Z7, K3, (AX)(BX*8)
	VPSRLQ       $62, Z6, Z7
	VPTESTMQ     Z22, Z7, K3, K1
	KMOVB        K1, AX
	POPCNTL      AX, AX
	ADDQ         AX, N_CR(DI)
	VPSRLQ       $63, Z6, Z7
	VPTESTMQ     Z7, Z7, K3, K1
	KMOVB        K1, AX
	POPCNTL      AX, AX
	ADDQ         AX, N_CRP(DI)

mnext:
	ADDQ      $8, BX
	JMP       mloop

mdone:
	DECQ  N_ROWS(DI)
	JLE   mfin
	MOVQ  N_STRIDE(DI), AX
	SHLQ  $3, AX
	ADDQ  AX, R10
	ADDQ  AX, R11
	ADDQ  AX, R12
	CMPQ  N_RNEXT(DI), $0
	JEQ   2(PC)
	ADDQ  AX, N_RNEXT(DI)
	CMPQ  N_RPNEXT(DI), $0
	JEQ   2(PC)
	ADDQ  AX, N_RPNEXT(DI)
	SHRQ  $2, AX
	CMPQ  N_ERRS(DI), $0
	JEQ   2(PC)
	ADDQ  AX, N_ERRS(DI)
	TESTQ R8, R8
	JEQ   4(PC)
	MOVQ  N_ACCSTRIDE(DI), AX
	SHLQ  $2, AX
	ADDQ  AX, R8
	XORQ  BX, BX
	JMP   mloop

mfin:
	VZEROUPPER
	RET

	// The φ and φ′ units from the 32-bit packed table: e = packed32[x − inMin];
	// r = int16(e), r′ = e>>16 (no saturations in it).
mp32:
	VPBROADCASTQ N_INMIN(DI), Z5
	VPSUBQ       Z5, Z3, Z5
	KMOVB        K3, K1
	VPXORQ       Z6, Z6, Z6
	VPGATHERQD   (DX)(Z5*4), K1, Y6
	VPMOVZXDQ    Y6, Z6
	VPSLLQ       $48, Z6, Z7
	VPSRAQ       $48, Z7, Z7
	MOVQ         N_RNEXT(DI), AX
	VMOVDQU64    Z7, K3, (AX)(BX*8)
	VPSRLQ       $16, Z6, Z7
	MOVQ         N_RPNEXT(DI), AX
	VMOVDQU64    Z7, K3, (AX)(BX*8)
	JMP          mnext

	// Identity units: r = sat(rhe(x, identD)), r′ = one.
mident:
	VPBROADCASTQ N_IDENTD(DI), Z5
	VPBROADCASTQ N_HIDENT(DI), Z6
	RHE(Z3, Z5, Z6, Z7)
	VPBROADCASTQ N_RLO(DI), Z5
	VPBROADCASTQ N_RHI(DI), Z6
	CLAMP(Z3, Z5, Z6, N_CR)
	MOVQ         N_RNEXT(DI), AX
	VMOVDQU64    Z3, K3, (AX)(BX*8)
	VPBROADCASTQ N_ONE(DI), Z5
	MOVQ         N_RPNEXT(DI), AX
	VMOVDQU64    Z5, K3, (AX)(BX*8)
	JMP          mnext

// func busKernel(a *busArgs)
// phaseErrBus's row: bus = sat((ĕ + draw>>(64−s))>>s) (mode busSR, the draw of neuron
// idx0 + i), sat(rhe(ĕ, s)) (busHE) or sat(ĕ) (busSat), as int16, saturations counted;
// with tsum, tsum += bus·du.
TEXT ·busKernel(SB), NOSPLIT, $0-8
	MOVQ         a+0(FP), DI
	MOVQ         B_N(DI), CX
	MOVQ         B_EB(DI), R8
	MOVQ         B_BUS(DI), R9
	MOVQ         B_DU(DI), R10
	MOVQ         B_TSUM(DI), R11
	MOVQ         B_MODE(DI), R12
	VPBROADCASTQ B_SHIFT(DI), Z8
	VPBROADCASTQ B_SRSHIFT(DI), Z9
	VPBROADCASTQ B_H(DI), Z10
	VPBROADCASTQ B_LO(DI), Z11
	VPBROADCASTQ B_HI(DI), Z12
	VPBROADCASTQ B_BASE(DI), Z13
	VMOVDQU64    B_LANES(DI), Z14
	MOVQ         $1, AX
	VPBROADCASTQ AX, Z22
	MIXNK
	XORQ         BX, BX

bloop:
	CMPQ        BX, CX
	JGE         bdone
	TAIL
	VMOVDQU64.Z (R8)(BX*8), K3, Z0
	CMPQ        R12, $1
	JNE         bnosr
	MOVQ         B_IDX0(DI), AX
	ADDQ         BX, AX
	VPBROADCASTQ AX, Z6
	VPADDQ       Z14, Z6, Z6
	VPMULLQ      Z29, Z6, Z6
	VPADDQ       Z13, Z6, Z6
	MIXN(Z6, Z7)
	VPSRLVQ      Z9, Z6, Z6
	VPADDQ       Z6, Z0, Z0
	VPSRAVQ      Z8, Z0, Z0
	JMP          bclamp

bnosr:
	CMPQ R12, $2
	JNE  bclamp
	RHE(Z0, Z8, Z10, Z7)

bclamp:
	CLAMP(Z0, Z11, Z12, B_SATS)
	VPMOVQW     Z0, K3, (R9)(BX*2)
	TESTQ       R11, R11
	JEQ         bnext
	VMOVDQU64.Z (R10)(BX*8), K3, Z1
	VPMULLQ     Z1, Z0, Z1
	VMOVDQU64.Z (R11)(BX*8), K3, Z2
	VPADDQ      Z1, Z2, Z2
	VMOVDQU64   Z2, K3, (R11)(BX*8)

bnext:
	ADDQ $8, BX
	JMP  bloop

bdone:
	VZEROUPPER
	RET

// func epsKernel(a *epsArgs)
// gatherBackwardFast's row: eps = sat(rhe(acc·2^sh, d)), or sat(acc·2^sh) when d = 0,
// saturations counted.
TEXT ·epsKernel(SB), NOSPLIT, $0-8
	MOVQ         a+0(FP), DI
	MOVQ         G_N(DI), CX
	MOVQ         G_ACC(DI), R8
	MOVQ         G_EPS(DI), R9
	MOVQ         G_D(DI), R10
	VPBROADCASTQ G_SH(DI), Z8
	VPBROADCASTQ G_D(DI), Z9
	VPBROADCASTQ G_H(DI), Z10
	VPBROADCASTQ G_LO(DI), Z11
	VPBROADCASTQ G_HI(DI), Z12
	MOVQ         $1, AX
	VPBROADCASTQ AX, Z22
	XORQ         BX, BX

gloop:
	CMPQ        BX, CX
	JGE         gdone
	TAIL
	VPMOVSXDQ.Z (R8)(BX*4), K3, Z0
	VPSLLVQ     Z8, Z0, Z0
	TESTQ       R10, R10
	JEQ         gclamp
	RHE(Z0, Z9, Z10, Z7)

gclamp:
	CLAMP(Z0, Z11, Z12, G_SATS)
	VMOVDQU64 Z0, K3, (R9)(BX*8)
	ADDQ      $8, BX
	JMP       gloop

gdone:
	VZEROUPPER
	RET

// func commitKernel(a *commitArgs)
// phaseCommit's row: rb = int16(r).
TEXT ·commitKernel(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ C_N(DI), CX
	MOVQ C_R(DI), R10
	MOVQ C_RB(DI), R12
	XORQ BX, BX

cloop:
	CMPQ        BX, CX
	JGE         cdone
	TAIL
	VMOVDQU64.Z (R10)(BX*8), K3, Z1
	VPMOVQW     Z1, K3, (R12)(BX*2)
	ADDQ        $8, BX
	JMP         cloop

cdone:
	VZEROUPPER
	RET
