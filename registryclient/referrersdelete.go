package registryclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// maxReferrerDepth bounds how deep referrers of referrers are followed
// (a signature of an SBOM of an image is depth 2).
const maxReferrerDepth = 3

// deleteReferrers removes what refers to repo@digest, so that nothing is
// left behind when the image goes: each referrer (and, up to
// maxReferrerDepth, what refers to it) deleted by digest, then the
// tag-schema index (`sha256-<hex>`) and cosign's `.sig`/`.att`/`.sbom`
// tags of digest when they are still there. On esbtui's registry deleting
// the last referrer already removes the index; on others esbtui removes
// it. It returns what it deleted (digests and tags).
func (c *Client) deleteReferrers(ctx context.Context, repo name.Repository, digest string, depth int) ([]string, error) {
	var deleted []string
	var errs []error
	rs, err := c.referrers(ctx, repo, digest)
	if err != nil {
		return nil, fmt.Errorf("registryclient: list the referrers of %s@%s: %w", repo.Name(), digest, err)
	}
	for _, rf := range rs {
		if depth < maxReferrerDepth {
			sub, err := c.deleteReferrers(ctx, repo, rf.Digest, depth+1)
			deleted = append(deleted, sub...)
			if err != nil {
				errs = append(errs, err)
			}
		}
		err := remote.Delete(repo.Digest(rf.Digest), c.remoteOptions(ctx)...)
		switch {
		case err == nil:
			deleted = append(deleted, repo.Name()+"@"+rf.Digest)
		case !isNotFoundErr(err):
			errs = append(errs, fmt.Errorf("registryclient: delete the %s %s@%s: %w", rf.Kind, repo.Name(), rf.Digest, cleanErr(err)))
		}
	}
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok {
		return deleted, errors.Join(errs...)
	}
	for _, suffix := range append([]string{""}, cosignSuffixes...) {
		t := repo.Tag("sha256-" + hex + suffix)
		gone, err := c.deleteTagIfPresent(ctx, t)
		if gone {
			deleted = append(deleted, t.Name())
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return deleted, errors.Join(errs...)
}

// deleteTagIfPresent deletes tag t when it exists: the tag alone where
// the registry deletes tags, else the manifest it names (a referrers index
// or a cosign signature belongs to one image only).
func (c *Client) deleteTagIfPresent(ctx context.Context, t name.Tag) (bool, error) {
	opts := c.remoteOptions(ctx)
	head, err := remote.Head(t, opts...)
	if err != nil {
		if isNotFoundErr(err) {
			return false, nil
		}
		return false, fmt.Errorf("registryclient: look up %s: %w", t.Name(), cleanErr(err))
	}
	err = remote.Delete(t, opts...)
	if err != nil && tagDeleteUnsupported(err) {
		err = remote.Delete(t.Context().Digest(head.Digest.String()), opts...)
	}
	if err != nil && !isNotFoundErr(err) {
		return false, fmt.Errorf("registryclient: delete %s: %w", t.Name(), cleanErr(err))
	}
	return err == nil, nil
}

// isNotFoundErr reports whether err is the registry's 404.
func isNotFoundErr(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// tagsOf lists the user tags of repo that point at digest (every tag is
// resolved: HEAD each, bounded concurrency).
func (c *Client) tagsOf(ctx context.Context, repo name.Repository, digest string) ([]string, error) {
	tl, err := c.Tags(ctx, repo.Name(), "")
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var out []string
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * c.opts.Jobs)
	for _, tag := range tl.Tags {
		g.Go(func() error {
			d, err := remote.Head(repo.Tag(tag), c.remoteOptions(gctx)...)
			if err != nil {
				if isNotFoundErr(err) {
					return nil
				}
				return fmt.Errorf("registryclient: resolve %s:%s: %w", repo.Name(), tag, cleanErr(err))
			}
			if d.Digest.String() == digest {
				mu.Lock()
				out = append(out, tag)
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}
