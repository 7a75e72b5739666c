package registryclient

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/esbtui/esbtui/internal/progress"
)

// TagAge is one tag with its image's creation time and manifest digest.
type TagAge struct {
	Tag     string    `json:"tag"`
	Digest  string    `json:"digest"`
	Created time.Time `json:"created"`
}

// RepoPrune is the retention decision for one repository.
type RepoPrune struct {
	Repository string    `json:"repository"`
	Keep       []TagAge  `json:"keep"`
	Delete     []TagAge  `json:"delete"`
	Deleted    []Deleted `json:"deleted,omitempty"`
	// ReferrersOf are the digests of deleted images whose signatures,
	// SBOMs and tag-schema index go with them; Orphans are referrers tags
	// whose image is already gone (deleted too).
	ReferrersOf []string `json:"referrers_of"`
	Orphans     []string `json:"orphans"`
	// ReferrersDeleted is what went with them (digests and tags).
	ReferrersDeleted []string `json:"referrers_deleted,omitempty"`
	Errors           []string `json:"errors,omitempty"`
}

// PruneResult is the plan (dry run) or what was done.
type PruneResult struct {
	Registry string      `json:"registry"`
	Keep     int         `json:"keep"`
	DryRun   bool        `json:"dry_run"`
	Repos    []RepoPrune `json:"repositories"`
}

// PruneOptions select what Prune considers.
type PruneOptions struct {
	Registry string
	// Repos limits pruning to these repositories; empty means the whole catalog.
	Repos  []string
	Keep   int
	DryRun bool
}

// Prune keeps the Keep newest tags of each repository (by the config's
// created time, ties broken by tag name, newest first) and deletes the rest.
// The dry run computes the same plan and deletes nothing, so it lists
// exactly what the real run would delete.
func (c *Client) Prune(ctx context.Context, o PruneOptions, sink progress.Sink) (*PruneResult, error) {
	if o.Keep < 0 {
		return nil, fmt.Errorf("registryclient: prune: --keep must be 0 or more, got %d", o.Keep)
	}
	rep := progress.Reporter{Op: "prune", Sink: sink}
	repos := o.Repos
	if len(repos) == 0 {
		cat, err := c.Catalog(ctx, o.Registry)
		if err != nil {
			return nil, err
		}
		repos = cat.Repositories
	}
	res := &PruneResult{Registry: o.Registry, Keep: o.Keep, DryRun: o.DryRun}
	for _, repo := range repos {
		plan, err := c.planRepo(ctx, repo, o.Registry, o.Keep)
		if err != nil {
			return res, err
		}
		if !o.DryRun {
			keep := map[string]bool{}
			for _, k := range plan.Keep {
				keep[k.Digest] = true
			}
			for _, t := range plan.Delete {
				ref, err := ParseReference(plan.Repository+":"+t.Tag, o.Registry)
				if err != nil {
					return res, err
				}
				d, err := c.deleteRef(ctx, ref, keep)
				if err != nil {
					plan.Errors = append(plan.Errors, err.Error())
					rep.Emit(progress.Event{Step: "delete", Item: ref.Name(), Status: progress.Failed, Err: err.Error()})
					continue
				}
				plan.Deleted = append(plan.Deleted, *d)
				rep.Emit(progress.Event{Step: "delete", Item: ref.Name(), Status: progress.Done, Message: d.Digest})
			}
			c.pruneReferrers(ctx, plan, rep)
		}
		rep.Emit(progress.Event{Step: "repository", Item: plan.Repository, Status: progress.Done,
			Message: fmt.Sprintf("keep %d, delete %d", len(plan.Keep), len(plan.Delete))})
		res.Repos = append(res.Repos, *plan)
	}
	for _, r := range res.Repos {
		if len(r.Errors) > 0 {
			return res, fmt.Errorf("registryclient: prune: %d tag(s) of %s could not be deleted: %s", len(r.Errors), r.Repository, r.Errors[0])
		}
	}
	return res, nil
}

func (c *Client) planRepo(ctx context.Context, repo, registry string, keep int) (*RepoPrune, error) {
	tags, err := c.Tags(ctx, repo, registry)
	if err != nil {
		return nil, err
	}
	// A referrers fallback tag (sha256-<hex>) is the index of an image's
	// signatures and SBOMs, not an image a user tagged: never pruned.
	userTags := slices.DeleteFunc(slices.Clone(tags.Tags), IsReferrersTag)
	ages := make([]TagAge, len(userTags))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * c.opts.Jobs)
	var mu sync.Mutex
	for i, t := range userTags {
		g.Go(func() error {
			ref, err := ParseReference(tags.Repository+":"+t, registry)
			if err != nil {
				return err
			}
			created, dig, err := c.created(gctx, ref)
			if err != nil {
				return c.regErr(ref.Context().Registry, "prune: read "+ref.Name(), err)
			}
			mu.Lock()
			ages[i] = TagAge{Tag: t, Digest: dig.String(), Created: created}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.SliceStable(ages, func(i, j int) bool {
		if !ages[i].Created.Equal(ages[j].Created) {
			return ages[i].Created.After(ages[j].Created)
		}
		return ages[i].Tag > ages[j].Tag
	})
	plan := &RepoPrune{Repository: tags.Repository, Keep: []TagAge{}, Delete: []TagAge{}, ReferrersOf: []string{}, Orphans: []string{}}
	for i, a := range ages {
		if i < keep {
			plan.Keep = append(plan.Keep, a)
		} else {
			plan.Delete = append(plan.Delete, a)
		}
	}
	if err := c.planReferrers(ctx, plan, ages, tags.ReferrersTags); err != nil {
		return nil, err
	}
	return plan, nil
}
