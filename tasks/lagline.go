package tasks

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/glemu/glemu/network"
)

// Lag-line constants (spec section 6).
const (
	LagLineDt           = 0.01
	LagLineTauR         = 0.1
	LagLineContexts     = 100
	LagLineHalfPeriod   = 200    // steps
	LagLineSmoothSigma  = 5.0    // steps
	LagLineWarmupSteps  = 5000   // 50 time units without learning
	LagLinePaperSteps   = 400000 // 4000 time units of learning
	LagLineLR           = 1e-4
	LagLineBeta         = 0.01
	LagLineTauMMinSteps = 10 // τm ≥ 10·dt
)

// LagLineTeacherW and LagLineTeacherTauM are the teacher's parameters: W = (1, 2),
// τm = (1, 2).
var (
	LagLineTeacherW    = [2]float64{1, 2}
	LagLineTeacherTauM = [2]float64{1, 2}
)

// LagLine is the lag-line teacher–student task: two 1→1→1 softplus chains without bias,
// γ = 1, τr = 0.1, dt = 0.01. The teacher has W = (1, 2), τm = (1, 2); the student's W
// and τm are drawn from U(0, 1) (τm then clamped at 10·dt, the clamp the student learns
// under) and learn with Adam (lr 1e-4), MSE with β = 0.01. The input of each of the 100
// contexts is a ±1 square wave of half-period 200 steps, smoothed periodically with a
// Gaussian of σ = 5 steps and shifted by a per-context number of steps in [0, 200).
type LagLine struct {
	Teacher, Student             *network.Network
	TeacherParams, StudentParams *network.Params
	// Shifts[c] is context c's shift in steps.
	Shifts []int
	// Wave is one period (400 steps) of the smoothed square wave.
	Wave []float64
}

// NewLagLine builds the task for seed. The draws come from math/rand/v2's PCG seeded
// with (seed, 0x6c61676c696e65): first the 100 shifts, then the student's W₀, W₁, τm₀,
// τm₁.
func NewLagLine(seed uint64) (*LagLine, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6c61676c696e65))
	l := &LagLine{Wave: SmoothedSquareWave(LagLineHalfPeriod, LagLineSmoothSigma)}
	for range LagLineContexts {
		l.Shifts = append(l.Shifts, rng.IntN(LagLineHalfPeriod))
	}
	l.Teacher = lagLineNet("lagline-teacher", false)
	l.Student = lagLineNet("lagline-student", true)
	var err error
	if l.TeacherParams, err = l.Teacher.InitParams(); err != nil {
		return nil, err
	}
	if l.StudentParams, err = l.Student.InitParams(); err != nil {
		return nil, err
	}
	tauMin := LagLineTauMMinSteps * LagLineDt
	for i, q := range []int{1, 2} {
		l.TeacherParams.Weights[i][0] = LagLineTeacherW[i]
		l.TeacherParams.TauM[q][0] = LagLineTeacherTauM[i]
	}
	for i := range 2 {
		l.StudentParams.Weights[i][0] = rng.Float64()
	}
	for _, q := range []int{1, 2} {
		l.StudentParams.TauM[q][0] = max(rng.Float64(), tauMin)
	}
	if err := l.Student.CheckParams(l.StudentParams); err != nil {
		return nil, fmt.Errorf("tasks: lag-line: %w", err)
	}
	return l, nil
}

func lagLineNet(name string, student bool) *network.Network {
	n := &network.Network{
		Name: name, Dt: LagLineDt, Errors: network.ErrorsProspective,
		Populations: []network.Population{
			{Name: "x", Size: 1, Input: true},
			{Name: "l0", Size: 1, Activation: "softplus", Gamma: 1, TauM: []float64{1}, TauR: []float64{LagLineTauR}},
			{Name: "l1", Size: 1, Activation: "softplus", Gamma: 1, TauM: []float64{1}, TauR: []float64{LagLineTauR}, Output: true},
		},
		Projections: []network.Projection{{Source: "x", Target: "l0"}, {Source: "l0", Target: "l1"}},
		Loss:        network.Loss{Kind: network.LossMSE, Beta: LagLineBeta},
	}
	if student {
		n.Learning = network.Learning{
			Optimizer: network.Optimizer{Kind: network.OptimizerAdam, LR: LagLineLR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Weights:   true, TauM: true, TauMMin: LagLineTauMMinSteps * LagLineDt,
		}
	}
	return n
}

// Input writes the input of step k for every context into dst (len Contexts).
func (l *LagLine) Input(dst []float64, k int) {
	p := len(l.Wave)
	for c, s := range l.Shifts {
		dst[c] = l.Wave[(k+s)%p]
	}
}

// Contexts is the number of contexts (100).
func (l *LagLine) Contexts() int { return len(l.Shifts) }

// SmoothedSquareWave returns one period (2·halfPeriod steps) of a ±1 square wave (+1 for
// the first half) convolved periodically with a Gaussian of σ sigma steps, normalised
// to unit sum over the period.
func SmoothedSquareWave(halfPeriod int, sigma float64) []float64 {
	p := 2 * halfPeriod
	kernel := make([]float64, p) // kernel[d] for circular offset d
	sum := 0.0
	for d := range p {
		off := float64(d)
		if d > p/2 {
			off = float64(d - p)
		}
		kernel[d] = math.Exp(-off * off / (2 * sigma * sigma))
		sum += kernel[d]
	}
	wave := make([]float64, p)
	for k := range p {
		acc := 0.0
		for d := range p {
			sq := 1.0
			if (k-d+p)%p >= halfPeriod {
				sq = -1
			}
			acc += kernel[d] * sq
		}
		wave[k] = acc / sum
	}
	return wave
}
