package registryclient

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/internal/progress"
)

// planReferrers decides what of a repository's referrers goes with a
// prune: the signatures and SBOMs of each image whose every tag is
// deleted (an image a kept tag still names keeps them), and the referrers
// tags (tag-schema index, cosign tags) whose image no longer exists.
// Referrers tags are never counted as tags to keep or delete: they are
// known by the digest they belong to.
func (c *Client) planReferrers(ctx context.Context, plan *RepoPrune, ages []TagAge, referrersTags []string) error {
	if len(referrersTags) == 0 {
		return nil
	}
	kept, live := map[string]bool{}, map[string]bool{}
	for _, a := range plan.Keep {
		kept[a.Digest] = true
	}
	for _, a := range ages {
		live[a.Digest] = true
	}
	subjects := map[string]bool{}
	for _, t := range referrersTags {
		if d, ok := referrersTagSubject(t); ok {
			subjects[d] = true
		}
	}
	for _, a := range plan.Delete {
		if subjects[a.Digest] && !kept[a.Digest] && !slices.Contains(plan.ReferrersOf, a.Digest) {
			plan.ReferrersOf = append(plan.ReferrersOf, a.Digest)
		}
	}
	repo, err := ParseRepository(plan.Repository, "")
	if err != nil {
		return err
	}
	for _, t := range referrersTags {
		d, _ := referrersTagSubject(t)
		if live[d] {
			continue
		}
		_, err := remote.Head(repo.Digest(d), c.remoteOptions(ctx)...)
		switch {
		case err == nil:
			// The image is there untagged: garbage collection's to judge.
		case isNotFoundErr(err):
			plan.Orphans = append(plan.Orphans, t)
		default:
			return c.regErr(repo.Registry, fmt.Sprintf("prune: look up %s@%s (the image of %s)", repo.Name(), d, t), err)
		}
	}
	return nil
}

// pruneReferrers deletes what planReferrers chose.
func (c *Client) pruneReferrers(ctx context.Context, plan *RepoPrune, rep progress.Reporter) {
	repo, err := ParseRepository(plan.Repository, "")
	if err != nil {
		plan.Errors = append(plan.Errors, err.Error())
		return
	}
	done := map[string]bool{}
	subjects := slices.Clone(plan.ReferrersOf)
	for _, t := range plan.Orphans {
		d, _ := referrersTagSubject(t)
		subjects = append(subjects, d)
	}
	for _, d := range subjects {
		if done[d] {
			continue
		}
		done[d] = true
		gone, err := c.deleteReferrers(ctx, repo, d, 0)
		plan.ReferrersDeleted = append(plan.ReferrersDeleted, gone...)
		if err != nil {
			plan.Errors = append(plan.Errors, err.Error())
			rep.Emit(progress.Event{Step: "referrers", Item: repo.Name() + "@" + d, Status: progress.Failed, Err: err.Error()})
			continue
		}
		rep.Emit(progress.Event{Step: "referrers", Item: repo.Name() + "@" + d, Status: progress.Done, Message: fmt.Sprintf("%d deleted", len(gone))})
	}
}
