package mnist1d

import (
	"errors"
	"math"
	"testing"
)

func TestConfig(t *testing.T) {
	with := func(edit func(*Config)) Config {
		c := DefaultConfig()
		edit(&c)
		return c
	}
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string // "" for a usable config
		err   string
	}{
		{"default", DefaultConfig(), "", ""},
		{"gle length", with(func(c *Config) { c.FinalSeqLength = 360 }), "", ""},
		{"one point", with(func(c *Config) { c.FinalSeqLength = 1 }), "", ""},
		{"smallest", with(func(c *Config) {
			c.NumSamples, c.TrainSplit, c.PaddingMin, c.PaddingMax, c.MaxTranslation = 20, 0.5, 0, 0, 1
			c.ScaleCoeff, c.CorrNoiseScale, c.IIDNoiseScale, c.ShearScale = 0, 0, 0, 0
		}), "", ""},
		{"no length", with(func(c *Config) { c.FinalSeqLength = 0 }),
			"FinalSeqLength", "mnist1d: final length 0; use a positive length such as 40 or 360"},
		{"negative length", with(func(c *Config) { c.FinalSeqLength = -40 }),
			"FinalSeqLength", "mnist1d: final length -40; use a positive length such as 40 or 360"},
		{"too large", with(func(c *Config) { c.FinalSeqLength = 100000 }),
			"FinalSeqLength", "mnist1d: 5000 samples of 100000 points exceed the limit of 134217728 values; lower NumSamples or FinalSeqLength"},
		{"huge samples", with(func(c *Config) { c.NumSamples = 10_000_000_000 }),
			"FinalSeqLength", "mnist1d: 10000000000 samples of 40 points exceed the limit of 134217728 values; lower NumSamples or FinalSeqLength"},
		{"no samples", with(func(c *Config) { c.NumSamples = 0 }),
			"NumSamples", "mnist1d: 0 samples; use a positive multiple of 10 such as 5000"},
		{"uneven samples", with(func(c *Config) { c.NumSamples = 5005 }),
			"NumSamples", "mnist1d: 5005 samples; use a positive multiple of 10 such as 5000"},
		{"split 1", with(func(c *Config) { c.TrainSplit = 1 }),
			"TrainSplit", "mnist1d: train split 1; use a fraction between 0 and 1 such as 0.8"},
		{"split NaN", with(func(c *Config) { c.TrainSplit = math.NaN() }),
			"TrainSplit", "mnist1d: train split NaN; use a fraction between 0 and 1 such as 0.8"},
		{"split leaves no train", with(func(c *Config) { c.NumSamples, c.TrainSplit = 10, 0.05 }),
			"TrainSplit", "mnist1d: train split 0.05 of 10 samples leaves 0 to train and 10 to test; raise the split or add samples"},
		{"negative padding", with(func(c *Config) { c.PaddingMin = -1 }),
			"PaddingMin", "mnist1d: padding [-1, 60]; use 0 ≤ min ≤ max ≤ 1048576 such as [36, 60]"},
		{"padding reversed", with(func(c *Config) { c.PaddingMin, c.PaddingMax = 60, 36 }),
			"PaddingMax", "mnist1d: padding [60, 36]; use 0 ≤ min ≤ max ≤ 1048576 such as [36, 60]"},
		{"scale 2", with(func(c *Config) { c.ScaleCoeff = 2 }),
			"ScaleCoeff", "mnist1d: scale coefficient 2; use a value in [0, 2) such as 0.4 (from 2 on a sample can be zeroed or flipped)"},
		{"no translation", with(func(c *Config) { c.MaxTranslation = 0 }),
			"MaxTranslation", "mnist1d: max translation 0; use 1 … 72 (template length + max padding) such as 48"},
		{"translation too far", with(func(c *Config) { c.MaxTranslation = 73 }),
			"MaxTranslation", "mnist1d: max translation 73; use 1 … 72 (template length + max padding) such as 48"},
		{"negative noise", with(func(c *Config) { c.CorrNoiseScale = -0.25 }),
			"CorrNoiseScale", "mnist1d: correlated noise scale -0.25; use a value in [0, 1e6] such as 0.25"},
		{"infinite noise", with(func(c *Config) { c.IIDNoiseScale = math.Inf(1) }),
			"IIDNoiseScale", "mnist1d: independent noise scale +Inf; use a value in [0, 1e6] such as 0.02"},
		{"NaN shear", with(func(c *Config) { c.ShearScale = math.NaN() }),
			"ShearScale", "mnist1d: shear scale NaN; use a value in [0, 1e6] such as 0.75"},
		{"huge shear", with(func(c *Config) { c.ShearScale = 1e7 }),
			"ShearScale", "mnist1d: shear scale 1e+07; use a value in [0, 1e6] such as 0.75"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != (tc.err == "") {
				t.Errorf("Validate: %v, want %q", err, tc.err)
			}
			d, err := Generate(tc.cfg)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Generate: %v", err)
				}
				checkDataset(t, d)
				return
			}
			if err == nil {
				t.Fatalf("Generate succeeded, want error %q", tc.err)
			}
			if err.Error() != tc.err {
				t.Errorf("error %q\nwant  %q", err, tc.err)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Errorf("error %#v, want a *ConfigError for %s", err, tc.field)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("errors.Is(err, ErrInvalidConfig) is false")
			}
			if d != nil {
				t.Errorf("Generate returned a data set with its error")
			}
		})
	}
}

