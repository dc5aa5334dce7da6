package chip_test

import (
	"math"
	"sort"
	"testing"

	"github.com/glemu/glemu/gle"
	"github.com/glemu/glemu/tasks"
)

func TestProbeGLE(t *testing.T) {
	if !*long {
		t.Skip()
	}
	net, _ := tasks.MNIST1DNetwork(tasks.MNIST1DWidth, 1)
	data, _ := tasks.NewMNIST1D()
	const C = 100
	g, _ := gle.New(net, nil, C)
	L := data.Length
	x := make([]float64, C)
	labels := make([]int, C)
	samples := make([][]float64, 7)
	us := make([][]float64, 7)
	for k := range *mnistSteps {
		batch, pos := k/L, k%L
		for i := range C {
			s := (batch*C + i) % data.NumTrain()
			x[i] = data.TrainX[s*L+pos]
			labels[i] = data.TrainY[s]
		}
		g.StepLabels(x, labels)
		if k%7 == 0 {
			for l, p := range g.Layers {
				for _, e := range p.EBreve[:200] {
					samples[l] = append(samples[l], math.Abs(e))
				}
				for _, e := range p.UBreve[:200] {
					us[l] = append(us[l], math.Abs(e))
				}
			}
		}
	}
	for l := range samples {
		s := samples[l]
		sort.Float64s(s)
		q := func(f float64) float64 { return s[int(f*float64(len(s)-1))] }
		u := us[l]
		sort.Float64s(u)
		t.Logf("layer %d |ĕ| p50 %.3g p90 %.3g p99 %.3g p99.9 %.3g max %.3g ; |ŭ| p99 %.3g max %.3g", l, q(.5), q(.9), q(.99), q(.999), s[len(s)-1], u[int(0.99*float64(len(u)))], u[len(u)-1])
	}
}
