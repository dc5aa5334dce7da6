package mnist1d

// Dataset is a generated MNIST-1D data set, normalised and split. Samples are rows of
// Length() float64 values, stored row-major and contiguous: sample i of the training
// set is TrainX[i·Length() : (i+1)·Length()], with label TrainY[i].
type Dataset struct {
	Config Config // the configuration that generated it

	TrainX []float64 // NumTrain() × Length() values, row-major
	TrainY []int     // labels 0 … 9 of the training samples
	TestX  []float64 // NumTest() × Length() values, row-major
	TestY  []int     // labels 0 … 9 of the test samples

	// Mean and Std are the statistics every value was normalised with, x ← (x − Mean)/Std:
	// the mean and population standard deviation of all samples before the split.
	Mean, Std float64

	// Templates are the normalised digit templates the samples were made from, one row
	// per label; each starts at 0.
	Templates [NumClasses][TemplateLength]float64
}

// Length returns the number of points in each sample (Config.FinalSeqLength).
func (d *Dataset) Length() int { return d.Config.FinalSeqLength }

// NumTrain returns the number of training samples.
func (d *Dataset) NumTrain() int { return len(d.TrainY) }

// NumTest returns the number of test samples.
func (d *Dataset) NumTest() int { return len(d.TestY) }

// Train returns training sample i, a view into TrainX (writes change the data set).
// It panics if i is out of range, as indexing does.
func (d *Dataset) Train(i int) []float64 { return row(d.TrainX, d.Length(), i) }

// Test returns test sample i, a view into TestX (writes change the data set).
// It panics if i is out of range, as indexing does.
func (d *Dataset) Test(i int) []float64 { return row(d.TestX, d.Length(), i) }

func row(x []float64, n, i int) []float64 { return x[i*n : (i+1)*n : (i+1)*n] }

// eps is added to every template point so that only padding is exactly zero.
const eps = 1e-8

// Generate makes the MNIST-1D data set cfg describes, exactly as the original Python
// generator (mnist1d's make_dataset) makes it from numpy's legacy random stream: the
// default configuration reproduces the published data set, and any FinalSeqLength
// resamples the same samples. For a configuration it cannot use it returns a
// *ConfigError, matching ErrInvalidConfig (ErrConstant for one that makes every value
// the same); it returns no other errors. Generate is safe for concurrent use.
func Generate(cfg Config) (*Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := newGenerator(cfg)
	n, length := cfg.NumSamples, cfg.FinalSeqLength

	// Samples in generation order: label 0 first, NumSamples/10 of each.
	raw := make([]float64, n*length)
	perClass := n / NumClasses
	for i := range n {
		g.transform(raw[i*length:(i+1)*length], i/perClass)
	}

	// Shuffle, then normalise by the statistics of the whole array.
	perm := g.rs.Permutation(n)
	xs := make([]float64, n*length)
	ys := make([]int, n)
	for i, p := range perm {
		copy(xs[i*length:(i+1)*length], raw[p*length:(p+1)*length])
		ys[i] = p / perClass
	}
	m := mean(xs)
	s := populationStd(xs, raw) // raw is free now: scratch for the squared deviations
	if s <= constantSpread*maxAbs(xs) {
		return nil, ErrConstant
	}
	for i, v := range xs {
		xs[i] = (v - m) / s
	}

	split := cfg.trainCount()
	return &Dataset{
		Config:    cfg,
		TrainX:    xs[: split*length : split*length],
		TrainY:    ys[:split:split],
		TestX:     xs[split*length:],
		TestY:     ys[split:],
		Mean:      m,
		Std:       s,
		Templates: g.templates,
	}, nil
}

// ErrConstant is returned by Generate when every generated value is the same, which a
// Config without noise, scale, shear or translation can give: there is no spread to
// normalise by, only rounding. It is a *ConfigError for the Config as a whole, so it
// matches ErrInvalidConfig too.
var ErrConstant error = &ConfigError{msg: "mnist1d: every value is (nearly) the same, so the data cannot be normalised; add noise, shear or translation"}

