package registryclient

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/esbtui/esbtui/internal/progress"
)

// Copied says what Copy wrote.
type Copied struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Digest      string `json:"digest"`
	MediaType   string `json:"media_type"`
	// Referrers are the digests of the signatures and SBOMs copied along.
	Referrers []string `json:"referrers_copied"`
}

// Copy mirrors src into dst (an image or a whole index, blobs mounted when
// both are in the same registry). A reference without a registry is taken
// in defaultRegistry.
func (c *Client) Copy(ctx context.Context, src, dst, defaultRegistry string, sink progress.Sink) (*Copied, error) {
	s, err := ParseReference(src, defaultRegistry)
	if err != nil {
		return nil, err
	}
	d, err := ParseReference(dst, defaultRegistry)
	if err != nil {
		return nil, err
	}
	if _, err := c.probe(ctx, s.Context().Registry); err != nil {
		return nil, err
	}
	if _, err := c.probe(ctx, d.Context().Registry); err != nil {
		return nil, err
	}
	desc, err := remote.Get(s, c.remoteOptions(ctx)...)
	if err != nil {
		return nil, notFound("manifest", s.Name(), c.regErr(s.Context().Registry, "copy: read "+s.Name(), err))
	}
	rep := progress.Reporter{Op: "copy", Sink: sink}
	updates := make(chan v1.Update, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var last int64 = -1
		for u := range updates {
			if u.Complete > last {
				last = u.Complete
				rep.Emit(progress.Event{Step: "blobs", Item: d.Name(), Status: progress.Update, Current: u.Complete, Total: u.Total})
			}
		}
	}()
	opts := c.remoteOptions(ctx, remote.WithProgress(updates))
	if desc.MediaType.IsIndex() {
		idx, ierr := desc.ImageIndex()
		if ierr != nil {
			close(updates)
			<-done
			return nil, fmt.Errorf("registryclient: copy: read index %s: %w", s.Name(), ierr)
		}
		err = remote.WriteIndex(d, idx, opts...)
	} else {
		img, ierr := desc.Image()
		if ierr != nil {
			close(updates)
			<-done
			return nil, fmt.Errorf("registryclient: copy: read image %s: %w", s.Name(), ierr)
		}
		err = remote.Write(d, img, opts...)
	}
	<-done // ggcr closes updates when the write ends
	if err != nil {
		err = c.explainHead(ctx, d.Context(), transport.PushScope, err)
		rep.Emit(progress.Event{Step: "copy", Item: d.Name(), Status: progress.Failed, Err: err.Error()})
		return nil, c.regErr(d.Context().Registry, "copy "+s.Name()+" to "+d.Name(), err)
	}
	rep.Emit(progress.Event{Step: "copy", Item: d.Name(), Status: progress.Done, Message: desc.Digest.String()})
	out := &Copied{Source: s.Name(), Destination: d.Name(), Digest: desc.Digest.String(), MediaType: string(desc.MediaType)}
	// Signatures and SBOMs go along: a copied image is as signed as its source.
	out.Referrers, err = c.copyReferrers(ctx, s.Context(), d.Context(), desc.Digest.String(), 0)
	if out.Referrers == nil {
		out.Referrers = []string{}
	}
	if err != nil {
		rep.Emit(progress.Event{Step: "referrers", Item: d.Name(), Status: progress.Failed, Err: err.Error()})
		return out, fmt.Errorf("registryclient: copy %s to %s: the image is copied, its signatures and SBOMs not all: %w", s.Name(), d.Name(), err)
	}
	if len(out.Referrers) > 0 {
		rep.Emit(progress.Event{Step: "referrers", Item: d.Name(), Status: progress.Done, Message: fmt.Sprintf("%d copied", len(out.Referrers))})
	}
	return out, nil
}
