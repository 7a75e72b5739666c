package registryclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Deleted says what one delete removed.
type Deleted struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest,omitempty"`
	// ByDigest is true when the manifest itself was deleted (which removes
	// every tag pointing at it), false when only the tag was removed.
	ByDigest bool   `json:"by_digest"`
	Note     string `json:"note,omitempty"`
	// Referrers are what went with the image: its signatures, SBOMs and
	// their tag-schema index (digests and tags).
	Referrers []string `json:"referrers_deleted,omitempty"`
}

// Delete removes a tag (only that tag, when the registry supports tag
// deletion, as distribution v3 does) or a manifest by digest. The space is
// reclaimed by the registry's garbage collection (`esbtui gc`).
func (c *Client) Delete(ctx context.Context, ref, defaultRegistry string) (*Deleted, error) {
	r, err := ParseReference(ref, defaultRegistry)
	if err != nil {
		return nil, err
	}
	if _, err := c.probe(ctx, r.Context().Registry); err != nil {
		return nil, err
	}
	d, err := c.deleteRef(ctx, r, nil)
	if err != nil {
		return nil, err
	}
	if t, ok := r.(name.Tag); ok && IsReferrersTag(t.TagStr()) {
		return d, nil // the user removed a referrers index or signature tag itself
	}
	// The image's signatures and SBOMs go with it: when its manifest was
	// deleted, or when the deleted tag was the last one naming it (the
	// untagged manifest is then garbage collection's).
	if !d.ByDigest {
		others, err := c.tagsOf(ctx, r.Context(), d.Digest)
		if err != nil {
			return d, fmt.Errorf("registryclient: rm %s: the tag is deleted, but whether other tags still name %s is unknown, so its signatures and SBOMs were kept: %w", r.Name(), d.Digest, err)
		}
		if len(others) > 0 {
			d.Note = "its signatures and SBOMs stay: " + fmt.Sprint(others) + " still name the same manifest"
			return d, nil
		}
	}
	d.Referrers, err = c.deleteReferrers(ctx, r.Context(), d.Digest, 0)
	if err != nil {
		return d, fmt.Errorf("registryclient: rm %s: deleted, but not all of its referrers: %w (run `esbtui rm` again or `esbtui prune`)", r.Name(), err)
	}
	return d, nil
}

// deleteRef deletes r. For a tag it tries a tag delete first; when the
// registry refuses it, it deletes the manifest by digest unless keep says
// another wanted tag still points at that digest.
func (c *Client) deleteRef(ctx context.Context, r name.Reference, keep map[string]bool) (*Deleted, error) {
	opts := c.remoteOptions(ctx)
	reg := r.Context().Registry
	if d, ok := r.(name.Digest); ok {
		if err := remote.Delete(d, opts...); err != nil {
			if ue := c.regErr(reg, "delete "+r.Name(), err); errors.As(ue, new(*UnreachableError)) {
				return nil, ue
			}
			return nil, notFound("manifest", r.Name(), fmt.Errorf("registryclient: delete %s: %w (is delete enabled on the registry? REGISTRY_STORAGE_DELETE_ENABLED=true)", r.Name(), err))
		}
		return &Deleted{Ref: r.Name(), Digest: d.DigestStr(), ByDigest: true}, nil
	}
	head, err := remote.Head(r, opts...)
	if err != nil {
		err = c.explainHead(ctx, r.Context(), transport.PullScope, err)
		return nil, notFound("manifest", r.Name(), c.regErr(reg, "delete "+r.Name()+": resolve tag", err))
	}
	err = remote.Delete(r, opts...)
	if err == nil {
		return &Deleted{Ref: r.Name(), Digest: head.Digest.String()}, nil
	}
	if !tagDeleteUnsupported(err) {
		return nil, notFound("manifest", r.Name(), c.regErr(reg, "delete "+r.Name(), err))
	}
	if keep[head.Digest.String()] {
		return &Deleted{Ref: r.Name(), Digest: head.Digest.String(), Note: "kept: the registry deletes manifests only by digest and a kept tag shares this one"}, nil
	}
	d := r.Context().Digest(head.Digest.String())
	if err := remote.Delete(d, opts...); err != nil {
		return nil, c.regErr(reg, "delete "+r.Name()+" (as "+d.Name()+")", err)
	}
	return &Deleted{Ref: r.Name(), Digest: head.Digest.String(), ByDigest: true,
		Note: "the registry deletes manifests only by digest: every tag of this manifest is gone"}, nil
}

func tagDeleteUnsupported(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	switch terr.StatusCode {
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		return true
	}
	for _, d := range terr.Errors {
		if d.Code == transport.UnsupportedErrorCode || d.Code == transport.DigestInvalidErrorCode {
			return true
		}
	}
	return false
}
