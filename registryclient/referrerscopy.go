package registryclient

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// copyReferrers copies what refers to src@digest (signatures, SBOMs and,
// up to maxReferrerDepth, what refers to them) into dst, each by its
// digest, so they refer to the copied image there too. ggcr keeps the
// destination's tag-schema index when it has no referrers API; esbtui's
// registry keeps it itself. It returns the digests copied.
func (c *Client) copyReferrers(ctx context.Context, src, dst name.Repository, digest string, depth int) ([]string, error) {
	rs, err := c.referrers(ctx, src, digest)
	if err != nil {
		return nil, c.regErr(src.Registry, "copy: list the referrers of "+src.Name()+"@"+digest, err)
	}
	var copied []string
	for _, rf := range rs {
		desc, err := remote.Get(src.Digest(rf.Digest), c.remoteOptions(ctx)...)
		if err != nil {
			return copied, c.regErr(src.Registry, fmt.Sprintf("copy: read the %s %s@%s", rf.Kind, src.Name(), rf.Digest), err)
		}
		to := dst.Digest(rf.Digest)
		if desc.MediaType.IsIndex() {
			idx, ierr := desc.ImageIndex()
			if ierr == nil {
				err = remote.WriteIndex(to, idx, c.remoteOptions(ctx)...)
			} else {
				err = ierr
			}
		} else {
			img, ierr := desc.Image()
			if ierr == nil {
				err = remote.Write(to, img, c.remoteOptions(ctx)...)
			} else {
				err = ierr
			}
		}
		if err != nil {
			return copied, c.regErr(dst.Registry, fmt.Sprintf("copy the %s %s to %s", rf.Kind, rf.Digest, to.Name()), err)
		}
		copied = append(copied, rf.Digest)
		if depth < maxReferrerDepth {
			sub, err := c.copyReferrers(ctx, src, dst, rf.Digest, depth+1)
			copied = append(copied, sub...)
			if err != nil {
				return copied, err
			}
		}
	}
	return copied, nil
}