// constantSpread is the standard deviation, relative to the largest magnitude, below
// which the values count as constant.
const constantSpread = 1e-12

func maxAbs(a []float64) float64 {
	var m float64
	for _, v := range a {
		m = max(m, v, -v)
	}
	return m
}

// generator holds the random stream and the per-sample buffers of Generate, so that
// transforming a sample allocates nothing.
type generator struct {
	cfg       Config
	rs        *RandomState
	templates [NumClasses][TemplateLength]float64
	weights   [smoothRadius + 1]float64

	padded, padGrid []float64 // template + padding and its grid, up to the dilated length
	dilateGrid      []float64 // linspace(0, 1, dilated length)
	shearLine       []float64 // linspace(−0.5, 0.5, dilated length)
	finalGrid       []float64 // linspace(0, 1, FinalSeqLength)
	x, shifted      []float64 // the sample at the dilated length
	noise, smooth   []float64 // correlated noise before and after smoothing
}

func newGenerator(cfg Config) *generator {
	d := cfg.dilatedLength()
	g := &generator{
		cfg:        cfg,
		rs:         NewRandomState(cfg.Seed),
		templates:  templates(),
		weights:    gaussianWeights(),
		padded:     make([]float64, d),
		padGrid:    make([]float64, d),
		dilateGrid: make([]float64, d),
		shearLine:  make([]float64, d),
		finalGrid:  make([]float64, cfg.FinalSeqLength),
		x:          make([]float64, d),
		shifted:    make([]float64, d),
		noise:      make([]float64, d),
		smooth:     make([]float64, d),
	}
	linspace(g.dilateGrid, 0, 1)
	linspace(g.shearLine, -0.5, 0.5)
	linspace(g.finalGrid, 0, 1)
	return g
}

// transform writes to dst (FinalSeqLength values) one sample of the given label:
// mnist1d's transform, drawing from the stream in its order (padding, scale,
// translation, 72 + 72 normals, shear).
func (g *generator) transform(dst []float64, label int) {
	cfg := &g.cfg
	d := cfg.dilatedLength()

	// 1. Pad: the template plus eps, then p zeros.
	p := cfg.PaddingMin + int(g.rs.Float64()*float64(cfg.PaddingMax-cfg.PaddingMin+1))
	padLen := TemplateLength + p
	padded := g.padded[:padLen]
	for i, v := range g.templates[label] {
		padded[i] = v + eps
	}
	clear(padded[TemplateLength:])

	// 2. Dilate: resample linearly to the dilated length.
	grid := g.padGrid[:padLen]
	linspace(grid, 0, 1)
	x := g.x
	interp(x, g.dilateGrid, grid, padded)

	// 3. Scale.
	scale := float64(cfg.ScaleCoeff*(g.rs.Float64()-0.5)) + 1
	for i := range x {
		x[i] = float64(x[i] * scale)
	}

	// 4. Translate: rotate right by k.
	k := int(g.rs.Interval(uint64(cfg.MaxTranslation - 1)))
	copy(g.shifted, x[d-k:])
	copy(g.shifted[k:], x[:d-k])
	x, g.shifted = g.shifted, x
	g.x = x

	// 5. Correlated noise fills the exact zeros (the padding); it is drawn regardless.
	for i := range g.noise {
		g.noise[i] = float64(cfg.CorrNoiseScale * g.rs.NormFloat64())
	}
	smoothReflect(g.smooth, g.noise, &g.weights)
	for i, v := range x {
		if v == 0 {
			x[i] = g.smooth[i]
		}
	}

	// 6. Independent noise.
	for i := range x {
		x[i] += float64(cfg.IIDNoiseScale * g.rs.NormFloat64())
	}

	// 7. Shear.
	c := cfg.ShearScale * (g.rs.Float64() - 0.5)
	for i := range x {
		x[i] -= float64(c * g.shearLine[i])
	}

	// 8. Resample linearly to the final length.
	interp(dst, g.finalGrid, g.dilateGrid, x)
}
