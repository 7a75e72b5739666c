package flows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/stack/engine"
)

// PushTarball pushes a docker-save tarball stream to dst.
func (e *Env) PushTarball(ctx context.Context, tarball io.Reader, dst string, sink progress.Sink) (*registryclient.PushResult, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	res, err := c.PushTarball(ctx, tarball, dst, e.Cfg.Registry, sink)
	if err != nil {
		return nil, err
	}
	e.recordPush(res)
	return res, nil
}

// PushDestination is where `esbtui push IMAGE` sends an engine image: IMAGE
// itself when it names a registry, else the configured registry with the
// same repository and tag ("app" → localhost:5000/app:latest).
func (e *Env) PushDestination(image string) (string, error) {
	r, err := registryclient.ParseReference(image, "")
	if err != nil {
		return "", err
	}
	first, _, found := strings.Cut(image, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return r.Name(), nil
	}
	repo := strings.TrimPrefix(r.Context().RepositoryStr(), "library/")
	return e.Cfg.Registry + "/" + repo + refSuffix(r.Name()), nil
}

func refSuffix(full string) string {
	if i := strings.LastIndex(full, "@"); i >= 0 {
		return full[i:]
	}
	if i := strings.LastIndex(full, ":"); i > strings.LastIndex(full, "/") {
		return full[i:]
	}
	return ":latest"
}

// Push exports image from the engine once (docker save) and pushes it to
// dst (empty: PushDestination) with live per-layer progress.
func (e *Env) Push(ctx context.Context, image, dst string, sink progress.Sink) (*registryclient.PushResult, error) {
	if dst == "" {
		d, err := e.PushDestination(image)
		if err != nil {
			return nil, err
		}
		dst = d
	}
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	dr, err := registryclient.ParseReference(dst, e.Cfg.Registry)
	if err != nil {
		return nil, err
	}
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	// An unchanged image (same ID = config digest) needs no export at all.
	ii, err := eng.Client().ImageInspect(ctx, image)
	if cerrdefs.IsNotFound(err) {
		return nil, fmt.Errorf("push %s: the engine has no image %q: build it first (`esbtui build`, `docker build -t %s .`) or check the name with `docker images`", image, image, image)
	}
	known := err == nil && ii.ID != ""
	if known {
		res, ok, err := c.PushKnown(ctx, ii.ID, dst, e.Cfg.Registry, sink)
		if err != nil {
			return nil, err
		}
		if ok {
			e.recordPush(res)
			return res, nil
		}
	}
	// Check the registry before reading hundreds of MiB from the engine.
	if _, err := c.Probe(ctx, dr.Context().RegistryStr()); err != nil {
		return nil, err
	}
	if known && e.Cfg.PushExport != config.PushExportSave {
		res, err := e.pushLocal(ctx, eng, c, ii.ID, dst, sink)
		switch {
		case err == nil:
			return res, nil
		case errors.Is(err, engine.ErrNoLayerStore), errors.Is(err, registryclient.ErrLocalLayer):
			if e.Cfg.PushExport == config.PushExportLayerStore {
				return nil, fmt.Errorf("push %s: %w (%s=layer-store)", image, err, PushExportEnv)
			}
			e.Log.Debug("push: exporting through the engine API instead of its layer store", "image", image, "why", err)
		default:
			return nil, fmt.Errorf("push %s: %w", image, err)
		}
	}
	rc, err := eng.SaveImage(ctx, image)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	res, err := e.PushTarball(ctx, rc, dst, sink)
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", image, err)
	}
	return res, nil
}

// PushExportEnv is config.EnvPushExport, named in messages.
const PushExportEnv = config.EnvPushExport

// recordPush writes a push to the audit log.
func (e *Env) recordPush(res *registryclient.PushResult) {
	e.record("registry.push", map[string]any{"ref": res.Ref, "digest": res.Digest,
		"layers_compressed": res.LayersCompressed, "bytes_sent": res.BytesSent, "export": res.Export})
}

// pushLocal pushes image id with its layers read from the engine's store.
func (e *Env) pushLocal(ctx context.Context, eng *engine.Engine, c *registryclient.Client, id, dst string, sink progress.Sink) (*registryclient.PushResult, error) {
	li, err := eng.LocalImage(ctx, id)
	if err != nil {
		return nil, err
	}
	img := &registryclient.LocalImage{Config: li.Config, Source: "the engine's layer store (" + li.Root + ")"}
	for _, l := range li.Layers {
		img.Layers = append(img.Layers, registryclient.LocalLayer{DiffID: l.DiffID, Size: l.Size, Open: l.Open})
	}
	res, err := c.PushLocal(ctx, img, dst, e.Cfg.Registry, sink)
	if err != nil {
		return nil, err
	}
	e.recordPush(res)
	return res, nil
}
