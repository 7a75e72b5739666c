package selfimage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/esbtui/esbtui/internal/progress"
)

// API is the part of the engine client selfimage uses.
type API interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ImageLoad(ctx context.Context, input io.Reader, opts ...client.ImageLoadOption) (client.ImageLoadResult, error)
	ImageList(ctx context.Context, options client.ImageListOptions) (client.ImageListResult, error)
	ImageRemove(ctx context.Context, ref string, options client.ImageRemoveOptions) (client.ImageRemoveResult, error)
}

// Present reports whether the engine already has img under its tag (an
// unchanged binary: nothing to load): the same image ID (the config
// digest), or, on an engine with the containerd image store (whose IDs are
// manifest digests), the same single layer under the tag that carries the
// config digest's prefix.
func (img *Image) Present(ctx context.Context, api API) (bool, error) {
	res, err := api.ImageInspect(ctx, img.Ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("selfimage: inspect %s: %w", img.Ref, err)
	}
	if res.ID == img.ID {
		return true, nil
	}
	return res.RootFS.Type == "layers" && len(res.RootFS.Layers) == 1 && res.RootFS.Layers[0] == img.layer.DiffID, nil
}

// Load streams img into the engine (`docker load`) and reports progress
// under step: bytes sent against the layer size, then the engine's
// messages.
func (img *Image) Load(ctx context.Context, api API, rep progress.Reporter, step string) error {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(img.WriteArchive(&progressWriter{w: pw, rep: rep, step: step, item: img.Ref, total: img.Size}))
	}()
	defer pr.Close()
	res, err := api.ImageLoad(ctx, pr, client.ImageLoadWithQuiet(true))
	if err != nil {
		return fmt.Errorf("selfimage: load %s into the engine: %w", img.Ref, err)
	}
	defer res.Close()
	dec := json.NewDecoder(io.LimitReader(res, 1<<20))
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("selfimage: load %s: read the engine's answer: %w", img.Ref, err)
		}
		if m.Error != nil {
			return fmt.Errorf("selfimage: load %s: the engine says: %s", img.Ref, m.Error.Message)
		}
		if msg := strings.TrimSpace(m.Stream + m.Status); msg != "" {
			rep.Emit(progress.Event{Step: step, Item: img.Ref, Status: progress.Update, Message: msg})
		}
	}
	ok, err := img.Present(ctx, api)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("selfimage: the engine accepted %s but has no image %s with ID %s afterwards", img.Ref, img.Ref, img.ID)
	}
	return nil
}

// progressWriter reports the bytes written every MiB.
type progressWriter struct {
	w           io.Writer
	rep         progress.Reporter
	step, item  string
	n, total    int64
	lastEmitted int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if p.n-p.lastEmitted >= 1<<20 {
		p.lastEmitted = p.n
		p.rep.Emit(progress.Event{Step: p.step, Item: p.item, Status: progress.Update, Message: "sending", Current: min(p.n, p.total), Total: p.total})
	}
	return n, err
}

// PruneOlder removes the images of repository other than keep that no
// container uses (the engine refuses to remove those; they are left) and
// returns the references removed.
func PruneOlder(ctx context.Context, api API, repository, keep string) ([]string, error) {
	res, err := api.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", repository)})
	if err != nil {
		return nil, fmt.Errorf("selfimage: list %s images: %w", repository, err)
	}
	var removed []string
	for _, s := range res.Items {
		for _, tag := range s.RepoTags {
			if tag == keep || !strings.HasPrefix(tag, repository+":") {
				continue
			}
			if _, err := api.ImageRemove(ctx, tag, client.ImageRemoveOptions{PruneChildren: true}); err != nil {
				if cerrdefs.IsConflict(err) || cerrdefs.IsNotFound(err) {
					continue // a container uses it, or it is already gone
				}
				return removed, fmt.Errorf("selfimage: remove the older image %s: %w", tag, err)
			}
			removed = append(removed, tag)
		}
	}
	return removed, nil
}
