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
// as the registry holds them. With esb.yaml `verify: required` the image's
// signature is verified first (see PullChecked).
func (e *Env) Pull(ctx context.Context, ref string, sink progress.Sink) (*registryclient.Pulled, error) {
	res, err := e.PullChecked(ctx, ref, false, sink)
	if err != nil {
		return nil, err
	}
	return res.Pulled, nil
}

// PullResult is a pull and, when it was verified, the verification.
type PullResult struct {
	*registryclient.Pulled
	Verified *Verified `json:"verified,omitempty"`
}

// PullChecked is Pull that verifies ref's signature first when verify is
// set or esb.yaml says `verify: required`: an unsigned or failing image is
// refused (*UnsignedError, *VerifyError) and nothing reaches the engine;
// a verified one is fetched by the verified digest, so a tag moved after
// the check cannot slip other content in.
func (e *Env) PullChecked(ctx context.Context, ref string, verify bool, sink progress.Sink) (*PullResult, error) {
	out := &PullResult{}
	pin := ""
	if verify || e.Cfg.VerifyRequired {
		v, err := e.Verify(ctx, ref, sink)
		if err != nil {
			return nil, fmt.Errorf("pull %s: refused: %w", ref, err)
		}
		out.Verified, pin = v, v.Digest
	}
	p, err := e.pull(ctx, ref, pin, sink)
	if err != nil {
		return nil, err
	}
	out.Pulled = p
	return out, nil
}

func (e *Env) pull(ctx context.Context, ref, pin string, sink progress.Sink) (*registryclient.Pulled, error) {
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
		p, err := c.PullPinned(ctx, r.Name(), pin, "", pw, sink)
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
	e.record("registry.pull", map[string]any{"ref": res.p.Ref, "digest": res.p.Digest, "verified": pin != ""})
	return res.p, nil
}
