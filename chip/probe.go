package chip

type probeSet struct{}

func (p *probeSet) record(c *Chip) error { return nil }
