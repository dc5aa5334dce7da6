package gle

import (
	"fmt"
	"math"

	"github.com/glemu/glemu/network"
)

// activation identifies a nonlinearity of spec section 4.
type activation int

const (
	actIdentity activation = iota
	actReLU
	actTanh
	actSigmoid
	actSoftplus
	actHardSigmoid
	actHardTanh
)

func parseActivation(name string) (activation, error) {
	switch network.CanonicalActivation(name) {
	case "identity":
		return actIdentity, nil
	case "relu":
		return actReLU, nil
	case "tanh":
		return actTanh, nil
	case "sigmoid":
		return actSigmoid, nil
	case "softplus":
		return actSoftplus, nil
	case "hard_sigmoid":
		return actHardSigmoid, nil
	case "hard_tanh":
		return actHardTanh, nil
	}
	return 0, fmt.Errorf("gle: unknown activation %q", name)
}

// sigmoid is the logistic function, computed without overflow for any x.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is ln(1 + eˣ), computed without overflow for any x.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// apply sets r = φ(ŭ) and rp = φ′(ŭ) element-wise.
func (a activation) apply(ub, r, rp []float64) {
	r = r[:len(ub)]
	rp = rp[:len(ub)]
	switch a {
	case actIdentity:
		for i, x := range ub {
			r[i], rp[i] = x, 1
		}
	case actReLU:
		for i, x := range ub {
			if x > 0 {
				r[i], rp[i] = x, 1
			} else {
				r[i], rp[i] = 0, 0
			}
		}
	case actTanh:
		for i, x := range ub {
			t := math.Tanh(x)
			r[i], rp[i] = t, 1-t*t
		}
	case actSigmoid:
		for i, x := range ub {
			s := sigmoid(x)
			r[i], rp[i] = s, s*(1-s)
		}
	case actSoftplus:
		for i, x := range ub {
			r[i], rp[i] = softplus(x), sigmoid(x)
		}
	case actHardSigmoid:
		for i, x := range ub {
			switch {
			case x < 0:
				r[i], rp[i] = 0, 0
			case x > 1:
				r[i], rp[i] = 1, 0
			default:
				r[i], rp[i] = x, 1
			}
		}
	case actHardTanh:
		for i, x := range ub {
			switch {
			case x < -1:
				r[i], rp[i] = -1, 0
			case x > 1:
				r[i], rp[i] = 1, 0
			default:
				r[i], rp[i] = x, 1
			}
		}
	}
}
