package registryclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/esbtui/esbtui/internal/progress"
)

// RestoreOptions configure Restore.
type RestoreOptions struct {
	// Registry is where the archive's images go.
	Registry string
	// Merge allows a registry that holds tags the archive does not (or
	// holds at other digests); the archive's tags win.
	Merge bool
	// DryRun checks the registry and says what would be restored (and
	// which tags replaced), pushing nothing.
	DryRun bool
	// Confirm, when set, is asked with the plan (what DryRun returns)
	// before anything is pushed when the plan replaces tags; an error
	// stops the restore.
	Confirm func(plan *RestoreResult) error
}

// RestoreResult says what Restore did.
type RestoreResult struct {
	Registry      string        `json:"registry"`
	Restored      []string      `json:"restored"`                // refs pushed
	AlreadyThere  []string      `json:"already_there,omitempty"` // refs the registry held at the same digest
	Replaced      []string      `json:"replaced,omitempty"`      // tags the registry held at another digest (--merge)
	DryRun        bool          `json:"dry_run,omitempty"`
	BlobsUploaded int           `json:"blobs_uploaded"`
	BlobsExisting int           `json:"blobs_existing"` // the registry had them, or mounted them from another repository
	BytesUploaded int64         `json:"bytes_uploaded"`
	Elapsed       time.Duration `json:"elapsed_ns"`
}

// NotEmptyError refuses to restore into a registry that holds other
// content than the archive's, without --merge.
type NotEmptyError struct {
	Registry string
	Examples []string // "repo:tag", a few
	Count    int
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("registryclient: restore into %s: the registry is not empty: it holds %d tags the archive does not (%s); restore into an empty registry, or add --merge to add the archive's images beside them (the archive's tags replace tags of the same name)",
		e.Registry, e.Count, strings.Join(e.Examples, ", "))
}

