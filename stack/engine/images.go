package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/esbtui/esbtui/internal/progress"
)

// SaveImage streams `docker save` of refs as a tarball (docker-archive
// layout: manifest.json, config and layer tars). The caller must Close it.
// This is how engine images reach go-containerregistry without
// github.com/docker/docker.
func (e *Engine) SaveImage(ctx context.Context, refs ...string) (io.ReadCloser, error) {
	if len(refs) == 0 {
		return nil, errors.New("stack: save image: no image named")
	}
	rc, err := e.api.ImageSave(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("stack: save image %v from the engine: %w", refs, err)
	}
	return rc, nil
}

// LoadImage loads a `docker save` tarball into the engine (`docker load`),
// reporting each message under step "load".
func (e *Engine) LoadImage(ctx context.Context, r io.Reader, sink progress.Sink) error {
	res, err := e.api.ImageLoad(ctx, r, client.ImageLoadWithQuiet(true))
	if err != nil {
		return fmt.Errorf("stack: load image into the engine: %w", err)
	}
	defer res.Close()
	return readJSONMessages(res, progress.Reporter{Op: "load", Sink: sink}, "load", "load image into the engine")
}

// PullImage pulls ref into the engine (`docker pull`), reporting each layer
// under step "pull". The engine checks the registry's certificate itself
// (certs.d, or insecure for 127.0.0.0/8: see notes).
func (e *Engine) PullImage(ctx context.Context, ref string, sink progress.Sink) error {
	res, err := e.api.ImagePull(ctx, ref, client.ImagePullOptions{RegistryAuth: "e30="})
	if err != nil {
		return fmt.Errorf("stack: pull %s: %w", ref, err)
	}
	defer res.Close()
	return readJSONMessages(res, progress.Reporter{Op: "pull", Sink: sink}, "pull", "pull "+ref)
}

// readJSONMessages drains a JSON-message stream; errors arrive inside a 200
// response as errorDetail (notes), so every message is checked.
func readJSONMessages(r io.Reader, rep progress.Reporter, step, what string) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("stack: %s: read the engine's answer: %w", what, err)
		}
		if m.Error != nil {
			return fmt.Errorf("stack: %s: %s", what, m.Error.Message)
		}
		ev := progress.Event{Step: step, Item: m.ID, Status: progress.Update, Message: m.Status}
		if m.Stream != "" {
			ev.Message = m.Stream
		}
		if m.Progress != nil {
			ev.Current, ev.Total = m.Progress.Current, m.Progress.Total
		}
		if ev.Message != "" || ev.Total > 0 {
			rep.Emit(ev)
		}
	}
}
