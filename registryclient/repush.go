package registryclient

import (
	"context"
	"fmt"
	"net/http"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/esbtui/esbtui/internal/progress"
)

// PushKnown pushes an image without exporting it when that is possible: the
// engine image's ID is its config digest, so when dst already holds a
// manifest with that config, or the layer cache remembers the manifest a
// previous push made for it and every blob is in dst's repository, only a
// manifest PUT (or nothing) is needed. ok is false when the caller must
// export and call PushTarball.
func (c *Client) PushKnown(ctx context.Context, configDigest, dst, defaultRegistry string, sink progress.Sink) (res *PushResult, ok bool, err error) {
	start := time.Now()
	ref, err := ParseReference(dst, defaultRegistry)
	if err != nil {
		return nil, false, err
	}
	repo := ref.Context()
	rep := progress.Reporter{Op: "push", Sink: sink}
	done := func(digest string, layers []v1.Descriptor, why string) *PushResult {
		var size int64
		res := &PushResult{Ref: ref.Name(), Digest: digest, Config: configDigest, Export: "none"}
		for _, l := range layers {
			size += l.Size
			res.Layers = append(res.Layers, PushedLayer{Digest: l.Digest.String(), Size: l.Size, Action: ActionExists})
		}
		rep.Emit(progress.Event{Step: "upload", Item: "image", Status: progress.Skipped, Message: why, Current: size, Total: size})
		rep.Emit(progress.Event{Step: "image", Item: ref.Name(), Status: progress.Done, Current: size, Total: size, Message: digest})
		res.Elapsed = time.Since(start)
		return res
	}
	// 1. The tag already names this image. This is the first request of a
	// re-push (one connection: ggcr's ping, then the manifest); only when it
	// fails is the registry probed, to name what is wrong.
	img, err := remote.Image(ref, c.remoteOptions(ctx)...)
	if err == nil {
		if cn, err := img.ConfigName(); err == nil && cn.String() == configDigest {
			d, _ := img.Digest()
			var layers []v1.Descriptor
			if m, err := img.Manifest(); err == nil {
				layers = m.Layers
			}
			return done(d.String(), layers, "the registry already has this image"), true, nil
		}
	} else if _, perr := c.probe(ctx, repo.Registry); perr != nil {
		return nil, false, perr
	}
	// 2. A manifest we pushed before for this config, all blobs in place.
	man, ok := c.cache.manifest(configDigest)
	if !ok {
		return nil, false, nil
	}
	hc, err := c.authClient(ctx, repo.Registry, []string{repo.Scope("push")})
	if err != nil {
		return nil, false, err
	}
	p := &pushRun{repo: repo, hc: hc}
	for _, l := range append(man.Layers, man.Config) {
		exists, err := p.blobExists(ctx, l.Digest)
		if err != nil || !exists {
			return nil, false, nil
		}
	}
	body, err := man.raw()
	if err != nil {
		return nil, false, nil
	}
	pusher, err := remote.NewPusher(c.remoteOptions(ctx)...)
	if err != nil {
		return nil, false, fmt.Errorf("registryclient: push %s: %w", ref.Name(), err)
	}
	if err := pusher.Push(ctx, ref, rawManifest{body: body, mediaType: types.DockerManifestSchema2}); err != nil {
		err = headDetail(ctx, func() (*http.Client, error) { return hc, nil }, err)
		return nil, false, fmt.Errorf("registryclient: push %s: put manifest: %w", ref.Name(), err)
	}
	return done(man.digest(), man.Layers, "every layer is already in the registry"), true, nil
}
