package registryclient

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/esbtui/esbtui/internal/progress"
)

// Pulled says what Pull wrote.
type Pulled struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"` // the image manifest (the platform's, for an index)
	Config string `json:"config_digest"`
	Bytes  int64  `json:"bytes"`
}

// Pull writes ref (the Options.Platform image of an index) to w as a
// docker-save tarball tagged ref, which `docker load` and the engine's
// ImageLoad accept. Layers stay compressed: nothing is recompressed.
func (c *Client) Pull(ctx context.Context, ref, defaultRegistry string, w io.Writer, sink progress.Sink) (*Pulled, error) {
	return c.pull(ctx, ref, "", defaultRegistry, w, sink)
}

// PullPinned is Pull of ref's content at digest: the tarball is tagged
// ref, but what is fetched is repo@digest, so what was checked (a
// verified signature) is what is loaded even if the tag moves meanwhile.
func (c *Client) PullPinned(ctx context.Context, ref, digest, defaultRegistry string, w io.Writer, sink progress.Sink) (*Pulled, error) {
	return c.pull(ctx, ref, digest, defaultRegistry, w, sink)
}

func (c *Client) pull(ctx context.Context, ref, pin, defaultRegistry string, w io.Writer, sink progress.Sink) (*Pulled, error) {
	r, img, err := c.remoteImagePinned(ctx, ref, pin, defaultRegistry)
	if err != nil {
		return nil, err
	}
	rep := progress.Reporter{Op: "pull", Sink: sink}
	updates := make(chan v1.Update, 64)
	done := make(chan struct{})
	var total int64
	go func() {
		defer close(done)
		var last int64 = -1
		for u := range updates {
			if u.Error != nil || u.Complete <= last {
				continue
			}
			total = u.Total
			if u.Complete-last >= 1<<20 || u.Complete == u.Total {
				last = u.Complete
				rep.Emit(progress.Event{Step: "download", Item: r.Name(), Status: progress.Update, Current: u.Complete, Total: u.Total})
			}
		}
	}()
	// A digest reference loads untagged; a tag reference is tagged on load.
	err = tarball.Write(r, img, w, tarball.WithProgress(updates))
	close(updates) // tarball.Write sends a final io.EOF update but never closes
	<-done
	if err != nil {
		rep.Emit(progress.Event{Step: "download", Item: r.Name(), Status: progress.Failed, Err: err.Error()})
		return nil, c.regErr(r.Context().Registry, "pull "+r.Name(), err)
	}
	out, err := pulled(r, img)
	if err != nil {
		return nil, err
	}
	out.Bytes = total
	rep.Emit(progress.Event{Step: "download", Item: r.Name(), Status: progress.Done, Current: total, Total: total, Message: out.Digest})
	return out, nil
}

// PullLayout writes ref into the OCI image layout at dir (created or appended to).
func (c *Client) PullLayout(ctx context.Context, ref, defaultRegistry, dir string, sink progress.Sink) (*Pulled, error) {
	r, img, err := c.remoteImage(ctx, ref, defaultRegistry)
	if err != nil {
		return nil, err
	}
	rep := progress.Reporter{Op: "pull", Sink: sink}
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return nil, fmt.Errorf("registryclient: pull %s: create OCI layout %s: %w", r.Name(), dir, err)
		}
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": r.Name()})); err != nil {
		return nil, c.regErr(r.Context().Registry, "pull "+r.Name()+" into "+dir, err)
	}
	out, err := pulled(r, img)
	if err != nil {
		return nil, err
	}
	rep.Emit(progress.Event{Step: "download", Item: r.Name(), Status: progress.Done, Message: out.Digest})
	return out, nil
}

func (c *Client) remoteImage(ctx context.Context, ref, defaultRegistry string) (name.Reference, v1.Image, error) {
	return c.remoteImagePinned(ctx, ref, "", defaultRegistry)
}

// remoteImagePinned is remoteImage fetching repo@pin when pin is set.
func (c *Client) remoteImagePinned(ctx context.Context, ref, pin, defaultRegistry string) (name.Reference, v1.Image, error) {
	r, err := ParseReference(ref, defaultRegistry)
	if err != nil {
		return nil, nil, err
	}
	if _, err := c.probe(ctx, r.Context().Registry); err != nil {
		return nil, nil, err
	}
	fetch := r
	if pin != "" {
		d, err := name.NewDigest(r.Context().Name() + "@" + pin)
		if err != nil {
			return nil, nil, &BadReferenceError{Ref: pin, Err: err}
		}
		fetch = d
	}
	img, err := remote.Image(fetch, c.remoteOptions(ctx)...)
	if err != nil {
		return nil, nil, notFound("manifest", r.Name(), c.regErr(r.Context().Registry, "pull "+r.Name(), err))
	}
	return r, img, nil
}

func pulled(r name.Reference, img v1.Image) (*Pulled, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("registryclient: pull %s: digest: %w", r.Name(), err)
	}
	cn, err := img.ConfigName()
	if err != nil {
		return nil, fmt.Errorf("registryclient: pull %s: config: %w", r.Name(), err)
	}
	return &Pulled{Ref: r.Name(), Digest: d.String(), Config: cn.String()}, nil
}
