package registryclient

import (
	"context"
	"fmt"
	"time"
)

// CatalogResult is the list of repositories and how it was fetched.
type CatalogResult struct {
	Registry     string        `json:"registry"`
	Repositories []string      `json:"repositories"`
	Pages        int           `json:"pages"`
	Elapsed      time.Duration `json:"elapsed_ns"`
	// Invalid are names the registry listed that are not valid repository
	// names, quoted and cleaned for display; nothing else uses them.
	Invalid []string `json:"invalid,omitempty"`
	// Kinds say what each repository holds (image, chart, …); filled by
	// RepoKinds, absent for catalogs too large to describe.
	Kinds map[string]Kind `json:"kinds,omitempty"`
}

// Catalog lists every repository of registry, paging with n = PageSize
// (≤ 1000) and retrying transient failures with backoff.
func (c *Client) Catalog(ctx context.Context, registry string) (*CatalogResult, error) {
	start := time.Now()
	reg, err := ParseRegistry(registry)
	if err != nil {
		return nil, err
	}
	hc, err := c.authClient(ctx, reg, []string{"registry:catalog:*"})
	if err != nil {
		return nil, err
	}
	p := &pager{client: hc, reg: reg, path: "/v2/_catalog", n: c.opts.PageSize, retry: listRetry}
	repos, err := p.all(ctx, "repositories")
	if err != nil {
		if unreachableIn(err) != err {
			c.forget(reg)
		}
		return nil, cleanErr(fmt.Errorf("registryclient: catalog of %s (page %d): %w", reg.RegistryStr(), p.pages+1, err))
	}
	repos, invalid := validNames(repos, validRepoName(reg))
	return &CatalogResult{Registry: reg.RegistryStr(), Repositories: repos, Pages: p.pages, Elapsed: time.Since(start), Invalid: invalid}, nil
}

// TagsResult lists the tags of one repository.
type TagsResult struct {
	Repository string   `json:"repository"`
	Tags       []string `json:"tags"`
	Pages      int      `json:"pages"`
	// Invalid are tags the registry listed that are not valid tag names,
	// quoted and cleaned for display; nothing else uses them.
	Invalid []string `json:"invalid,omitempty"`
	// ReferrersTags are the OCI 1.1 referrers fallback tags
	// (sha256-<hex>: the index of an image's signatures and SBOMs), kept
	// out of Tags: nobody tagged them, `inspect` lists what they hold.
	ReferrersTags []string `json:"referrers_tags,omitempty"`
	// Details describe each tag (kind, signed); only TagDetails fills them.
	Details []TagInfo `json:"details,omitempty"`
}

// Tags lists every tag of repo ("app" is taken in defaultRegistry).
func (c *Client) Tags(ctx context.Context, repo, defaultRegistry string) (*TagsResult, error) {
	r, err := ParseRepository(repo, defaultRegistry)
	if err != nil {
		return nil, err
	}
	hc, err := c.authClient(ctx, r.Registry, []string{r.Scope("pull")})
	if err != nil {
		return nil, err
	}
	p := &pager{client: hc, reg: r.Registry, path: "/v2/" + r.RepositoryStr() + "/tags/list", n: c.opts.PageSize, retry: listRetry}
	tags, err := p.all(ctx, "tags")
	if err != nil {
		if unreachableIn(err) != err {
			c.forget(r.Registry)
		}
		return nil, notFound("repository", r.Name(), cleanErr(fmt.Errorf("registryclient: tags of %s: %w", r.Name(), err)))
	}
	tags, invalid := validNames(tags, validTagName(r))
	user, referrers := splitReferrersTags(tags)
	return &TagsResult{Repository: r.Name(), Tags: user, Pages: p.pages, Invalid: invalid, ReferrersTags: referrers}, nil
}
