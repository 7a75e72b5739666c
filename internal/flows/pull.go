package flows

import (
	"context"
	"fmt"
	"io"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
)

// Pull fetches ref from the registry and loads it into the engine (the
// image keeps the reference as its tag). Layers go to the engine compressed,
// as the registry holds them.
func (e *Env) Pull(ctx context.Context, ref string, sink progress.Sink) (*registryclient.Pulled, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	r, err := registryclient.ParseReference(ref, e.Cfg.Registry)
	if err != nil {
		return nil, err
	}
	if _, err := c.Probe(ctx, r.Context().RegistryStr()); err != nil {
		return nil, err
	}
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	pr, pw := io.Pipe()
	type result struct {
		p   *registryclient.Pulled
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := c.Pull(ctx, r.Name(), "", pw, sink)
		pw.CloseWithError(err)
		done <- result{p, err}
	}()
	loadErr := eng.LoadImage(ctx, pr, sink)
	pr.CloseWithError(loadErr) // unblock the writer if the engine stopped reading
	res := <-done
	if res.err != nil {
		return nil, res.err
	}
	if loadErr != nil {
		return nil, fmt.Errorf("pull %s: %w", r.Name(), loadErr)
	}
	e.record("registry.pull", map[string]any{"ref": res.p.Ref, "digest": res.p.Digest})
	return res.p, nil
}
