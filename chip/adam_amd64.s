//go:build amd64 && !purego

#include "textflag.h"

// The Adam step of optPlan.adamRow on eight synapses at a time (AVX-512 F and DQ).
// Integer lanes do what adamRow does in int64 (vpmullq keeps the low 64 bits, like
// Go's multiply; vpmuldq and vpmuludq where both operands fit 32 bits, which gives the
// same bits). Two steps use floating point and are exact under the bounds
// optPlan.adamVector checks; neither uses the divider (vsqrtpd, vdivpd), whose
// throughput limited the kernel:
//   - ⌊√v⌋, v < 2^62: s ≈ √max(v, 1) by vrsqrt14pd (relative error < 2^−14) and two
//     Goldschmidt steps (g = v·y, h = y/2; r = 1/2 − g·h; g += g·r; h += h·r), each
//     squaring the relative error, so s is within 2^−45·√v < 2^−14 of √v. When every
//     lane of the group has v < 2^52 one Goldschmidt step suffices: it leaves s =
//     √v·(1 − 3e²/2 − e³/2) with e the estimate's error, times roundings of at most
//     2^−52 (fl(v) is exact, v < 2^53), a relative error below 1.51·2^−28, so |s − √v|
//     < 1.51·2^−28·2^26 < 0.38 (TestAdamKernelSwitches: squares and their neighbours
//     each side of 2^52). Either way |s − √v| < 0.38, and the last step forms s − 1/2
//     = (g − 1/2) + g·r directly (g − 1/2 is exact, the fused step rounds once), which
//     lies in (⌊√v⌋ − 0.88, ⌊√v⌋ + 0.88) and above 0.12: r' = trunc(s − 1/2) is ⌊√v⌋
//     or ⌊√v⌋ − 1, and ⌊√v⌋ = r' + [(r' + 1)² ≤ v] (r' < 2^31: the square by vpmuludq).
//     v = 0 takes s ≈ 1: r' = 0, kept.
//   - q = ⌊a/d⌋ for a = |m·2^k| < 2^62, 0 < d < 2^32, with ρ ≈ 1/d by vrcp14pd
//     (relative error < 2^−14) and two Newton steps (e = 1 − d·ρ; ρ += ρ·e, fused):
//     relative error below 2^−52. q0 = trunc(fl(fl(a)·ρ)) is within 2^11 of q (three
//     relative errors of at most 2^−52, 2^−53, 2^−53 on q < 2^62), so r = a − q0·d is
//     exact in int64 and below 2^44 in magnitude; ⌊fl(fl(r)·ρ)⌋ is then ⌊r/d⌋ (its
//     error, below 2^12·2^−51 = 2^−39, is smaller than any non-zero distance of r/d
//     to an integer, ≥ 1/d > 2^−32), or ⌊r/d⌋ − 1 when r/d is an integer, so
//     q0 + ⌊r/d⌋ is q or q − 1; a last step each way guards it. When every lane's
//     q0 ≤ 2^48 the middle step is skipped: q0's error is then below 2^48·2^−50.9 <
//     1/2, so q0 is already within one of q.
//     First, though, the kernel tries one Newton step folded into the product: t =
//     fl(fl(a)·ρ0), e = fl(1 − d·ρ0), q0 = trunc(fl(t + t·e)), which is (a/d)(1 + η)
//     with |η| ≤ ε² + 4·2^−53 < 2^−27.99 (ε ≤ 2^−14 the estimate's error; e itself is
//     within 2^−53 relative of −ε). When every lane with den > 0 has q0 ≤ 2^27, a/d <
//     (2^27 + 1)/(1 − 2^−27.99) < 2^27 + 2 and |q0's argument − a/d| < 2^−27.99·(2^27
//     + 2) < 0.51, so q0 is within one of q, and q0·d < 2^59 is one vpmuludq (q0,
//     d < 2^32); else the group takes the two Newton steps above (TestAdamKernelSwitches:
//     quotients 2^27 − 1 … 2^27 + 2, remainders 0, 1, d − 1, divisors 1 … 2^31 + 2^30).
//     The sign is applied after, which is Go's truncating division.
// Passes over the row, so that the long dependency chains of neighbouring groups
// overlap: (A) g and the moments, (B1) ⌊√v⌋ + ε_t, (B2) the ratio x, (C) θ and the
// crossbar. A lane whose g or moment products leave the 64-bit bounds (lim*) is
// not stored and its bit set in fail (Go runs adamRow on it); a lane whose θ product
// does (|x| > limT) is marked in failB after its moments are stored (Go runs adamTheta
// on it). The row's last n mod 8 lanes are masked. Saturations are counted per lane in
// vector registers (a stored lane saturated where its clamped value differs from the
// unclamped one) and left in sats for kernelRow to sum: no mask moves to general
// registers, no popcounts, no read-modify-writes per group. Port 0, which takes every
// 512-bit shift, multiply, integer min/max and mask operation, is the bottleneck, so
// the kernel spends it sparingly: a bound |x| ≤ l is one unsigned compare x + l ≤ 2l
// (into a mask, port 5) and the lanes pass A stores go to memory as ok (pass B loads
// them as its mask); round-half-even adds the tested bit (vptestmq) instead of shifting
// it out; g's product is a shift when 1/C is a power of two; a1·(g − m) is a vpmuldq
// when a1 fits 32 bits (lim1 then at most 2^31 − 1, see optPlan.args), −lr_t·x one when
// lr_t fits 32 bits and every ratio of the group does (x64 marks the others). With a
// crossbar (wx ≠ nil), every stored lane whose θ changed writes its cell: w = sat((θ +
// draw·2^(dX−64))·2^−dX), the inlined crossbar write of learnBlock.

