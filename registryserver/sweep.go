package registryserver

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/storage"
	"github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// SweepResult is what one mark-and-sweep deleted (or would delete).
type SweepResult struct {
	// Manifests are the digests of the untagged manifests deleted.
	Manifests []string `json:"manifests"`
	// Blobs are the digests of the blobs deleted; BytesReclaimed their size.
	Blobs          []string `json:"blobs"`
	BytesReclaimed int64    `json:"bytes_reclaimed"`
	// Protected counts blobs kept only because their push is still under way.
	Protected int `json:"protected"`
}

// sweepOptions: DryRun deletes nothing; the protected sets are blobs (by
// digest) and layer links (by repository) a push in progress still needs.
type sweepOptions struct {
	DryRun         bool
	ProtectedBlobs map[string]bool
	ProtectedLinks map[string]map[string]bool
}

type manifestDel struct {
	repo   string
	digest digest.Digest
	tags   []string
}

// markAndSweep is distribution v3.1.2's storage.MarkAndSweep with
// RemoveUntagged (what `garbage-collect --delete-untagged` runs), adapted
// for a registry that keeps serving: it returns what it deleted instead of
// printing it, and keeps the protected blobs and links (uploaded by a push
// whose manifest has not arrived yet). The registry's writes are held
// around it (writeGate), so nothing references a blob while it goes.
func markAndSweep(ctx context.Context, d driver.StorageDriver, ns distribution.Namespace, o sweepOptions) (*SweepResult, error) {
	repos, ok := ns.(distribution.RepositoryEnumerator)
	if !ok {
		return nil, errors.New("the registry's storage cannot enumerate repositories")
	}
	res := &SweepResult{Manifests: []string{}, Blobs: []string{}}
	marked := map[digest.Digest]bool{}
	deleteLinks := map[string][]digest.Digest{}
	var untagged []manifestDel
	err := repos.Enumerate(ctx, func(repoName string) error {
		named, err := reference.WithName(repoName)
		if err != nil {
			return fmt.Errorf("repository name %s: %w", repoName, err)
		}
		repo, err := ns.Repository(ctx, named)
		if err != nil {
			return fmt.Errorf("repository %s: %w", repoName, err)
		}
		ms, err := repo.Manifests(ctx)
		if err != nil {
			return fmt.Errorf("manifests of %s: %w", repoName, err)
		}
		menum, ok := ms.(distribution.ManifestEnumerator)
		if !ok {
			return errors.New("the manifest service cannot enumerate")
		}
		err = menum.Enumerate(ctx, func(dg digest.Digest) error {
			tags, err := repo.Tags(ctx).Lookup(ctx, v1.Descriptor{Digest: dg})
			if err != nil {
				return fmt.Errorf("tags of %s@%s: %w", repoName, dg, err)
			}
			if len(tags) == 0 {
				all, err := repo.Tags(ctx).All(ctx)
				if err != nil {
					if errors.As(err, new(distribution.ErrRepositoryUnknown)) {
						return nil
					}
					return fmt.Errorf("tags of %s: %w", repoName, err)
				}
				untagged = append(untagged, manifestDel{repo: repoName, digest: dg, tags: all})
				return nil
			}
			marked[dg] = true
			return markReferences(ctx, dg, ms, marked)
		})
		if err != nil && !errors.As(err, new(driver.PathNotFoundError)) {
			return err
		}
		lenum, ok := repo.Blobs(ctx).(distribution.ManifestEnumerator)
		if !ok {
			return errors.New("the blob service cannot enumerate layer links")
		}
		return lenum.Enumerate(ctx, func(dg digest.Digest) error {
			if !marked[dg] && !o.ProtectedLinks[repoName][dg.String()] {
				deleteLinks[repoName] = append(deleteLinks[repoName], dg)
			}
			return nil
		})
	})
	if err != nil && !emptyStorage(err) {
		return nil, fmt.Errorf("mark: %w", err)
	}

	vacuum := storage.NewVacuum(ctx, d)
	for _, m := range untagged {
		if marked[m.digest] { // referenced by a tagged index
			continue
		}
		res.Manifests = append(res.Manifests, m.digest.String())
		if o.DryRun {
			continue
		}
		if err := vacuum.RemoveManifest(m.repo, m.digest, m.tags); err != nil {
			return res, fmt.Errorf("delete manifest %s@%s: %w", m.repo, m.digest, err)
		}
	}
	var deleteBlobs []digest.Digest
	err = ns.Blobs().Enumerate(ctx, func(dg digest.Digest) error {
		if marked[dg] {
			return nil
		}
		if o.ProtectedBlobs[dg.String()] {
			res.Protected++
			return nil
		}
		deleteBlobs = append(deleteBlobs, dg)
		return nil
	})
	if err != nil && !emptyStorage(err) {
		return res, fmt.Errorf("enumerate blobs: %w", err)
	}
	sort.Slice(deleteBlobs, func(i, j int) bool { return deleteBlobs[i] < deleteBlobs[j] })
	for _, dg := range deleteBlobs {
		if fi, err := d.Stat(ctx, blobDataPath(dg)); err == nil {
			res.BytesReclaimed += fi.Size()
		}
		res.Blobs = append(res.Blobs, dg.String())
		if o.DryRun {
			continue
		}
		if err := vacuum.RemoveBlob(dg.String()); err != nil {
			return res, fmt.Errorf("delete blob %s: %w", dg, err)
		}
	}
	if o.DryRun {
		return res, nil
	}
	for repo, dgs := range deleteLinks {
		for _, dg := range dgs {
			if err := vacuum.RemoveLayer(repo, dg); err != nil {
				return res, fmt.Errorf("delete layer link %s of %s: %w", dg, repo, err)
			}
		}
	}
	return res, nil
}

// markReferences marks what manifest dg references, recursively (an index's
// manifests, their layers and configs).
func markReferences(ctx context.Context, dg digest.Digest, ms distribution.ManifestService, marked map[digest.Digest]bool) error {
	m, err := ms.Get(ctx, dg)
	if err != nil {
		return fmt.Errorf("read manifest %s: %w", dg, err)
	}
	for _, desc := range m.References() {
		if marked[desc.Digest] {
			continue
		}
		marked[desc.Digest] = true
		if ok, _ := ms.Exists(ctx, desc.Digest); ok {
			if err := markReferences(ctx, desc.Digest, ms, marked); err != nil {
				return err
			}
		}
	}
	return nil
}

// blobDataPath is where the filesystem layout keeps a blob's content
// (distribution's blobDataPathSpec).
func blobDataPath(dg digest.Digest) string {
	hex := dg.Encoded()
	if len(hex) < 2 {
		return ""
	}
	return fmt.Sprintf("/docker/registry/v2/blobs/%s/%s/%s/data", dg.Algorithm(), hex[:2], hex)
}

// emptyStorage: a registry nothing was pushed to yet has no repositories
// or blobs directory.
func emptyStorage(err error) bool {
	return errors.As(err, new(driver.PathNotFoundError))
}
