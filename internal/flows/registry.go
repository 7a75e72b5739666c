package flows

import (
	"context"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
)

// ImageRef is the image of a function: <registry>/<name>:latest when a
// registry is configured, the bare name otherwise.
func (e *Env) ImageRef(fn string) string { return registryclient.ImageRef(e.Cfg.Registry, fn) }

// Catalog lists the registry's repositories.
func (e *Env) Catalog(ctx context.Context) (*registryclient.CatalogResult, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	return c.Catalog(ctx, e.Cfg.Registry)
}

// CatalogKinds is Catalog with what each repository holds (image, chart,
// …), for catalogs small enough to describe.
func (e *Env) CatalogKinds(ctx context.Context) (*registryclient.CatalogResult, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	res, err := c.Catalog(ctx, e.Cfg.Registry)
	if err != nil {
		return nil, err
	}
	res.Kinds = c.RepoKinds(ctx, res.Registry, res.Repositories)
	return res, nil
}

// Tags lists the tags of repo (in the configured registry unless it names one).
func (e *Env) Tags(ctx context.Context, repo string) (*registryclient.TagsResult, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	return c.TagDetails(ctx, repo, e.Cfg.Registry)
}

// Inspect describes ref's manifest or index and its images.
func (e *Env) Inspect(ctx context.Context, ref string) (*registryclient.Inspection, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	return c.Inspect(ctx, ref, e.Cfg.Registry)
}

// Delete removes a tag or a manifest (by digest) and records it.
func (e *Env) Delete(ctx context.Context, ref string) (*registryclient.Deleted, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	d, err := c.Delete(ctx, ref, e.Cfg.Registry)
	if d != nil {
		// Recorded even when some referrers could not be deleted: the
		// image itself is gone.
		e.record("registry.delete", map[string]any{"ref": d.Ref, "digest": d.Digest, "by_digest": d.ByDigest, "referrers_deleted": d.Referrers})
	}
	return d, err
}

// Prune keeps the keep newest tags of each repository (all of them, or
// repos) and deletes the rest; dryRun only plans.
func (e *Env) Prune(ctx context.Context, keep int, dryRun bool, repos []string, sink progress.Sink) (*registryclient.PruneResult, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	res, err := c.Prune(ctx, registryclient.PruneOptions{Registry: e.Cfg.Registry, Repos: repos, Keep: keep, DryRun: dryRun}, sink)
	if res != nil && !dryRun {
		var deleted []string
		for _, r := range res.Repos {
			for _, d := range r.Deleted {
				deleted = append(deleted, d.Ref)
			}
			deleted = append(deleted, r.ReferrersDeleted...)
		}
		if len(deleted) > 0 {
			e.record("registry.prune", map[string]any{"keep": keep, "deleted": deleted})
		}
	}
	return res, err
}

// Copy mirrors src into dst (references without a registry are in the
// configured one).
func (e *Env) Copy(ctx context.Context, src, dst string, sink progress.Sink) (*registryclient.Copied, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	cp, err := c.Copy(ctx, src, dst, e.Cfg.Registry, sink)
	if cp != nil {
		e.record("registry.copy", map[string]any{"src": cp.Source, "dst": cp.Destination, "digest": cp.Digest, "referrers_copied": cp.Referrers})
	}
	return cp, err
}