#define O_THETA 0
#define O_GS 8
#define O_M 16
#define O_V 24
#define O_N 32
#define O_IDX0 40
#define O_INVC 48
#define O_LIMG 56
#define O_LIMG2 64
#define O_DG 72
#define O_HALFG 80
#define O_GLO 88
#define O_GHI 96
#define O_A1 104
#define O_LIM1 112
#define O_LIM12 120
#define O_DM 128
#define O_HALFM 136
#define O_SRM 144
#define O_HEM 152
#define O_MLO 160
#define O_MHI 168
#define O_A2 176
#define O_DV 184
#define O_HALFV 192
#define O_SRV 200
#define O_HEV 208
#define O_SV 216
#define O_VLO 224
#define O_VHI 232
#define O_EPST 240
#define O_K 248
#define O_LRT 256
#define O_LIMT 264
#define O_LRT32 272
#define O_DT 280
#define O_HALFT 288
#define O_SRT 296
#define O_HET 304
#define O_TLO 312
#define O_THI 320
#define O_SM 328
#define O_SV2 336
#define O_ST 344
#define O_LANES 352
#define O_WX 416
#define O_SX 424
#define O_SRX 432
#define O_DX 440
#define O_XLO 448
#define O_XHI 456
#define O_OK 464
#define O_VSH 496
#define O_FAILB 504
#define O_UPD 536
#define O_XS 568
#define O_G32 2616
#define O_SPOS 2624
#define O_SATS 2632
#define O_INVSH 2952
#define O_A132 2960
#define O_DGBIT 2968
#define O_X64 2976
#define O_FASTA 3008
#define O_FASTC 3016
#define O_A2H 3024

// MIX: z = mix(z) (SplitMix64's finaliser), t scratch; Z24, Z25 hold its multipliers.
#define MIX(z, t) \
	MIX2(z, t); \
	VPSRLQ  $31, z, t; \
	VPXORQ  t, z, z

// MIX2 is MIX without its last step, z ^= z >> 31, which a draw shifted right by sr ≥ 33
// does not need: (z ^ z>>31) >> sr = z >> sr, z >> (31 + sr) being 0.
#define MIX2(z, t) \
	VPSRLQ  $30, z, t; \
	VPXORQ  t, z, z; \
	VPMULLQ Z24, z, z; \
	VPSRLQ  $27, z, t; \
	VPXORQ  t, z, z; \
	VPMULLQ Z25, z, z

// MIX2S is MIX2 of src into z (src kept).
#define MIX2S(src, z, t) \
	VPSRLQ  $30, src, t; \
	VPXORQ  t, src, z; \
	VPMULLQ Z24, z, z; \
	VPSRLQ  $27, z, t; \
	VPXORQ  t, z, z; \
	VPMULLQ Z25, z, z

// DRAW sets z to the draw of stream base off_s (Z5 the lanes' idx·γ) shifted right by
// off_sr = 64 − d: the stochastic rounding's increment (t, r scratch).
#define DRAW(off_s, off_sr, z, t) \
	VPBROADCASTQ off_s(DI), z; \
	VPADDQ       Z5, z, z; \
	MIX2(z, t); \
	CMPQ         off_sr(DI), $33; \
	JGE          3(PC); \
	VPSRLQ       $31, z, t; \
	VPXORQ       t, z, z; \
	VPBROADCASTQ off_sr(DI), t; \
	VPSRLVQ      t, z, z

// QMULD sets p = q·d mod 2^64 for d = Z7 < 2^32 (Z14 scratch): two 32-bit multiplies,
// whose latency is a third of vpmullq's.
#define QMULD(q, p) \
	VPMULUDQ Z7, q, p; \
	VPSRLQ   $32, q, Z14; \
	VPMULUDQ Z7, Z14, Z14; \
	VPSLLQ   $32, Z14, Z14; \
	VPADDQ   Z14, p, p

// AF_PRE begins a group of the fast pass A: s = −gs (Z0), K4 the lanes within the
// row with |s| ≤ limG.
#define AF_PRE \
	VMOVDQU64.Z (R9)(BX*8), K3, Z0; \
	VPSUBQ      Z0, Z27, Z0; \
	VPADDQ      Z17, Z0, Z6; \
	VPCMPUQ     $2, Z18, Z6, K3, K4

