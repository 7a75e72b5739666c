package registryclient

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/esbtui/esbtui/internal/progress"
)

// BackupOptions configure Backup.
type BackupOptions struct {
	// Registry is the registry to back up ("localhost:5000").
	Registry string
	// EsbtuiVersion is recorded in the archive's manifest.
	EsbtuiVersion string
	// SealedCA, when set, is written as ArchiveCAFile: the CA already
	// encrypted (pki.Store.Seal); CAFiles names what it holds.
	SealedCA []byte
	CAFiles  []string
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// BackupResult says what Backup wrote.
type BackupResult struct {
	ArchiveManifest
	Elapsed time.Duration `json:"elapsed_ns"`
}

// backupPlan is everything a backup will write, found before the first
// blob byte is read, so progress has a total.
type backupPlan struct {
	index     []v1.Descriptor // index.json entries
	manifests map[v1.Hash][]byte
	mOrder    []v1.Hash
	blobs     []blobRef
	seen      map[v1.Hash]bool
	bytes     int64
	repos     []ArchiveRepository
}

type blobRef struct {
	repo name.Repository
	desc v1.Descriptor
}

// Backup writes every repository, tag and referrer of o.Registry to w as a
// tar of an OCI image layout (see ArchiveFormat). Blobs are streamed from
// the registry into the tar, each once, and their digests checked on the
// way. It writes nothing when the registry cannot be listed.
func (c *Client) Backup(ctx context.Context, w io.Writer, o BackupOptions, sink progress.Sink) (*BackupResult, error) {
	start := time.Now()
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	rep := progress.Reporter{Op: "backup", Sink: sink}
	plan, err := c.planBackup(ctx, o.Registry, rep)
	if err != nil {
		return nil, err
	}
	res := &BackupResult{ArchiveManifest: ArchiveManifest{
		Format: ArchiveFormat, EsbtuiVersion: o.EsbtuiVersion, Created: now().UTC(), Registry: o.Registry,
		Repositories: plan.repos, Blobs: len(plan.seen), Bytes: plan.bytes, CA: o.CAFiles,
	}}
	bw := bufio.NewWriterSize(w, 1<<20)
	tw := tar.NewWriter(bw)
	mtime := res.Created
	put := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := put(ArchiveLayoutFile, []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return nil, fmt.Errorf("registryclient: backup: write the archive: %w", err)
	}
	var done int64
	var lastEmit time.Time
	report := func() {
		if time.Since(lastEmit) >= progressEvery || done == plan.bytes {
			lastEmit = time.Now()
			rep.Emit(progress.Event{Step: "blobs", Status: progress.Update, Current: done, Total: plan.bytes})
		}
	}
	next, stop := newBlobFetcher(c).prefetch(ctx, plan.blobs, c.opts.Jobs)
	defer stop()
	for _, b := range plan.blobs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("registryclient: backup: %w", err)
		}
		n, err := c.copyBlob(tw, b, next(), mtime)
		done += n
		if err != nil {
			return nil, err
		}
		report()
	}
	for _, d := range plan.mOrder {
		if err := put(blobPath(d), plan.manifests[d]); err != nil {
			return nil, fmt.Errorf("registryclient: backup: write the archive: %w", err)
		}
		done += int64(len(plan.manifests[d]))
		report()
	}
	index := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: plan.index}
	ib, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("registryclient: backup: %w", err)
	}
	mb, err := json.MarshalIndent(res.ArchiveManifest, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("registryclient: backup: %w", err)
	}
	if err := put(ArchiveIndexFile, ib); err != nil {
		return nil, fmt.Errorf("registryclient: backup: write the archive: %w", err)
	}
	if err := put(ArchiveManifestFile, mb); err != nil {
		return nil, fmt.Errorf("registryclient: backup: write the archive: %w", err)
	}
	if len(o.SealedCA) > 0 {
		if err := put(ArchiveCAFile, o.SealedCA); err != nil {
			return nil, fmt.Errorf("registryclient: backup: write the archive: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("registryclient: backup: write the archive: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("registryclient: backup: write the archive: %w", err)
	}
	res.Elapsed = time.Since(start)
	rep.Emit(progress.Event{Step: "blobs", Status: progress.Done, Current: plan.bytes, Total: plan.bytes,
		Message: fmt.Sprintf("%d repositories, %d blobs", len(plan.repos), len(plan.seen))})
	return res, nil
}

// planBackup lists the registry and reads every manifest (small) to find
// the blobs to copy.
func (c *Client) planBackup(ctx context.Context, registry string, rep progress.Reporter) (*backupPlan, error) {
	cat, err := c.Catalog(ctx, registry)
	if err != nil {
		return nil, fmt.Errorf("registryclient: backup: %w", err)
	}
	p := &backupPlan{manifests: map[v1.Hash][]byte{}, seen: map[v1.Hash]bool{}}
	if len(cat.Invalid) > 0 {
		rep.Emit(progress.Event{Step: "scan", Status: progress.Warning, Message: fmt.Sprintf("left out %d repositories the registry listed under invalid names: %s", len(cat.Invalid), strings.Join(cat.Invalid, ", "))})
	}
	for _, repoName := range cat.Repositories {
		tr, err := c.Tags(ctx, registry+"/"+repoName, registry)
		if err != nil {
			var nf *NotFoundError
			if errors.As(err, &nf) {
				continue // listed but empty (all tags deleted)
			}
			return nil, fmt.Errorf("registryclient: backup: %w", err)
		}
		repo, err := ParseRepository(registry+"/"+repoName, registry)
		if err != nil {
			return nil, err
		}
		ar := ArchiveRepository{Name: repoName}
		if len(tr.Invalid) > 0 {
			rep.Emit(progress.Event{Step: "scan", Item: repoName, Status: progress.Warning, Message: fmt.Sprintf("left out %d tags listed under invalid names: %s", len(tr.Invalid), strings.Join(tr.Invalid, ", "))})
		}
		tags := append(append([]string(nil), tr.Tags...), tr.ReferrersTags...)
		sort.Strings(tags)
		for _, tag := range tags {
			desc, err := remote.Get(repo.Tag(tag), c.remoteOptions(ctx)...)
			if err != nil {
				var nf *NotFoundError
				if errors.As(notFound("manifest", repo.Tag(tag).Name(), err), &nf) {
					continue // deleted since the listing
				}
				return nil, c.regErr(repo.Registry, "backup: read "+repo.Tag(tag).Name(), err)
			}
			size, err := p.addManifest(ctx, c, repo, desc.Descriptor, desc.Manifest)
			if err != nil {
				return nil, fmt.Errorf("registryclient: backup %s: %w", repo.Tag(tag).Name(), err)
			}
			d := desc.Descriptor
			d.Annotations = map[string]string{AnnotationRefName: repoName + ":" + tag, AnnotationRepository: repoName, AnnotationTag: tag}
			d.Platform = nil
			p.index = append(p.index, d)
			ar.Tags = append(ar.Tags, ArchiveTag{Tag: tag, Digest: d.Digest.String(), MediaType: string(d.MediaType), Size: size})
			if IsReferrersTag(tag) {
				continue
			}
			refs, err := c.referrers(ctx, repo, d.Digest.String())
			if err != nil {
				continue // no referrers API and no fallback index: none to keep
			}
			for _, r := range refs {
				h, err := v1.NewHash(r.Digest)
				if err != nil || p.manifests[h] != nil {
					continue
				}
				rd, err := remote.Get(repo.Digest(h.String()), c.remoteOptions(ctx)...)
				if err != nil {
					return nil, c.regErr(repo.Registry, "backup: read referrer "+repo.Digest(h.String()).Name(), err)
				}
				if _, err := p.addManifest(ctx, c, repo, rd.Descriptor, rd.Manifest); err != nil {
					return nil, fmt.Errorf("registryclient: backup referrer %s: %w", repo.Digest(h.String()).Name(), err)
				}
				ud := rd.Descriptor
				ud.Annotations = map[string]string{AnnotationRepository: repoName}
				ud.Platform = nil
				p.index = append(p.index, ud)
				ar.Referrers = append(ar.Referrers, h.String())
			}
		}
		if len(ar.Tags) > 0 || len(ar.Referrers) > 0 {
			p.repos = append(p.repos, ar)
			rep.Emit(progress.Event{Step: "scan", Item: repoName, Status: progress.Info, Message: fmt.Sprintf("%d tags", len(ar.Tags))})
		}
	}
	return p, nil
}

// addManifest records a manifest, its blobs and (for an index) its
// children, and returns the bytes it reaches, each blob counted once.
func (p *backupPlan) addManifest(ctx context.Context, c *Client, repo name.Repository, d v1.Descriptor, raw []byte) (int64, error) {
	if err := checkDescriptor(d); err != nil {
		return 0, err
	}
	if got := sha256.Sum256(raw); hex.EncodeToString(got[:]) != d.Digest.Hex {
		return 0, fmt.Errorf("manifest %s: the registry sent content of another digest", d.Digest)
	}
	blobs, children, err := parseManifestRefs(raw)
	if err != nil {
		return 0, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	size := int64(len(raw))
	if p.manifests[d.Digest] == nil {
		p.manifests[d.Digest] = raw
		p.mOrder = append(p.mOrder, d.Digest)
		p.bytes += int64(len(raw))
	}
	for _, b := range blobs {
		size += b.Size
		if !p.seen[b.Digest] {
			p.seen[b.Digest] = true
			p.blobs = append(p.blobs, blobRef{repo: repo, desc: b})
			p.bytes += b.Size
		}
	}
	for _, ch := range children {
		if raw := p.manifests[ch.Digest]; raw != nil {
			size += int64(len(raw))
			continue
		}
		cd, err := remote.Get(repo.Digest(ch.Digest.String()), c.remoteOptions(ctx)...)
		if err != nil {
			return 0, c.regErr(repo.Registry, "backup: read "+repo.Digest(ch.Digest.String()).Name(), err)
		}
		n, err := p.addManifest(ctx, c, repo, cd.Descriptor, cd.Manifest)
		if err != nil {
			return 0, err
		}
		size += n
	}
	p.seen[d.Digest] = true
	return size, nil
}

// copyBlob streams one blob (its GET already started) into the tar,
// checking its size and digest; it returns the bytes copied.
func (c *Client) copyBlob(tw *tar.Writer, b blobRef, o opened, mtime time.Time) (int64, error) {
	ref := b.repo.Digest(b.desc.Digest.String())
	if o.err != nil {
		return 0, c.regErr(b.repo.Registry, "backup: read blob "+ref.Name(), o.err)
	}
	defer o.body.Close()
	if err := tw.WriteHeader(&tar.Header{Name: blobPath(b.desc.Digest), Mode: 0o644, Size: b.desc.Size, ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return 0, fmt.Errorf("registryclient: backup: write the archive: %w", err)
	}
	h := sha256.New()
	n, err := io.CopyN(io.MultiWriter(tw, h), o.body, b.desc.Size)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return n, fmt.Errorf("registryclient: backup: blob %s: the registry sent %d bytes, its manifest says %d", ref.Name(), n, b.desc.Size)
		}
		return n, c.regErr(b.repo.Registry, "backup: copy blob "+ref.Name(), err)
	}
	if hex.EncodeToString(h.Sum(nil)) != b.desc.Digest.Hex {
		return n, fmt.Errorf("registryclient: backup: blob %s: the registry sent content of another digest", ref.Name())
	}
	return n, nil
}

// progressEvery bounds byte-progress events to 20 a second.
const progressEvery = 50 * time.Millisecond
