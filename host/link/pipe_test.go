package link_test

import (
	"io"
	"sync"
)

// pipePort is one end of an in-memory full-duplex byte stream.
type pipePort struct {
	r    *io.PipeReader
	w    *io.PipeWriter
	once sync.Once
}

func (p *pipePort) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *pipePort) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipePort) Close() error {
	p.once.Do(func() {
		p.r.Close()
		p.w.Close()
	})
	return nil
}

func pipePair() (*pipePort, *pipePort) {
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	return &pipePort{r: ar, w: aw}, &pipePort{r: br, w: bw}
}
