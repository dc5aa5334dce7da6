package fixedpoint

import "fmt"

// Table declares the formats of the chip's variables, one Var each. Kernels, the chip,
// the image format and docs/arithmetic.md read formats from a Table, never from
// constants in loops.
//
// Per-population scale factors chosen by the compiler are not formats: they are
// power-of-two shift registers applied on top of a Var's format (Var.Shift), and a
// learning rate is a multiplier register in the "lr" format with a shift register
// (OuterParams). Only the register widths belong here.
type Table []Var

// Lookup returns the Var called name.
func (t Table) Lookup(name string) (Var, bool) {
	for _, v := range t {
		if v.Name == name {
			return v, true
		}
	}
	return Var{}, false
}

// Validate checks every Var and that names are unique.
func (t Table) Validate() error {
	seen := make(map[string]bool, len(t))
	for _, v := range t {
		if err := v.Validate(); err != nil {
			return err
		}
		if seen[v.Name] {
			return fmt.Errorf("fixedpoint: table declares %q twice; give each variable one entry", v.Name)
		}
		seen[v.Name] = true
	}
	return nil
}

// DefaultTable returns a fresh copy of the chip's default formats. Tune the chip by
// editing this table (and regenerating docs/arithmetic.md with
// `go test ./fixedpoint -run TestArithmeticDoc -update`), never by constants in loops.
func DefaultTable() Table {
	return Table{
		{"w", Q(2, 13), Stochastic, Saturate, "crossbar cells, 16 bits: what the crossbar multiplies forward (W r) and transposed (Wᵀ ĕ); written from w_mem with stochastic rounding whenever w_mem changes"},
		{"w_mem", Q(2, 29), Stochastic, Saturate, "weight memory, 32 bits: the learned value; optimizer updates (often < 1 LSB of w) round into it stochastically"},
		{"b", Q(7, 24), Stochastic, Saturate, "bias memory, 32 bits, on u's binary point (the population's state scale applies)"},
		{"mac", Q(6, 25), Floor, Wrap, "forward crossbar accumulator, int32: w (Q2.13) × rate bus (Q3.12) products are exact; wraps like VNNI vpdpwssd"},
		{"mac_t", Q(7, 24), Floor, Wrap, "transposed crossbar accumulator, int32: w (Q2.13) × error bus (Q4.11) products are exact; wraps"},
		{"u", Q(7, 24), HalfEven, Saturate, "membrane potential u; s = W r_in + b and Δu = s + γĕ − u are formed in this format"},
		{"u_breve", Q(7, 24), HalfEven, Saturate, "prospective membrane ŭ = u_old + (τr/τm)Δu"},
		{"v", Q(7, 24), HalfEven, Saturate, "error integrator v"},
		{"e_breve", Q(7, 24), HalfEven, Saturate, "prospective error ĕ = v_old + (τm/τr)Δv; τm/τr up to 32 needs the headroom"},
		{"inst_e", Q(7, 24), HalfEven, Saturate, "instantaneous error r′ ⊙ ε_in"},
		{"phi_in", Q(3, 12), HalfEven, Saturate, "ŭ as read by the nonlinearity units (φ, φ′)"},
		{"r", Q(3, 12), HalfEven, Saturate, "rate r = φ(ŭ), the output of the φ unit"},
		{"r_prime", UQ(1, 15), HalfEven, Saturate, "r′ = φ′(ŭ), the output of the φ′ unit"},
		{"rate_bus", Q(3, 12), HalfEven, Saturate, "rates on the bus between tiles; the forward crossbar's input"},
		{"err_bus", Q(4, 11), Stochastic, Saturate, "ĕ on the bus; the transposed crossbar's input (e_bottom = Wᵀ ĕ) and the gradient's; by default a block exponent per population and step (e_breve shifted right by the smallest of 0…16 bits that fits every ĕ), so these fraction bits apply only to the static bus; stochastic, so that errors of a few LSBs stay unbiased"},
		{"lr", UQ(1, 15), HalfEven, Saturate, "learning-rate multiplier register; the rate is lr·2^−shift with a shift register"},
		{"dt_tau_m", UQ(1, 15), HalfEven, Saturate, "decay factor dt/τm ∈ (0, 1]; 1 (τm = dt) must be exact"},
		{"dt_tau_r", UQ(1, 15), HalfEven, Saturate, "decay factor dt/τr ∈ (0, 1]; 1 (τr = dt, the LI unit) must be exact"},
		{"tau_r_tau_m", UQ(1, 15), HalfEven, Saturate, "ratio τr/τm, at most 1 in the paper's networks"},
		{"tau_m_tau_r", UQ(5, 11), HalfEven, Saturate, "ratio τm/τr, up to 32 (6 for MNIST-1D, 24 for speech)"},
		{"tau_m", UQ(8, 16), HalfEven, Saturate, "τm and τr in units of dt (1 to 256), 24 bits so that τ learning's small updates register; an exact divider forms dt/τm, dt/τr, τr/τm, τm/τr from them"},
		{"exp_in", Q(4, 11), HalfEven, Saturate, "softmax: r_out − max(r_out) ≤ 0 as read by the exp unit"},
		{"exp_out", UQ(1, 15), HalfEven, Saturate, "softmax: exp output in (0, 1]"},
		{"adam_m", Q(7, 24), Stochastic, Saturate, "optimizer first moment, 32 bits; stochastic so β-decays do not stall"},
		{"adam_v", UQ(8, 48), Stochastic, Saturate, "optimizer second moment, 56 bits, never negative: as many fraction bits as g² (grad has 24), so that √v keeps g's resolution"},
		{"eps_in", Q(7, 24), HalfEven, Saturate, "committed error input ε_in = Σ Wᵀĕ over outgoing projections (+ e*), requantized once at the home tile"},
		{"grad", Q(7, 24), HalfEven, Saturate, "gradient, mean over contexts (a reciprocal-of-C multiply), on a per-parameter gradient scale register"},
		{"gamma", Q(3, 12), HalfEven, Saturate, "γ register mantissa; γ = mantissa·2^exp"},
		{"beta", UQ(1, 15), HalfEven, Saturate, "β register mantissa (output error strength); β = mantissa·2^exp"},
		{"adam_eps", UQ(1, 15), HalfEven, Saturate, "Adam ε register mantissa; ε = mantissa·2^exp"},
		{"decay", UQ(1, 31), HalfEven, Saturate, "decay registers: momentum μ, Adam β1, β2 and their powers for bias correction, 1/C for the context mean"},
		{"trim_tau", Q(0, 15), HalfEven, Saturate, "per-neuron τ trim: the decay constants dt/τm are multiplied by 1 + trim"},
		{"trim_offset", Q(3, 12), HalfEven, Saturate, "per-neuron offset trim, added to ŭ at the φ unit's input (phi_in's binary point)"},
	}
}
