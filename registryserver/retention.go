package registryserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"time"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// RetentionPolicy keeps the Keep newest tags of each repository (by the
// image's created time, ties by tag name); tags matching one of KeepTags
// (path.Match globs, "v*") and referrers fallback tags (sha256-<hex>) are
// never deleted and do not count.
type RetentionPolicy struct {
	Keep     int      `json:"keep"`
	KeepTags []string `json:"keep_tags,omitempty"`
}

// RetentionResult: the tags deleted ("repo:tag") and the collection after.
type RetentionResult struct {
	TagsDeleted []string        `json:"tags_deleted"`
	GC          *OnlineGCResult `json:"gc,omitempty"`
}

var referrersTag = regexp.MustCompile(`^sha256-[0-9a-f]{64}$`)

// protectedTag: a tag retention never deletes.
func (p RetentionPolicy) protectedTag(tag string) bool {
	if referrersTag.MatchString(tag) {
		return true
	}
	for _, g := range p.KeepTags {
		if ok, _ := path.Match(g, tag); ok {
			return true
		}
	}
	return false
}

// retain is Retain with m.mu held.
func (m *Maintainer) retain(ctx context.Context, p RetentionPolicy) (*RetentionResult, error) {
	if p.Keep < 1 {
		return nil, fmt.Errorf("retention: keep is %d: give 1 or more", p.Keep)
	}
	res := &RetentionResult{TagsDeleted: []string{}}
	repos, ok := m.ns.(distribution.RepositoryEnumerator)
	if !ok {
		return nil, errors.New("retention: the storage cannot enumerate repositories")
	}
	err := repos.Enumerate(ctx, func(name string) error {
		deleted, err := m.retainRepo(ctx, name, p)
		res.TagsDeleted = append(res.TagsDeleted, deleted...)
		return err
	})
	if err != nil && !emptyStorage(err) {
		return res, fmt.Errorf("retention: %w", err)
	}
	gc, err := m.gc(ctx, false)
	res.GC = gc
	if err != nil {
		return res, fmt.Errorf("retention: gc: %w", err)
	}
	return res, nil
}

type tagAge struct {
	tag     string
	created time.Time
}

func (m *Maintainer) retainRepo(ctx context.Context, name string, p RetentionPolicy) ([]string, error) {
	named, err := reference.WithName(name)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", name, err)
	}
	repo, err := m.ns.Repository(ctx, named)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", name, err)
	}
	tags, err := repo.Tags(ctx).All(ctx)
	if err != nil {
		if errors.As(err, new(distribution.ErrRepositoryUnknown)) {
			return nil, nil
		}
		return nil, fmt.Errorf("tags of %s: %w", name, err)
	}
	var ages []tagAge
	for _, t := range tags {
		if p.protectedTag(t) {
			continue
		}
		desc, err := repo.Tags(ctx).Get(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("tag %s:%s: %w", name, t, err)
		}
		created, err := m.created(ctx, repo, desc.Digest, 0)
		if err != nil {
			return nil, fmt.Errorf("read %s:%s: %w", name, t, err)
		}
		ages = append(ages, tagAge{t, created})
	}
	if len(ages) <= p.Keep {
		return nil, nil
	}
	sort.SliceStable(ages, func(i, j int) bool {
		if !ages[i].created.Equal(ages[j].created) {
			return ages[i].created.After(ages[j].created)
		}
		return ages[i].tag > ages[j].tag
	})
	var deleted []string
	for _, a := range ages[p.Keep:] {
		if err := repo.Tags(ctx).Untag(ctx, a.tag); err != nil {
			return deleted, fmt.Errorf("untag %s:%s: %w", name, a.tag, err)
		}
		deleted = append(deleted, name+":"+a.tag)
	}
	return deleted, nil
}

// maxConfigSize bounds an image config read for its created time.
const maxConfigSize = 4 << 20

// created is an image's created time (its config's), or for an index the
// newest of its images'.
func (m *Maintainer) created(ctx context.Context, repo distribution.Repository, dg digest.Digest, depth int) (time.Time, error) {
	if depth > 2 {
		return time.Time{}, nil
	}
	ms, err := repo.Manifests(ctx)
	if err != nil {
		return time.Time{}, err
	}
	man, err := ms.Get(ctx, dg)
	if err != nil {
		return time.Time{}, err
	}
	_, payload, err := man.Payload()
	if err != nil {
		return time.Time{}, err
	}
	var doc struct {
		Config *struct {
			Digest digest.Digest `json:"digest"`
			Size   int64         `json:"size"`
		} `json:"config"`
		Manifests []struct {
			Digest digest.Digest `json:"digest"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(payload, &doc); err != nil {
		return time.Time{}, err
	}
	if doc.Config != nil {
		if doc.Config.Size > maxConfigSize {
			return time.Time{}, nil
		}
		b, err := repo.Blobs(ctx).Get(ctx, doc.Config.Digest)
		if err != nil {
			return time.Time{}, err
		}
		var cfg struct {
			Created time.Time `json:"created"`
		}
		_ = json.Unmarshal(b, &cfg) // an artifact's config has none: zero
		return cfg.Created, nil
	}
	var newest time.Time
	for _, c := range doc.Manifests {
		t, err := m.created(ctx, repo, c.Digest, depth+1)
		if err != nil {
			continue // a child not in this registry (partial index)
		}
		if t.After(newest) {
			newest = t
		}
	}
	return newest, nil
}
