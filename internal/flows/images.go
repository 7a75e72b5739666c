package flows

import (
	"context"
	"io"

	"github.com/esbtui/esbtui/internal/progress"
)

// SaveImage streams an engine image as a `docker save` tarball (for
// registryclient to push). Closing the reader releases the engine.
func (e *Env) SaveImage(ctx context.Context, refs ...string) (io.ReadCloser, error) {
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	rc, err := eng.SaveImage(ctx, refs...)
	if err != nil {
		eng.Close()
		return nil, err
	}
	return &closeBoth{ReadCloser: rc, also: eng.Close}, nil
}

// LoadImage loads a `docker save` tarball into the engine.
func (e *Env) LoadImage(ctx context.Context, r io.Reader, sink progress.Sink) error {
	eng, err := e.Engine(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	return eng.LoadImage(ctx, r, sink)
}

// PullImage pulls ref into the engine.
func (e *Env) PullImage(ctx context.Context, ref string, sink progress.Sink) error {
	eng, err := e.Engine(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	return eng.PullImage(ctx, ref, sink)
}

type closeBoth struct {
	io.ReadCloser
	also func() error
}

func (c *closeBoth) Close() error {
	err := c.ReadCloser.Close()
	if aerr := c.also(); err == nil {
		err = aerr
	}
	return err
}
