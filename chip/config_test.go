package chip

import (
	"testing"

	"github.com/glemu/glemu/fixedpoint"
)

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestDefaultConfigValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func setFormat(c *Config, name string, f fixedpoint.Format) {
	for i := range c.Formats {
		if c.Formats[i].Name == name {
			c.Formats[i].Format = f
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, "<nil>"},
		{"zero rows", func(c *Config) { c.Rows = 0 }, "chip: config: mesh of 0×4 tiles; give it at least 1 row and 1 column"},
		{"zero-size tiles", func(c *Config) { c.NeuronsPerTile = 0 }, "chip: config: 0 neurons per tile; give every tile at least 1 neuron slot (default 256)"},
		{"no inputs", func(c *Config) { c.InputsPerNeuron = 0 }, "chip: config: 0 inputs per neuron; give every crossbar at least 1 column (default 256)"},
		{"contexts", func(c *Config) { c.MaxContexts = 0 }, "chip: config: 0 contexts; the context memory holds 1 to 32768"},
		{"lut", func(c *Config) { c.LUTSegments = 3 }, "chip: config: 3 LUT segments; use a power of two from 2 to 1048576, or 0 for the defaults"},
		{"clock", func(c *Config) { c.ClockHz = 0 }, "chip: config: clock of 0 Hz; give a positive, finite frequency"},
		{"energy", func(c *Config) { c.Energy.PJPerHop = -1 }, "chip: config: energy PJPerHop = -1 pJ; use a finite value ≥ 0"},
		{"analog", func(c *Config) { c.Analog.TauMSigma = 0.5 }, "chip: config: analog TauMSigma = 0.5; relative mismatch above 0.25 can make a time constant or gain negative, use at most 0.25"},
		{"weight bits", func(c *Config) { c.Analog.WeightBits = 17 }, "chip: config: analog WeightBits = 17; use 2 to 16 (the width of w), or 0 for full resolution"},
		{"tau_m cannot hold dt", func(c *Config) { setFormat(c, "tau_m", fixedpoint.UQ(0, 16)) },
			"chip: config: formats: tau_m is UQ0.16 and cannot hold 1; give it at least 1 integer bit, because τ is held in units of dt and τ = dt is 1"},
		{"dt_tau_r cannot hold 1", func(c *Config) { setFormat(c, "dt_tau_r", fixedpoint.UQ(0, 16)) },
			"chip: config: formats: dt_tau_r is UQ0.16 and cannot hold 1; give it at least 1 integer bit, because τr = dt (a leaky integrator) gives dt/τr = 1"},
		{"wide crossbar", func(c *Config) { setFormat(c, "w", fixedpoint.Q(3, 13)) },
			"chip: config: formats: w is Q3.13, 17 bits wide; at most 16 fit because the crossbar kernels multiply int16 cells"},
		{"mac frac", func(c *Config) { setFormat(c, "mac", fixedpoint.Q(7, 24)) },
			"chip: config: formats: mac has 24 fraction bits; w × rate_bus products have 25, make them equal"},
		{"unsigned u", func(c *Config) { setFormat(c, "u", fixedpoint.UQ(8, 24)) },
			"chip: config: formats: u is UQ8.24, unsigned; it holds negative values, use a signed (Q) format"},
		{"missing", func(c *Config) { c.Formats = c.Formats[1:] },
			`chip: config: formats: the table has no "w"; add it (fixedpoint.DefaultTable() has every variable the chip needs)`},
		{"odd adam_v", func(c *Config) { setFormat(c, "adam_v", fixedpoint.UQ(8, 23)) },
			"chip: config: formats: adam_v UQ8.23 has an odd number of fraction bits; √v needs an even number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			if got := errString(c.Validate()); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestParseErrorBusMode: every mode's name parses back to it; anything else is refused.
func TestParseErrorBusMode(t *testing.T) {
	for _, m := range []ErrorBusMode{ErrorBusBlock, ErrorBusStatic} {
		if got, err := ParseErrorBusMode(m.String()); err != nil || got != m {
			t.Errorf("%v: parsed %v, %v", m, got, err)
		}
	}
	for _, name := range []string{"", "Block", "float", "ErrorBusMode(2)"} {
		if _, err := ParseErrorBusMode(name); err == nil || err.Error() != `chip: unknown error bus "`+name+`"; use block or static` {
			t.Errorf("%q: %v", name, err)
		}
	}
}
