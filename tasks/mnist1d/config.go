package mnist1d

import (
	"errors"
	"fmt"
)

// Config holds the parameters of the original generator (mnist1d's get_dataset_args).
// DefaultConfig gives the published data set; the GLE paper changes only
// FinalSeqLength, to 360.
type Config struct {
	NumSamples     int     // samples in all, a multiple of NumClasses (5000: 500 per class)
	TrainSplit     float64 // fraction of the shuffled samples that train; the rest test (0.8)
	PaddingMin     int     // fewest zeros appended to a template (36)
	PaddingMax     int     // most zeros appended; the dilated length is TemplateLength + PaddingMax (60)
	ScaleCoeff     float64 // amplitude scale spread: × 1 + ScaleCoeff·(u − 0.5) (0.4)
	MaxTranslation int     // circular shifts drawn from 0 … MaxTranslation−1 (48)
	CorrNoiseScale float64 // scale of the smoothed noise filled into the padding (0.25)
	IIDNoiseScale  float64 // scale of the per-point noise added everywhere (0.02)
	ShearScale     float64 // slope spread: minus ShearScale·(u − 0.5)·linspace(−0.5, 0.5) (0.75)
	FinalSeqLength int     // points per sample after the last resampling (40; 360 for GLE)
	Seed           uint32  // numpy.random.seed of the whole stream (42)
}

// DefaultConfig returns the published MNIST-1D parameters: 5000 samples, split 0.8,
// padding [36, 60], scale 0.4, translation 48, noise 0.25 and 0.02, shear 0.75,
// final length 40, seed 42.
func DefaultConfig() Config {
	return Config{
		NumSamples:     5000,
		TrainSplit:     0.8,
		PaddingMin:     36,
		PaddingMax:     60,
		ScaleCoeff:     0.4,
		MaxTranslation: 48,
		CorrNoiseScale: 0.25,
		IIDNoiseScale:  0.02,
		ShearScale:     0.75,
		FinalSeqLength: 40,
		Seed:           42,
	}
}

// MaxValues bounds NumSamples × FinalSeqLength (1 GiB of float64), so that a mistyped
// length gives an error instead of exhausting memory.
const MaxValues = 1 << 27

// maxScale bounds the noise and shear scales, far above any useful value, so that no
// sum of squares in the normalisation can overflow.
const maxScale = 1e6

// maxPadding bounds PaddingMax, and with it the per-sample buffers.
const maxPadding = 1 << 20

// ErrInvalidConfig is matched (with errors.Is) by every error Generate returns, all for
// a Config it cannot use; the error itself is a *ConfigError naming the field.
var ErrInvalidConfig = errors.New("mnist1d: invalid config")

// ConfigError reports one unusable Config field and how to fix it.
type ConfigError struct {
	Field string // the Config field at fault, e.g. "FinalSeqLength"; "" for the whole Config
	msg   string
}

func (e *ConfigError) Error() string { return e.msg }

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

func configErrorf(field, format string, args ...any) error {
	return &ConfigError{Field: field, msg: "mnist1d: " + fmt.Sprintf(format, args...)}
}

// dilatedLength is the length every sample is resampled to before noise and shear.
func (c Config) dilatedLength() int { return TemplateLength + c.PaddingMax }

// trainCount is the number of training samples: int(NumSamples · TrainSplit), as the
// original truncates it.
func (c Config) trainCount() int { return int(float64(c.NumSamples) * c.TrainSplit) }

// Validate reports the first field of c that Generate cannot use, as a *ConfigError.
func (c Config) Validate() error {
	if c.NumSamples < NumClasses || c.NumSamples%NumClasses != 0 {
		return configErrorf("NumSamples", "%d samples; use a positive multiple of %d such as 5000",
			c.NumSamples, NumClasses)
	}
	if !(c.TrainSplit > 0 && c.TrainSplit < 1) {
		return configErrorf("TrainSplit", "train split %v; use a fraction between 0 and 1 such as 0.8",
			c.TrainSplit)
	}
	if n := c.trainCount(); n < 1 || n >= c.NumSamples {
		return configErrorf("TrainSplit", "train split %v of %d samples leaves %d to train and %d to test; raise the split or add samples",
			c.TrainSplit, c.NumSamples, n, c.NumSamples-n)
	}
	if c.PaddingMin < 0 {
		return configErrorf("PaddingMin", "padding [%d, %d]; use 0 ≤ min ≤ max ≤ %d such as [36, 60]",
			c.PaddingMin, c.PaddingMax, maxPadding)
	}
	if c.PaddingMax < c.PaddingMin || c.PaddingMax > maxPadding {
		return configErrorf("PaddingMax", "padding [%d, %d]; use 0 ≤ min ≤ max ≤ %d such as [36, 60]",
			c.PaddingMin, c.PaddingMax, maxPadding)
	}
	if !(c.ScaleCoeff >= 0 && c.ScaleCoeff < 2) {
		return configErrorf("ScaleCoeff", "scale coefficient %v; use a value in [0, 2) such as 0.4 (from 2 on a sample can be zeroed or flipped)",
			c.ScaleCoeff)
	}
	if d := c.dilatedLength(); c.MaxTranslation < 1 || c.MaxTranslation > d {
		return configErrorf("MaxTranslation", "max translation %d; use 1 … %d (template length + max padding) such as 48",
			c.MaxTranslation, d)
	}
	for _, s := range []struct {
		field, name string
		v, example  float64
	}{
		{"CorrNoiseScale", "correlated noise scale", c.CorrNoiseScale, 0.25},
		{"IIDNoiseScale", "independent noise scale", c.IIDNoiseScale, 0.02},
		{"ShearScale", "shear scale", c.ShearScale, 0.75},
	} {
		if !(s.v >= 0 && s.v <= maxScale) {
			return configErrorf(s.field, "%s %v; use a value in [0, 1e6] such as %v", s.name, s.v, s.example)
		}
	}
	if c.FinalSeqLength < 1 {
		return configErrorf("FinalSeqLength", "final length %d; use a positive length such as 40 or 360",
			c.FinalSeqLength)
	}
	if c.FinalSeqLength > MaxValues/c.NumSamples {
		return configErrorf("FinalSeqLength", "%d samples of %d points exceed the limit of %d values; lower NumSamples or FinalSeqLength",
			c.NumSamples, c.FinalSeqLength, MaxValues)
	}
	return nil
}