// Restore pushes every image of a (already verified by OpenArchive) to
// o.Registry: per image, blobs first (skipping those the registry has),
// then child manifests, then the tag, so an interrupted restore never
// leaves a tag pointing at missing content and a re-run completes it.
func (c *Client) Restore(ctx context.Context, a *Archive, o RestoreOptions, sink progress.Sink) (*RestoreResult, error) {
	start := time.Now()
	rep := progress.Reporter{Op: "restore", Sink: sink}
	reg, err := ParseRegistry(o.Registry)
	if err != nil {
		return nil, err
	}
	if _, err := c.probe(ctx, reg); err != nil {
		return nil, err
	}
	existing, err := c.restoreCheck(ctx, a, o)
	if err != nil {
		return nil, err
	}
	plan := &RestoreResult{Registry: reg.RegistryStr(), Restored: []string{}, DryRun: true}
	for _, img := range a.Images {
		switch d, ok := existing[img.Ref()]; {
		case d == img.Desc.Digest.String():
			plan.AlreadyThere = append(plan.AlreadyThere, img.Ref())
			continue
		case ok:
			plan.Replaced = append(plan.Replaced, img.Ref())
		}
		plan.Restored = append(plan.Restored, img.Ref())
	}
	if o.DryRun {
		return plan, nil
	}
	if o.Confirm != nil && len(plan.Replaced) > 0 {
		if err := o.Confirm(plan); err != nil {
			return nil, err
		}
	}
	pusher, err := remote.NewPusher(c.remoteOptions(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("registryclient: restore: %w", err)
	}
	res := &RestoreResult{Registry: reg.RegistryStr(), Restored: []string{}, Replaced: plan.Replaced}
	r := &restoreRun{c: c, a: a, pusher: pusher, rep: rep, res: res, pushed: map[string]bool{}, in: map[v1.Hash]name.Repository{}}
	for _, img := range a.Images {
		if existing[img.Ref()] == img.Desc.Digest.String() {
			res.AlreadyThere = append(res.AlreadyThere, img.Ref())
			continue
		}
		r.total += r.sizeOf(img.Desc)
	}
	for _, img := range a.Images {
		if existing[img.Ref()] == img.Desc.Digest.String() {
			continue
		}
		repo := reg.Repo(img.Repository)
		if err := r.image(ctx, repo, img); err != nil {
			rep.Emit(progress.Event{Step: "image", Item: img.Ref(), Status: progress.Failed, Err: err.Error()})
			return nil, err
		}
		res.Restored = append(res.Restored, img.Ref())
		rep.Emit(progress.Event{Step: "image", Item: img.Ref(), Status: progress.Done, Message: img.Desc.Digest.String()})
	}
	res.BytesUploaded = r.uploaded.Load()
	res.Elapsed = time.Since(start)
	rep.Emit(progress.Event{Step: "blobs", Status: progress.Done, Current: r.total, Total: r.total,
		Message: fmt.Sprintf("%d images restored, %d already there", len(res.Restored), len(res.AlreadyThere))})
	return res, nil
}

// restoreCheck lists the registry's tags: without Merge, any tag the
// archive does not hold at the same digest refuses the restore (a
// registry holding part of this archive, an interrupted restore, is
// fine). It returns "repo:tag" → digest of the archive's tags present.
func (c *Client) restoreCheck(ctx context.Context, a *Archive, o RestoreOptions) (map[string]string, error) {
	want := map[string]string{}
	for _, img := range a.Images {
		if img.Tag != "" {
			want[img.Ref()] = img.Desc.Digest.String()
		}
	}
	cat, err := c.Catalog(ctx, o.Registry)
	if err != nil {
		return nil, fmt.Errorf("registryclient: restore: %w", err)
	}
	have := map[string]string{}
	var foreign []string
	for _, repoName := range cat.Repositories {
		tr, err := c.Tags(ctx, o.Registry+"/"+repoName, o.Registry)
		if err != nil {
			var nf *NotFoundError
			if errors.As(err, &nf) {
				continue
			}
			return nil, fmt.Errorf("registryclient: restore: %w", err)
		}
		repo, err := ParseRepository(o.Registry+"/"+repoName, o.Registry)
		if err != nil {
			return nil, err
		}
		for _, tag := range append(tr.Tags, tr.ReferrersTags...) {
			ref := repoName + ":" + tag
			wantD, inArchive := want[ref]
			if !inArchive {
				foreign = append(foreign, ref)
				continue
			}
			d, err := remote.Head(repo.Tag(tag), c.remoteOptions(ctx)...)
			if err != nil {
				var nf *NotFoundError
				if errors.As(notFound("manifest", ref, err), &nf) {
					continue
				}
				return nil, c.regErr(repo.Registry, "restore: read "+repo.Tag(tag).Name(), err)
			}
			have[ref] = d.Digest.String()
			if d.Digest.String() != wantD {
				foreign = append(foreign, ref+"@"+d.Digest.String()[:19])
			}
		}
	}
	if len(foreign) > 0 && !o.Merge {
		sort.Strings(foreign)
		ex := foreign
		if len(ex) > 5 {
			ex = ex[:5]
		}
		return nil, &NotEmptyError{Registry: o.Registry, Examples: ex, Count: len(foreign)}
	}
	// Untagged referrers: present when the registry serves their digest.
	for _, img := range a.Images {
		if img.Tag != "" {
			continue
		}
		repo, err := ParseRepository(o.Registry+"/"+img.Repository, o.Registry)
		if err != nil {
			return nil, err
		}
		if d, err := remote.Head(repo.Digest(img.Desc.Digest.String()), c.remoteOptions(ctx)...); err == nil && d.Digest == img.Desc.Digest {
			have[img.Ref()] = d.Digest.String()
		}
	}
	return have, nil
}

// restoreRun is one Restore's state.
type restoreRun struct {
	c      *Client
	a      *Archive
	pusher *remote.Pusher
	rep    progress.Reporter
	res    *RestoreResult
	mu     sync.Mutex
	pushed map[string]bool // "repo@digest" of blobs and manifests done
	// in is a repository of this registry that has each blob restored so
	// far: another repository mounts it from there instead of uploading.
	in       map[v1.Hash]name.Repository
	total    int64
	done     atomic.Int64
	uploaded atomic.Int64
	lastEmit atomic.Int64 // UnixNano of the last progress event
}

// sizeOf is the bytes of d and everything it reaches in the archive,
// each manifest counted once (a hostile archive's fan-out stays linear).
func (r *restoreRun) sizeOf(d v1.Descriptor) int64 {
	return r.sizeOfOnce(d, map[v1.Hash]bool{})
}

func (r *restoreRun) sizeOfOnce(d v1.Descriptor, seen map[v1.Hash]bool) int64 {
	if seen[d.Digest] {
		return 0
	}
	seen[d.Digest] = true
	n := d.Size
	raw, err := r.a.manifestOf(d.Digest)
	if err != nil {
		return n
	}
	blobs, children, err := parseManifestRefs(raw)
	if err != nil {
		return n
	}
	for _, b := range blobs {
		n += b.Size
	}
	for _, ch := range children {
		n += r.sizeOfOnce(ch, seen)
	}
	return n
}

func (r *restoreRun) progress(n int64) {
	cur := r.done.Add(n)
	now := time.Now().UnixNano()
	if last := r.lastEmit.Load(); now-last >= int64(progressEvery) && r.lastEmit.CompareAndSwap(last, now) {
		r.rep.Emit(progress.Event{Step: "blobs", Status: progress.Update, Current: min(cur, r.total), Total: r.total})
	}
}

// image restores one index.json entry: blobs, children, then the tag (or,
// for an untagged referrer, the manifest by digest).
func (r *restoreRun) image(ctx context.Context, repo name.Repository, img ArchiveImage) error {
	var manifests []v1.Descriptor // children before parents
	var blobs []v1.Descriptor
	seen := map[v1.Hash]bool{}
	var collect func(d v1.Descriptor) error
	collect = func(d v1.Descriptor) error {
		if seen[d.Digest] {
			return nil
		}
		seen[d.Digest] = true
		raw, err := r.a.manifestOf(d.Digest)
		if err != nil {
			return err
		}
		bs, children, err := parseManifestRefs(raw)
		if err != nil {
			return &TamperedError{Object: blobPath(d.Digest), Role: "manifest of " + img.Ref(), Why: err.Error()}
		}
		blobs = append(blobs, bs...)
		for _, ch := range children {
			if err := collect(ch); err != nil {
				return err
			}
		}
		manifests = append(manifests, d)
		return nil
	}
	if err := collect(img.Desc); err != nil {
		return err
	}
	if err := r.uploadBlobs(ctx, repo, img, blobs); err != nil {
		return err
	}
	for i, d := range manifests {
		key := repo.Name() + "@" + d.Digest.String()
		last := i == len(manifests)-1
		if !last && r.seen(key) {
			continue
		}
		raw, err := r.a.manifestOf(d.Digest)
		if err != nil {
			return err
		}
		var ref name.Reference = repo.Digest(d.Digest.String())
		if last && img.Tag != "" {
			ref = repo.Tag(img.Tag)
		}
		if err := r.pusher.Put(ctx, ref, rawManifest{body: raw, mediaType: d.MediaType}); err != nil {
			return r.c.regErr(repo.Registry, "restore: put manifest "+ref.Name(), r.c.explainHead(ctx, repo, transport.PushScope, err))
		}
		r.mark(key)
		r.progress(d.Size)
	}
	return nil
}

func (r *restoreRun) seen(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pushed[key]
}

func (r *restoreRun) mark(key string) {
	r.mu.Lock()
	r.pushed[key] = true
	r.mu.Unlock()
}

// uploadBlobs uploads blobs (the registry's HEAD check skips those it
// has) with Jobs at a time.
func (r *restoreRun) uploadBlobs(ctx context.Context, repo name.Repository, img ArchiveImage, blobs []v1.Descriptor) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, r.c.opts.Jobs)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for _, b := range blobs {
		key := repo.Name() + "@" + b.Digest.String()
		if r.seen(key) {
			r.progress(b.Size)
			continue
		}
		r.mark(key)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(b v1.Descriptor) {
			defer wg.Done()
			defer func() { <-sem }()
			sr, ok := r.a.blob(b.Digest)
			if !ok {
				once.Do(func() {
					firstErr = &TamperedError{Object: blobPath(b.Digest), Role: "blob of " + img.Ref(), Why: "is missing"}
					cancel()
				})
				return
			}
			l := &archiveLayer{desc: b, open: sr, onRead: func(n int64) { r.progress(n) }}
			var up v1.Layer = l
			r.mu.Lock()
			from, ok := r.in[b.Digest]
			r.mu.Unlock()
			if ok {
				up = &remote.MountableLayer{Layer: l, Reference: from.Digest(b.Digest.String())}
			}
			err := r.pusher.Upload(ctx, repo, up)
			read := l.read.Load()
			if err == nil {
				r.mu.Lock()
				r.in[b.Digest] = repo
				r.mu.Unlock()
				if read == 0 {
					r.mu.Lock()
					r.res.BlobsExisting++
					r.mu.Unlock()
				} else {
					r.mu.Lock()
					r.res.BlobsUploaded++
					r.mu.Unlock()
					r.uploaded.Add(b.Size)
				}
				if rest := b.Size - read; rest > 0 {
					r.progress(rest)
				}
				return
			}
			once.Do(func() {
				var te *TamperedError
				if errors.As(err, &te) {
					te.Role = "blob of " + img.Ref()
					firstErr = te
				} else {
					firstErr = r.c.regErr(repo.Registry, "restore: upload blob "+repo.Digest(b.Digest.String()).Name(), r.c.explainHead(ctx, repo, transport.PushScope, err))
				}
				cancel()
			})
		}(b)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("registryclient: restore %s: %w", img.Ref(), err)
	}
	return nil
}