// AF_POST ends a group of the fast pass A, g in Z12 (gu before its clamp): the ok
// mask, the moments, the counts, the next group's stream terms.
#define AF_POST(gu) \
	VMOVDQU64.Z  (R10)(BX*8), K3, Z2; \
	VPSUBQ       Z2, Z12, Z6; \
	VPADDQ.BCST  O_LIM1(DI), Z6, Z7; \
	VPCMPUQ.BCST $2, O_LIM12(DI), Z7, K4, K4; \
	KMOVB        K4, O_OK(DI)(R12*1); \
	VPCMPQ       $4, Z12, gu, K4, K1; \
	VPADDQ       Z22, Z4, K1, Z4; \
	VPMULDQ.BCST O_A1(DI), Z6, Z6; \
	MIX2S(Z16, Z9, Z11); \
	VPSRLVQ.BCST O_SRM(DI), Z9, Z9; \
	VPADDQ       Z9, Z6, Z6; \
	VPSRAVQ.BCST O_DM(DI), Z6, Z6; \
	VPADDQ       Z6, Z2, Z2; \
	VPMINSQ.BCST O_MHI(DI), Z2, Z9; \
	VPMAXSQ.BCST O_MLO(DI), Z9, Z9; \
	VPCMPQ       $4, Z9, Z2, K4, K1; \
	VPADDQ       Z22, Z14, K1, Z14; \
	VMOVDQU64    Z9, K4, (R10)(BX*8); \
	VMOVDQU64.Z  (R11)(BX*8), K3, Z3; \
	VPMULDQ      Z12, Z12, Z6; \
	VPSUBQ       Z3, Z6, Z6; \
	VPSHUFD      $0xF5, Z6, Z12; \
	VPMULDQ      Z26, Z12, Z12; \
	VPMULUDQ     Z31, Z6, Z13; \
	MIX2S(Z23, Z9, Z11); \
	VPSRLVQ.BCST O_SRV(DI), Z9, Z9; \
	VPADDQ       Z9, Z13, Z13; \
	VPSRLVQ.BCST O_DV(DI), Z13, Z13; \
	VPADDQ       Z13, Z12, Z6; \
	VPADDQ       Z6, Z3, Z3; \
	VPMINSQ.BCST O_VHI(DI), Z3, Z9; \
	VPMAXSQ.BCST O_VLO(DI), Z9, Z9; \
	VPCMPQ       $4, Z9, Z3, K4, K1; \
	VPADDQ       Z22, Z15, K1, Z15; \
	VMOVDQU64    Z9, K4, (R11)(BX*8); \
	VPADDQ       Z28, Z16, Z16; \
	VPADDQ       Z28, Z23, Z23; \
	ADDQ         $8, BX; \
	INCQ         R12

// TAILK sets K3 to the lanes BX … n−1 (n − BX < 8) of the row's last group (AX, DX
// scratch; six instructions).
#define TAILK \
	MOVQ  CX, AX; \
	SUBQ  BX, AX; \
	MOVQ  $1, DX; \
	SHLXQ AX, DX, DX; \
	DECQ  DX; \
	KMOVB DX, K3

// TAIL sets K3 to the lanes BX … min(BX+8, n)−1 of the row (AX, DX scratch).
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

// IDX0G sets Z5 = (idx0 + lane)·γ, the draws' common term for the first group of a
// pass (AX scratch); each group after adds Z28 = 8γ (mod 2^64, the same bits).
#define IDX0G \
	VPBROADCASTQ O_IDX0(DI), Z5; \
	VPADDQ       Z26, Z5, Z5; \
	VPMULLQ      Z23, Z5, Z5

