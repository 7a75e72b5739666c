package registryclient

import (
	"context"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TagInfo is one tag with what it holds and whether it is signed.
type TagInfo struct {
	Tag      string   `json:"tag"`
	Digest   string   `json:"digest,omitempty"`
	Artifact Artifact `json:"artifact"`
	Summary  string   `json:"summary"`
	// Signed is true when a signature refers to the tag's manifest.
	Signed bool `json:"signed"`
	// Referrers counts the manifests that refer to it (signatures, SBOMs).
	Referrers int    `json:"referrers"`
	Err       string `json:"error,omitempty"`
}

// maxTagDetails bounds how many tags TagDetails describes (one manifest
// read each); the rest are listed without details.
const maxTagDetails = 1000

// TagDetails lists repo's tags like Tags and describes each: its kind
// (image, chart, …) and whether it is signed. Referrers are looked up
// only for digests that have any: the referrers tags in the listing
// (the tag-schema index every registry esbtui targets keeps, esbtui's own
// included, and cosign's `.sig` tags) say which. A tag that cannot be read
// is listed with its error.
func (c *Client) TagDetails(ctx context.Context, repo, defaultRegistry string) (*TagsResult, error) {
	res, err := c.Tags(ctx, repo, defaultRegistry)
	if err != nil {
		return nil, err
	}
	r, err := ParseRepository(res.Repository, "")
	if err != nil {
		return nil, err
	}
	withReferrers := map[string]bool{}
	cosignSigned := map[string]bool{}
	for _, t := range res.ReferrersTags {
		d, ok := referrersTagSubject(t)
		switch {
		case !ok:
		case strings.HasSuffix(t, ".sig"):
			cosignSigned[d] = true
		case IsReferrersTag(t) && !strings.Contains(t, "."):
			withReferrers[d] = true
		}
	}
	n := min(len(res.Tags), maxTagDetails)
	res.Details = make([]TagInfo, n)
	// One puller for every read: the registry is pinged and the token
	// fetched once, not once per tag.
	var reuse []remote.Option
	if p, err := remote.NewPuller(c.remoteOptions(ctx)...); err == nil {
		reuse = append(reuse, remote.Reuse(p))
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * c.opts.Jobs)
	for i, tag := range res.Tags[:n] {
		g.Go(func() error {
			res.Details[i] = c.describeTag(gctx, r, tag, reuse...)
			return nil
		})
	}
	_ = g.Wait()

	// The referrers of each digest that has any, once per digest.
	signed := map[string]bool{}
	count := map[string]int{}
	var mu sync.Mutex
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(2 * c.opts.Jobs)
	for d := range withReferrers {
		g.Go(func() error {
			rs, err := c.indexReferrers(gctx, r, d, reuse...)
			mu.Lock()
			defer mu.Unlock()
			signed[d] = cosignSigned[d]
			if err != nil {
				return nil
			}
			count[d] = len(rs)
			for _, rf := range rs {
				signed[d] = signed[d] || rf.Kind == KindSignature
			}
			return nil
		})
	}
	_ = g.Wait()
	for i := range res.Details {
		d := res.Details[i].Digest
		res.Details[i].Signed, res.Details[i].Referrers = signed[d] || cosignSigned[d], count[d]
	}
	return res, nil
}

// describeTag reads the manifest repo:tag and says what it holds.
func (c *Client) describeTag(ctx context.Context, r name.Repository, tag string, extra ...remote.Option) TagInfo {
	info := TagInfo{Tag: tag}
	desc, err := remote.Get(r.Tag(tag), c.remoteOptions(ctx, extra...)...)
	if err != nil {
		info.Artifact = Artifact{Kind: KindArtifact}
		info.Err = cleanErr(c.regErr(r.Registry, "read "+r.Name()+":"+tag, err)).Error()
		info.Summary = "unreadable"
		return info
	}
	info.Digest = desc.Digest.String()
	info.Artifact = c.describe(ctx, r, desc, extra...)
	info.Summary = info.Artifact.Summary()
	return info
}