// archiveLayer is a blob of the archive as a layer for ggcr's pusher: read
// from the archive file at its offset, hashed again on the way (the file
// could change after OpenArchive checked it).
type archiveLayer struct {
	desc   v1.Descriptor
	open   *io.SectionReader
	onRead func(int64)
	read   atomic.Int64
}

func (l *archiveLayer) Digest() (v1.Hash, error) { return l.desc.Digest, nil }
func (l *archiveLayer) DiffID() (v1.Hash, error) {
	return v1.Hash{}, errors.New("registryclient: restore: a blob has no diff ID")
}
func (l *archiveLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *archiveLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *archiveLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("registryclient: restore: blobs are uploaded as they are")
}

func (l *archiveLayer) Compressed() (io.ReadCloser, error) {
	sr := io.NewSectionReader(l.open, 0, l.open.Size())
	return &verifyingReader{r: sr, h: sha256.New(), want: l.desc.Digest, l: l}, nil
}

// verifyingReader fails the read that reaches the end when the bytes do not
// hash to the blob's digest, so the upload is never completed.
type verifyingReader struct {
	r    io.Reader
	h    hash.Hash
	want v1.Hash
	l    *archiveLayer
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if n > 0 {
		v.l.read.Add(int64(n))
		if v.l.onRead != nil {
			v.l.onRead(int64(n))
		}
	}
	if errors.Is(err, io.EOF) && hex.EncodeToString(v.h.Sum(nil)) != v.want.Hex {
		return n, &TamperedError{Object: blobPath(v.want), Why: "changed while being restored (does not match its digest)"}
	}
	return n, err
}

func (v *verifyingReader) Close() error { return nil }
