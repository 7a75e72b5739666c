package registryclient

import (
	"context"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// maxRepoKinds bounds how many repositories RepoKinds describes (two
// requests each); a larger catalog is listed without kinds.
const maxRepoKinds = 200

// RepoKinds says what each repository of a catalog holds, by the newest
// tag in name order (a repository of Helm charts is "chart"): one tags
// listing and one manifest read per repository, bounded. A repository
// whose tags cannot be read, or that has none, is left out. Catalogs of
// more than maxRepoKinds repositories get no kinds (nil).
func (c *Client) RepoKinds(ctx context.Context, registry string, repos []string) map[string]Kind {
	if len(repos) == 0 || len(repos) > maxRepoKinds {
		return nil
	}
	out := map[string]Kind{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * c.opts.Jobs)
	for _, repo := range repos {
		g.Go(func() error {
			tl, err := c.Tags(gctx, registry+"/"+repo, "")
			if err != nil || len(tl.Tags) == 0 {
				return nil
			}
			r, err := ParseRepository(tl.Repository, "")
			if err != nil {
				return nil
			}
			desc, err := remote.Get(r.Tag(slices.Max(tl.Tags)), c.remoteOptions(gctx)...)
			if err != nil {
				return nil
			}
			f, _, err := parseManifestFacts(desc.Manifest, string(desc.MediaType))
			if err != nil {
				return nil
			}
			mu.Lock()
			out[repo] = Classify(f).Kind
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return out
}
