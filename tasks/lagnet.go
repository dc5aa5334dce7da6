package tasks

import (
	"math"

	"github.com/glemu/glemu/network"
)

// Lag-net constants (spec section 6).
const (
	LagNetDt = 0.01
)

// LagNetInput is the lag-net input at time t: sin(0.49t) + sin(1.07t) + sin(1.98t).
func LagNetInput(t float64) float64 {
	return math.Sin(0.49*t) + math.Sin(1.07*t) + math.Sin(1.98*t)
}

// LagNet is the small mixed network used to compare GLE's online errors and gradients
// with the exact ones: 1→2→2→1, tanh hidden layers, linear output, no bias; in each
// hidden layer unit 0 has τm = τr = 1 (an LE unit) and unit 1 τm = 1, τr = 0.1; the
// output τm = τr = 1; dt = 0.01; γ = 0; MSE with β = 1.
//
// The spec gives no teacher weights, so the teacher is the same network with weights
// drawn by the network initialisation with TeacherSeed, and the student draws with
// StudentSeed. The student learns with SGD with momentum 0.9 (spec section 5, small
// teacher–student tasks), lr 1e-3, weights only.
type LagNet struct {
	Teacher, Student             *network.Network
	TeacherParams, StudentParams *network.Params
}

// NewLagNet builds the task: the teacher's weights are drawn with seed, the student's
// with seed+1.
func NewLagNet(seed uint64) (*LagNet, error) {
	l := &LagNet{Teacher: lagNetNet("lagnet-teacher", seed, false), Student: lagNetNet("lagnet-student", seed+1, true)}
	var err error
	if l.TeacherParams, err = l.Teacher.InitParams(); err != nil {
		return nil, err
	}
	if l.StudentParams, err = l.Student.InitParams(); err != nil {
		return nil, err
	}
	return l, nil
}

func lagNetNet(name string, seed uint64, student bool) *network.Network {
	hidden := func(n string) network.Population {
		return network.Population{Name: n, Size: 2, Activation: "tanh", TauM: []float64{1, 1}, TauR: []float64{1, 0.1}}
	}
	n := &network.Network{
		Name: name, Dt: LagNetDt, Seed: seed, Errors: network.ErrorsProspective,
		Populations: []network.Population{
			{Name: "x", Size: 1, Input: true}, hidden("h0"), hidden("h1"),
			{Name: "out", Size: 1, Activation: "identity", TauM: []float64{1}, TauR: []float64{1}, Output: true},
		},
		Projections: []network.Projection{{Source: "x", Target: "h0"}, {Source: "h0", Target: "h1"}, {Source: "h1", Target: "out"}},
		Loss:        network.Loss{Kind: network.LossMSE, Beta: 1},
	}
	if student {
		n.Learning = network.Learning{
			Optimizer: network.Optimizer{Kind: network.OptimizerMomentum, LR: 1e-3, Momentum: 0.9},
			Weights:   true,
		}
	}
	return n
}