func TestGenerateConstant(t *testing.T) {
	// No noise, scale, shear or translation, and one point per sample: every sample is
	// the template's first point plus eps, and there is nothing to normalise by.
	cfg := DefaultConfig()
	cfg.MaxTranslation, cfg.ScaleCoeff, cfg.CorrNoiseScale, cfg.IIDNoiseScale, cfg.ShearScale, cfg.FinalSeqLength = 1, 0, 0, 0, 0, 1
	d, err := Generate(cfg)
	want := "mnist1d: every value is (nearly) the same, so the data cannot be normalised; add noise, shear or translation"
	if err == nil || err.Error() != want || !errors.Is(err, ErrConstant) || !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Generate: %v; want the error %q", err, want)
	}
	if d != nil {
		t.Errorf("Generate returned a data set with its error")
	}
}

// checkDataset checks the invariants of any generated data set: shapes, labels in
// range, finite values, and rows that alias the flat arrays.
func checkDataset(t *testing.T, d *Dataset) {
	t.Helper()
	n, l := d.Config.NumSamples, d.Length()
	if d.NumTrain()+d.NumTest() != n || d.NumTrain() != d.Config.trainCount() {
		t.Fatalf("%d train + %d test samples, want %d + %d", d.NumTrain(), d.NumTest(), d.Config.trainCount(), n-d.Config.trainCount())
	}
	if len(d.TrainX) != d.NumTrain()*l || len(d.TestX) != d.NumTest()*l {
		t.Fatalf("%d train and %d test values for %d + %d samples of %d points", len(d.TrainX), len(d.TestX), d.NumTrain(), d.NumTest(), l)
	}
	for _, ys := range [][]int{d.TrainY, d.TestY} {
		for _, y := range ys {
			if y < 0 || y >= NumClasses {
				t.Fatalf("label %d", y)
			}
		}
	}
	for _, xs := range [][]float64{d.TrainX, d.TestX} {
		for _, v := range xs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("value %v", v)
			}
		}
	}
	if math.IsNaN(d.Mean) || !(d.Std >= 0) {
		t.Fatalf("mean %v, std %v", d.Mean, d.Std)
	}
	if x := d.Train(d.NumTrain() - 1); len(x) != l || cap(x) != l || &x[0] != &d.TrainX[(d.NumTrain()-1)*l] {
		t.Fatalf("Train(last) does not alias its row")
	}
	if x := d.Test(0); len(x) != l || &x[0] != &d.TestX[0] {
		t.Fatalf("Test(0) does not alias its row")
	}
}

// FuzzGenerate feeds arbitrary configurations: Generate returns an error or a sound
// data set, and never panics. Large configurations are only validated, to stay fast.
func FuzzGenerate(f *testing.F) {
	f.Add(100, 0.8, 36, 60, 0.4, 48, 0.25, 0.02, 0.75, 40, uint32(42))
	f.Add(10, 0.5, 0, 0, 0.0, 1, 0.0, 0.0, 0.0, 1, uint32(0))
	f.Add(20, 0.5, 3, 5, 1.99, 12, 1e6, 0.0, 1e6, 7, uint32(1))
	f.Add(20, 0.5, 0, 0, 0.0, 1, 0.0, 0.0, 0.0, 1, uint32(1)) // constant data
	f.Add(-10, -0.5, -1, -1, -1.0, -1, -1.0, -1.0, -1.0, -1, uint32(7))
	f.Fuzz(func(t *testing.T, samples int, split float64, padMin, padMax int, scale float64,
		translation int, corr, iid, shear float64, length int, seed uint32) {
		cfg := Config{samples, split, padMin, padMax, scale, translation, corr, iid, shear, length, seed}
		if err := cfg.Validate(); err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate: %v does not match ErrInvalidConfig", err)
			}
			return
		}
		if samples > 200 || length > 1000 || padMax > 1000 {
			return
		}
		d, err := Generate(cfg)
		if errors.Is(err, ErrConstant) {
			return
		}
		if err != nil {
			t.Fatalf("Generate: %v after Validate accepted %+v", err, cfg)
		}
		checkDataset(t, d)
	})
}