// func adamKernel(a *adamArgs)
// Registers: DI args, BX first synapse of the group, CX n, DX BX/8, R8–R11 θ, gs, m,
// v; K3 the group's lanes within the row (pass A); Z5 idx·γ, Z22 ones, Z23 γ, Z24–Z25
// mix multipliers, Z26 lanes, Z27 zero, Z28 8γ throughout; Z16–Z21, Z29–Z31 each
// pass's constants (listed at its start); pass A's and C's saturation counts in Z4,
// Z14, Z15 and Z0, Z1.
TEXT ·adamKernel(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ O_N(DI), CX
	MOVQ O_THETA(DI), R8
	MOVQ O_GS(DI), R9
	MOVQ O_M(DI), R10
	MOVQ O_V(DI), R11
	VPXORQ       Z27, Z27, Z27
	VPBROADCASTQ O_INVC(DI), Z16
	VPBROADCASTQ O_LIMG(DI), Z17
	VPBROADCASTQ O_LIMG2(DI), Z18
	VPBROADCASTQ O_DG(DI), Z19
	VPBROADCASTQ O_GLO(DI), Z20
	VPBROADCASTQ O_GHI(DI), Z21
	MOVQ         $1, AX
	VPBROADCASTQ AX, Z22
	MOVQ         $0x9E3779B97F4A7C15, AX
	VPBROADCASTQ AX, Z23
	MOVQ         $0xBF58476D1CE4E5B9, AX
	VPBROADCASTQ AX, Z24
	MOVQ         $0x94D049BB133111EB, AX
	VPBROADCASTQ AX, Z25
	VMOVDQU64    O_LANES(DI), Z26
	VPSLLQ       $3, Z23, Z28
	VPBROADCASTQ O_DGBIT(DI), Z29
	VPBROADCASTQ O_HALFG(DI), Z30
	XORQ         BX, BX
	VPXORQ       Z4, Z4, Z4
	VPXORQ       Z14, Z14, Z14
	VPXORQ       Z15, Z15, Z15
	IDX0G
	CMPQ         O_FASTA(DI), $0
	JNE          passAF0

	// Pass A: g = rhe(invC·s, dG) saturated, s = −gs (s = gs with sPos); then the
	// moments. K4 collects the lanes within the row and the 64-bit bounds (|s| ≤ limG,
	// |g − m| ≤ lim1, each as one unsigned compare: |x| ≤ l ⟺ x + l ≤ 2l unsigned),
	// stored in ok; Z4, Z14, Z15 count the saturations of g, m, v per lane. Z16 holds
	// invC; when invC = 2^sh with sh ≤ dG (invSh ≥ 0), g = rhe(s·2^sh, dG) =
	// rhe(s, dG − sh) (the same sum's carries: optPlan.args sets dG, halfG, dGbit to
	// dG − sh's; for sh = dG, 0, 0, 0: g = s) and nothing is multiplied. Z17, Z18 limG
	// and 2·limG, Z29 2^dG, Z30 2^(dG−1) − 1.
passA:
	CMPQ BX, CX
	JGE  passB0
	TAIL
	VMOVDQU64.Z (R9)(BX*8), K3, Z0
	CMPQ        O_SPOS(DI), $0
	JNE         sPos
	VPSUBQ      Z0, Z27, Z0

sPos:
	VPADDQ      Z17, Z0, Z6
	VPCMPUQ     $2, Z18, Z6, K3, K4
	CMPQ        O_INVSH(DI), $0
	JGE         g_rhe
	VPMULLQ     Z16, Z0, Z0

	// rhe: x + 2^(dG−1) − 1 + bit dG of x, shifted.
g_rhe:
	VPTESTMQ    Z29, Z0, K1
	VPADDQ      Z30, Z0, Z1
	VPADDQ      Z22, Z1, K1, Z1
	VPSRAVQ     Z19, Z1, Z1
	VPMINSQ     Z21, Z1, Z12
	VPMAXSQ     Z20, Z12, Z12

	// m ← sat(m + round(a1·(g − m)·2^−dM)), a1·(g − m) by vpmuldq when a1 fits 32
	// bits (lim1 is then below 2^31).
	VMOVDQU64.Z  (R10)(BX*8), K3, Z2
	VPSUBQ       Z2, Z12, Z6
	VPBROADCASTQ O_LIM1(DI), Z7
	VPADDQ       Z7, Z6, Z7
	VPBROADCASTQ O_LIM12(DI), Z8
	VPCMPUQ      $2, Z8, Z7, K4, K4
	MOVQ         BX, DX
	SHRQ         $3, DX
	KMOVB        K4, O_OK(DI)(DX*1)

	// A lane saturated where its clamped value differs from the unclamped one.
	VPCMPQ       $4, Z12, Z1, K4, K1
	VPADDQ       Z22, Z4, K1, Z4
	VPBROADCASTQ O_A1(DI), Z7
	CMPQ         O_A132(DI), $0
	JEQ          m_mul64
	VPMULDQ      Z7, Z6, Z6
	JMP          m_mul

m_mul64:
	VPMULLQ      Z7, Z6, Z6

m_mul:
	VPBROADCASTQ O_DM(DI), Z8
	CMPQ         O_HEM(DI), $0
	JEQ          m_sr
	VPSRAVQ      Z8, Z6, Z9
	VPANDQ       Z22, Z9, Z9
	VPBROADCASTQ O_HALFM(DI), Z10
	VPADDQ       Z10, Z9, Z9
	JMP          m_inc

m_sr:
	DRAW(O_SM, O_SRM, Z9, Z11)

m_inc:
	VPADDQ       Z9, Z6, Z6
	VPSRAVQ      Z8, Z6, Z6
	VPADDQ       Z6, Z2, Z2
	VPBROADCASTQ O_MLO(DI), Z7
	VPBROADCASTQ O_MHI(DI), Z8
	VPMINSQ      Z8, Z2, Z9
	VPMAXSQ      Z7, Z9, Z9
	VPCMPQ       $4, Z9, Z2, K4, K1
	VPADDQ       Z22, Z14, K1, Z14
	VMOVDQU64    Z9, K4, (R10)(BX*8)

	// v ← sat(v + round(a2·(g² − v·2^sV)·2^−dV)).
	// The product a2·x needs up to 94 bits: with x = xh·2^32 + xl, H = a2·xh and
	// L = a2·xl are exact, P = H·2^32 + L; Y = L + inc < 2^64 unsigned, and
	// ⌊(P + inc)·2^−dV⌋ = (H + Y·2^−32)·2^(32−dV) (dV ≥ 32), or
	// H·2^(32−dV) + ⌊Y·2^−dV⌋ (dV < 32), within int64 by adamVector's bound on a2.
	VMOVDQU64.Z  (R11)(BX*8), K3, Z3
	CMPQ         O_G32(DI), $0
	JEQ          gg64
	VPMULDQ      Z12, Z12, Z6
	JMP          gg

gg64:
	VPMULLQ      Z12, Z12, Z6

gg:
	CMPQ         O_SV(DI), $0
	JNE          v_sh
	VPSUBQ       Z3, Z6, Z6
	JMP          v_x

v_sh:
	VPBROADCASTQ O_SV(DI), Z7
	VPSLLVQ      Z7, Z3, Z7
	VPSUBQ       Z7, Z6, Z6

v_x:
	VPBROADCASTQ O_A2(DI), Z7
	VPSRAQ       $32, Z6, Z12
	VPMULDQ      Z7, Z12, Z12
	VPMULUDQ     Z7, Z6, Z13
	VPSLLQ       $32, Z12, Z6
	VPADDQ       Z13, Z6, Z6
	VPBROADCASTQ O_DV(DI), Z8
	CMPQ         O_HEV(DI), $0
	JEQ          v_sr
	VPSRAVQ      Z8, Z6, Z9
	VPANDQ       Z22, Z9, Z9
	VPBROADCASTQ O_HALFV(DI), Z10
	VPADDQ       Z10, Z9, Z9
	JMP          v_inc

v_sr:
	DRAW(O_SV2, O_SRV, Z9, Z11)

v_inc:
	VPADDQ       Z9, Z13, Z13
	VPBROADCASTQ O_VSH(DI), Z10
	CMPQ         O_DV(DI), $32
	JLT          v_low
	VPSRLQ       $32, Z13, Z13
	VPADDQ       Z13, Z12, Z12
	VPSRAVQ      Z10, Z12, Z6
	JMP          v_add

v_low:
	VPSLLVQ      Z10, Z12, Z12
	VPSRLVQ      Z8, Z13, Z13
	VPADDQ       Z13, Z12, Z6

v_add:
	VPADDQ       Z6, Z3, Z3
	VPBROADCASTQ O_VLO(DI), Z7
	VPBROADCASTQ O_VHI(DI), Z8
	VPMINSQ      Z8, Z3, Z9
	VPMAXSQ      Z7, Z9, Z9
	VPCMPQ       $4, Z9, Z3, K4, K1
	VPADDQ       Z22, Z15, K1, Z15
	VMOVDQU64    Z9, K4, (R11)(BX*8)

	VPADDQ       Z28, Z5, Z5
	ADDQ         $8, BX
	JMP          passA

	// Pass A for the chip's configuration (fastA ≠ 0, see adamArgs.setFast): the
	// general loop's path through each switch, without the switches: s = −gs, g's
	// product a shift, a1·(g − m) by vpmuldq, m and v rounded by draws that leave out
	// SplitMix's last step, g² by vpmuldq, sV = 0, dV < 32, and a2·2^(32−dV) within
	// 32 bits, so that the high half of a2·(g² − v), shifted, is one vpmuldq (Z26). The
	// constants the general loop broadcasts into registers per group are memory
	// operands broadcast by the instructions (Z31 holds a2); the draws' stream terms
	// run in Z16 (sM + idx·γ) and Z23 (sV + idx·γ); the mask of the group's lanes, K3,
	// is all ones but for the row's last group; R12 is the group's index (BX/8). The
	// high half of g² − v for vpmuldq is vpshufd's copy of its high dwords (vpmuldq
	// reads the low dword, signed: no vpsraq on port 0). Two loops: fastA = 1 rounds
	// g = rhe(s, dG − sh); fastA = 2 is 1/C = 2^dG, g = s exactly, and −limG ≥ gLo,
	// so that g needs no rounding and no lower clamp.
passAF0:
	XORQ         R12, R12
	VPBROADCASTQ O_A2(DI), Z31
	VPBROADCASTQ O_A2H(DI), Z26
	VPADDQ.BCST  O_SM(DI), Z5, Z16
	VPADDQ.BCST  O_SV2(DI), Z5, Z23
	KXNORB       K3, K3, K3
	CMPQ         CX, $8
	JGE          passAF1
	TAILK

passAF1:
	CMPQ         O_FASTA(DI), $2
	JEQ          passAE

passAF:
	AF_PRE
	VPTESTMQ     Z29, Z0, K1
	VPADDQ       Z30, Z0, Z1
	VPADDQ       Z22, Z1, K1, Z1
	VPSRAVQ      Z19, Z1, Z1
	VPMINSQ      Z21, Z1, Z12
	VPMAXSQ      Z20, Z12, Z12
	AF_POST(Z1)
	LEAQ         8(BX), AX
	CMPQ         AX, CX
	JLE          passAF
	CMPQ         BX, CX
	JGE          passB0
	TAILK
	JMP          passAF

passAE:
	AF_PRE
	VPMINSQ      Z21, Z0, Z12
	AF_POST(Z0)
	LEAQ         8(BX), AX
	CMPQ         AX, CX
	JLE          passAE
	CMPQ         BX, CX
	JGE          passB0
	TAILK
	JMP          passAE

	// Pass B: den = ⌊√v⌋ + ε_t, x = trunc(m·2^k / den) into xs for the lanes stored
	// in pass A with den > 0; upd marks those whose θ product is within bounds,
	// failB the others. Two loops: B1 leaves den in xs, B2 reads it and leaves x
	// there. Each group's chain (root, then quotient) is about 80 cycles; in one loop
	// the scheduler held too few groups' waiting µops to overlap them (llvm-mca: 33
	// cycles a group); split, each loop's chain is half as long (26).
passB0:
	VMOVDQU64    Z4, O_SATS(DI)
	VMOVDQU64    Z14, O_SATS+64(DI)
	VMOVDQU64    Z15, O_SATS+128(DI)
	XORQ         BX, BX
	VPBROADCASTQ O_EPST(DI), Z16
	VPBROADCASTQ O_K(DI), Z17
	MOVQ         $0x000FFFFFFFFFFFFF, AX
	VPBROADCASTQ AX, Z18
	MOVQ         $0x0000000008000000, AX
	VPBROADCASTQ AX, Z19
	VPBROADCASTQ O_LIMT(DI), Z20
	MOVQ         $-1, AX
	CMPQ         O_LRT32(DI), $0
	JEQ          2(PC)
	MOVQ         $0x7FFFFFFF, AX
	VPBROADCASTQ AX, Z21
	MOVQ         $0x3FF0000000000000, AX
	VPBROADCASTQ AX, Z29
	MOVQ         $0x3FE0000000000000, AX
	VPBROADCASTQ AX, Z30
	MOVQ         $0x0001000000000000, AX
	VPBROADCASTQ AX, Z31

	// Z16 ε_t, Z17 k, Z18 2^52 − 1 (the bound of the one-step root), Z19 2^27 (of the
	// one-step quotient), Z20 the bound of |x| (limT), Z21 the largest |x| pass C
	// multiplies by vpmuldq (2^31 − 1 when lr_t fits 32 bits, else −1: none), Z29
	// 1.0, Z30 0.5, Z31 2^48.
	XORQ         DX, DX
	CMPQ         CX, $0
	JLE          passC0

passB1:
	KMOVB        O_OK(DI)(DX*1), K4
	VMOVDQU64.Z  (R11)(BX*8), K4, Z3

	// ⌊√v⌋: y ≈ 1/√max(v, 1), g = v·y, h = y/2, r = 1/2 − g·h, s = g + g·r (one
	// Goldschmidt step, v < 2^52 in every lane), or two steps; formed as s − 1/2 =
	// (g − 1/2) + g·r. |s − √v| < 0.38, so r' = trunc(s − 1/2) (s − 1/2 > 0.12) is
	// ⌊√v⌋ or ⌊√v⌋ − 1, and ⌊√v⌋ = r' + [(r' + 1)² ≤ v] (v = 0 as v = 1: r' = 0, fixed
	// to 0 by the test).
	VPMAXSQ      Z22, Z3, Z6
	VCVTQQ2PD    Z6, Z6
	VRSQRT14PD   Z6, Z14
	VMULPD       Z14, Z6, Z15
	VMULPD       Z30, Z14, Z9
	VFNMADD213PD Z30, Z15, Z9
	VSUBPD       Z30, Z15, Z13
	VPCMPGTQ     Z18, Z3, K1
	KORTESTB     K1, K1
	JNE          sqrt2
	VFMADD231PD  Z9, Z15, Z13
	JMP          sqrt_fix

	// y in Z14, r in Z9 (h = y/2 formed anew).
sqrt2:
	VMULPD       Z30, Z14, Z14
	VFMADD231PD  Z9, Z15, Z15
	VFMADD231PD  Z9, Z14, Z14
	VMOVAPD      Z30, Z9
	VFNMADD231PD Z14, Z15, Z9
	VSUBPD       Z30, Z15, Z13
	VFMADD231PD  Z9, Z15, Z13

sqrt_fix:
	VCVTTPD2QQ   Z13, Z6
	VPADDQ       Z22, Z6, Z7
	VPMULUDQ     Z7, Z7, Z7
	VPCMPQ       $2, Z3, Z7, K2
	VPADDQ       Z16, Z6, Z6
	VPADDQ       Z22, Z6, K2, Z6
	VMOVDQU64    Z6, O_XS(DI)(BX*8)
	ADDQ         $8, BX
	INCQ         DX
	CMPQ         BX, CX
	JLT          passB1
	XORQ         BX, BX
	XORQ         DX, DX

	// den = ⌊√v⌋ + ε_t (xs); K6 the stored lanes with den > 0, d = max(den, 1) (Z7).
passB2:
	KMOVB        O_OK(DI)(DX*1), K4
	VMOVDQU64.Z  (R10)(BX*8), K4, Z2
	VMOVDQU64    O_XS(DI)(BX*8), Z6
	VPCMPGTQ     Z27, Z6, K4, K6
	VPMAXSQ      Z22, Z6, Z7

	// a = |m·2^k| (Z8), its sign in K5; ρ ≈ 1/d by vrcp14pd; q0 = trunc(t + t·e),
	// t = a·ρ, e = 1 − d·ρ (one Newton step folded into the product), kept when every
	// lane of K6 has q0 ≤ 2^27; else ρ refined twice and the quotient formed anew.
	VPSLLVQ      Z17, Z2, Z8
	VPCMPGTQ     Z8, Z27, K5
	VPABSQ       Z8, Z8
	VCVTQQ2PD    Z8, Z9
	VCVTQQ2PD    Z7, Z12
	VRCP14PD     Z12, Z10
	VMULPD       Z10, Z9, Z11
	VFNMADD213PD Z29, Z10, Z12
	VFMADD231PD  Z12, Z11, Z11
	VCVTTPD2QQ   Z11, Z11
	VPCMPGTQ     Z19, Z11, K6, K2
	KORTESTB     K2, K2
	JNE          div2
	VPMULUDQ     Z7, Z11, Z12
	JMP          div_fix

	// e in Z12 (d as a double formed anew).
div2:
	VFMADD231PD  Z12, Z10, Z10
	VCVTQQ2PD    Z7, Z12
	VMOVAPD      Z29, Z14
	VFNMADD231PD Z10, Z12, Z14
	VFMADD231PD  Z14, Z10, Z10
	VMULPD       Z10, Z9, Z11
	VCVTTPD2QQ   Z11, Z11
	VPCMPGTQ     Z31, Z11, K2
	KORTESTB     K2, K2
	JEQ          div2_fix
	QMULD(Z11, Z12)
	VPSUBQ       Z12, Z8, Z12
	VCVTQQ2PD    Z12, Z13
	VMULPD       Z10, Z13, Z13
	VRNDSCALEPD  $9, Z13, Z13
	VCVTTPD2QQ   Z13, Z13
	VPADDQ       Z13, Z11, Z11

div2_fix:
	QMULD(Z11, Z12)

	// r = a − q0·d: q = q0 − [r < 0] + [r ≥ d]; |x| = q, limT its bound.
div_fix:
	VPSUBQ       Z12, Z8, Z12
	VPCMPGTQ     Z12, Z27, K1
	VPCMPQ       $5, Z7, Z12, K2
	VPSUBQ       Z22, Z11, K1, Z11
	VPADDQ       Z22, Z11, K2, Z11
	VPCMPGTQ     Z20, Z11, K6, K1
	VPCMPQ       $2, Z20, Z11, K6, K2
	KMOVB        K1, O_FAILB(DI)(DX*1)
	KMOVB        K2, O_UPD(DI)(DX*1)
	VPCMPGTQ     Z21, Z11, K6, K1
	KMOVB        K1, O_X64(DI)(DX*1)
	VPSUBQ       Z11, Z27, K5, Z11
	VMOVDQU64    Z11, O_XS(DI)(BX*8)
	ADDQ         $8, BX
	INCQ         DX
	CMPQ         BX, CX
	JLT          passB2

	// Pass C: θ ← sat(θ + round(−lr_t·x·2^−dT)) on the lanes of upd; the crossbar
	// cells of those whose θ changed.
passC0:
	XORQ         BX, BX
	VPXORQ       Z0, Z0, Z0
	VPXORQ       Z1, Z1, Z1
	VMOVDQU64    O_LANES(DI), Z26
	MOVQ         $0x9E3779B97F4A7C15, AX
	VPBROADCASTQ AX, Z23
	IDX0G
	CMPQ         O_FASTC(DI), $0
	JNE          passCF0

passC:
	CMPQ BX, CX
	JGE  done
	MOVQ         BX, DX
	SHRQ         $3, DX
	MOVBLZX      O_UPD(DI)(DX*1), AX
	TESTL        AX, AX
	JEQ          nextC
	KMOVB        AX, K6
	VMOVDQU64    O_XS(DI)(BX*8), Z11
	VPBROADCASTQ O_LRT(DI), Z7
	CMPB         O_X64(DI)(DX*1), $0
	JNE          t_mul64
	VPMULDQ      Z7, Z11, Z6
	JMP          t_mul

t_mul64:
	VPMULLQ      Z7, Z11, Z6

t_mul:
	VPBROADCASTQ O_DT(DI), Z8
	CMPQ         O_HET(DI), $0
	JEQ          t_sr
	VPSRAVQ      Z8, Z6, Z9
	VPANDQ       Z22, Z9, Z9
	VPBROADCASTQ O_HALFT(DI), Z10
	VPADDQ       Z10, Z9, Z9
	JMP          t_inc

t_sr:
	DRAW(O_ST, O_SRT, Z9, Z11)

t_inc:
	VPADDQ       Z9, Z6, Z6
	VPSRAVQ      Z8, Z6, Z6
	VMOVDQU64.Z  (R8)(BX*8), K6, Z4
	VPADDQ       Z4, Z6, Z6
	VPBROADCASTQ O_TLO(DI), Z7
	VPBROADCASTQ O_THI(DI), Z8
	VPMINSQ      Z8, Z6, Z12
	VPMAXSQ      Z7, Z12, Z12
	VPCMPQ       $4, Z12, Z6, K6, K1
	VPADDQ       Z22, Z0, K1, Z0
	VMOVDQU64    Z12, K6, (R8)(BX*8)

	// The crossbar: lanes whose θ changed.
	MOVQ         O_WX(DI), SI
	TESTQ        SI, SI
	JEQ          nextC
	VPCMPQ       $4, Z4, Z12, K6, K1
	KORTESTB     K1, K1
	JEQ          nextC
	DRAW(O_SX, O_SRX, Z9, Z11)
	VPADDQ       Z12, Z9, Z9
	VPBROADCASTQ O_DX(DI), Z10
	VPSRAVQ      Z10, Z9, Z9
	VPBROADCASTQ O_XLO(DI), Z7
	VPBROADCASTQ O_XHI(DI), Z8
	VPMINSQ      Z8, Z9, Z13
	VPMAXSQ      Z7, Z13, Z13
	VPCMPQ       $4, Z13, Z9, K1, K2
	VPADDQ       Z22, Z1, K2, Z1
	VPMOVQW      Z13, K1, (SI)(BX*2)

nextC:
	VPADDQ Z28, Z5, Z5
	ADDQ   $8, BX
	JMP    passC

	// Pass C for the chip's configuration (fastC, see adamArgs.setFast: θ rounded
	// stochastically, a crossbar, its draw leaving out SplitMix's last step): the
	// general loop's path without its switches but the group's (upd, x64) and θ's
	// draw's last step (R13), the constants in registers, each draw's stream term
	// running (Z2 sT + idx·γ, Z3 sX + idx·γ), and the crossbar formed for every group
	// (its store masked to the lanes whose θ changed: on the chip, all). The cells'
	// range is int16's, so vpmovsqw's saturating store is the clamp (no vpminsq,
	// vpmaxsq on port 0), and a cell saturates where w + 2^15 > 2^16 − 1 unsigned.
	// Z16 lr_t, Z17 dT, Z18 tLo, Z19 tHi, Z20 srT, Z21 srX, Z29 dX, Z30 2^15, Z31
	// 2^16 − 1.
passCF0:
	VPBROADCASTQ O_LRT(DI), Z16
	VPBROADCASTQ O_DT(DI), Z17
	VPBROADCASTQ O_TLO(DI), Z18
	VPBROADCASTQ O_THI(DI), Z19
	VPBROADCASTQ O_SRT(DI), Z20
	VPBROADCASTQ O_SRX(DI), Z21
	VPBROADCASTQ O_DX(DI), Z29
	MOVQ         $0x8000, AX
	VPBROADCASTQ AX, Z30
	MOVQ         $0xFFFF, AX
	VPBROADCASTQ AX, Z31
	VPADDQ.BCST  O_ST(DI), Z5, Z2
	VPADDQ.BCST  O_SX(DI), Z5, Z3
	MOVQ         O_WX(DI), SI
	XORQ         R13, R13
	CMPQ         O_SRT(DI), $33
	SETLT        R13
	XORQ         DX, DX
	CMPQ         CX, $0
	JLE          done

passCF:
	MOVBLZX      O_UPD(DI)(DX*1), AX
	TESTL        AX, AX
	JEQ          nextCF
	KMOVB        AX, K6
	VMOVDQU64    O_XS(DI)(BX*8), Z11
	MOVBLZX      O_X64(DI)(DX*1), AX
	TESTL        AX, AX
	JNE          tF_mul64
	VPMULDQ      Z16, Z11, Z6

tF_mul:
	MIX2S(Z2, Z9, Z12)
	TESTQ        R13, R13
	JNE          tF_last

tF_sr:
	VPSRLVQ      Z20, Z9, Z9
	VPADDQ       Z9, Z6, Z6
	VPSRAVQ      Z17, Z6, Z6
	VMOVDQU64.Z  (R8)(BX*8), K6, Z4
	VPADDQ       Z4, Z6, Z6
	VPMINSQ      Z19, Z6, Z12
	VPMAXSQ      Z18, Z12, Z12
	VPCMPQ       $4, Z12, Z6, K6, K1
	VPADDQ       Z22, Z0, K1, Z0
	VMOVDQU64    Z12, K6, (R8)(BX*8)
	VPCMPQ       $4, Z4, Z12, K6, K1
	MIX2S(Z3, Z9, Z13)
	VPSRLVQ      Z21, Z9, Z9
	VPADDQ       Z12, Z9, Z9
	VPSRAVQ      Z29, Z9, Z9
	VPADDQ       Z30, Z9, Z13
	VPCMPUQ      $6, Z31, Z13, K1, K2
	VPADDQ       Z22, Z1, K2, Z1
	VPMOVSQW     Z9, K1, (SI)(BX*2)

nextCF:
	VPADDQ       Z28, Z2, Z2
	VPADDQ       Z28, Z3, Z3
	ADDQ         $8, BX
	INCQ         DX
	CMPQ         BX, CX
	JLT          passCF
	JMP          done

tF_mul64:
	VPMULLQ      Z16, Z11, Z6
	JMP          tF_mul

tF_last:
	VPSRLQ       $31, Z9, Z12
	VPXORQ       Z12, Z9, Z9
	JMP          tF_sr

done:
	VMOVDQU64 Z0, O_SATS+192(DI)
	VMOVDQU64 Z1, O_SATS+256(DI)
	VZEROUPPER
	RET

