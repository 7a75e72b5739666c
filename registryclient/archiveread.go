package registryclient

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/termtext"
)

// TamperedError is an archive whose content does not match what it says
// it holds: a blob whose bytes do not hash to its name, a manifest that
// points at a blob the archive lacks, a size that differs.
type TamperedError struct {
	Object string // "blobs/sha256/<hex>"
	Role   string // "layer of team/app:1", may be empty
	Why    string
}

func (e *TamperedError) Error() string {
	obj := e.Object
	if e.Role != "" {
		obj += " (" + e.Role + ")"
	}
	return fmt.Sprintf("registryclient: the archive is damaged or was tampered with: %s %s; nothing was restored from it: use an intact copy of the backup", obj, e.Why)
}

// ArchiveImage is one index.json entry: a tag (Tag set) or an untagged
// referrer of Repository.
type ArchiveImage struct {
	Repository string
	Tag        string
	Desc       v1.Descriptor
}

// Ref is "repo:tag" or "repo@digest".
func (i ArchiveImage) Ref() string {
	if i.Tag != "" {
		return i.Repository + ":" + i.Tag
	}
	return i.Repository + "@" + i.Desc.Digest.String()
}

// Archive is an opened backup archive whose every blob hashed to its name
// and whose every manifest reaches only blobs it holds.
type Archive struct {
	r       io.ReaderAt
	entries map[string]archiveEntry
	// Images are the index.json entries, in order.
	Images []ArchiveImage
	// Manifest is esbtui-backup.json (nil for a layout another tool wrote).
	Manifest *ArchiveManifest
	// Bytes is the size of every blob, counted once.
	Bytes int64
}

type archiveEntry struct {
	off, size int64
}

// HasCA reports whether the archive holds a sealed CA.
func (a *Archive) HasCA() bool { _, ok := a.entries[ArchiveCAFile]; return ok }

// SealedCA returns a reader of the sealed CA entry.
func (a *Archive) SealedCA() (io.Reader, error) {
	e, ok := a.entries[ArchiveCAFile]
	if !ok {
		return nil, errors.New("registryclient: the archive holds no CA: it was written without --with-ca")
	}
	if e.size > maxArchiveCA {
		return nil, &TamperedError{Object: ArchiveCAFile, Why: "is larger than a sealed CA can be"}
	}
	return io.NewSectionReader(a.r, e.off, e.size), nil
}

// blob returns a reader of the blob d.
func (a *Archive) blob(d v1.Hash) (*io.SectionReader, bool) {
	e, ok := a.entries[blobPath(d)]
	if !ok {
		return nil, false
	}
	return io.NewSectionReader(a.r, e.off, e.size), true
}

// readSmall reads a whole entry of at most maxArchiveJSON bytes.
func (a *Archive) readSmall(name string) ([]byte, error) {
	e, ok := a.entries[name]
	if !ok {
		return nil, fmt.Errorf("no %s", name)
	}
	if e.size > maxArchiveJSON {
		return nil, &TamperedError{Object: name, Why: fmt.Sprintf("is %d bytes, more than the %d an archive's manifest may have", e.size, maxArchiveJSON)}
	}
	b := make([]byte, e.size)
	if _, err := a.r.ReadAt(b, e.off); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b, nil
}

// countingReader counts what was read through it (the tar reader reads
// headers block by block, so after Next the count is the entry's offset).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// OpenArchive reads the archive r (size bytes) once from start to end,
// hashing every blob, then checks that index.json and every manifest reach
// only blobs the archive holds, with the sizes it says. Any mismatch is a
// *TamperedError naming the object.
func OpenArchive(ctx context.Context, r io.ReaderAt, size int64, sink progress.Sink) (*Archive, error) {
	rep := progress.Reporter{Op: "restore", Sink: sink}
	a := &Archive{r: r, entries: map[string]archiveEntry{}}
	cr := &countingReader{r: io.NewSectionReader(r, 0, size)}
	tr := tar.NewReader(cr)
	var tampered []*TamperedError
	var lastEmit time.Time
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("registryclient: read the archive: %w", err)
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("registryclient: read the archive: not a readable tar (at byte %d): %w", cr.n, err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if h.Typeflag == tar.TypeDir {
			continue
		}
		if h.Typeflag != tar.TypeReg {
			return nil, &TamperedError{Object: termtext.Clean(name), Why: "is not a regular file"}
		}
		if _, dup := a.entries[name]; dup {
			return nil, &TamperedError{Object: termtext.Clean(name), Why: "appears twice"}
		}
		a.entries[name] = archiveEntry{off: cr.n, size: h.Size}
		hexd, isBlob := strings.CutPrefix(name, archiveBlobDir)
		if !isBlob {
			continue
		}
		if len(hexd) != 64 || strings.Trim(hexd, "0123456789abcdef") != "" {
			return nil, &TamperedError{Object: termtext.Clean(name), Why: "is not named by a sha256 digest"}
		}
		hs := sha256.New()
		if _, err := io.Copy(hs, tr); err != nil {
			return nil, fmt.Errorf("registryclient: read the archive: %s: %w", name, err)
		}
		if hex.EncodeToString(hs.Sum(nil)) != hexd {
			tampered = append(tampered, &TamperedError{Object: name, Why: "does not match its digest"})
		}
		a.Bytes += h.Size
		if time.Since(lastEmit) >= progressEvery {
			lastEmit = time.Now()
			rep.Emit(progress.Event{Step: "verify", Status: progress.Update, Current: cr.n, Total: size})
		}
	}
	if err := a.readIndex(); err != nil {
		return nil, err
	}
	if len(tampered) > 0 {
		t := tampered[0]
		t.Role = a.roleOf(t.Object)
		return nil, t
	}
	if err := a.checkReachable(); err != nil {
		return nil, err
	}
	rep.Emit(progress.Event{Step: "verify", Status: progress.Done, Current: size, Total: size,
		Message: fmt.Sprintf("%d images, every digest checked", len(a.Images))})
	return a, nil
}

// readIndex reads oci-layout, index.json and esbtui-backup.json.
func (a *Archive) readIndex() error {
	lb, err := a.readSmall(ArchiveLayoutFile)
	if err != nil {
		return fmt.Errorf("registryclient: read the archive: not an OCI image layout (%w)", err)
	}
	var layout struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(lb, &layout); err != nil || layout.Version != "1.0.0" {
		return &TamperedError{Object: ArchiveLayoutFile, Why: "is not an OCI image layout 1.0.0 marker"}
	}
	ib, err := a.readSmall(ArchiveIndexFile)
	if err != nil {
		return fmt.Errorf("registryclient: read the archive: %w", err)
	}
	// Names are checked as the spec has them, in a placeholder registry.
	reg, err := name.NewRegistry("localhost")
	if err != nil {
		return err
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(ib, &idx); err != nil {
		return &TamperedError{Object: ArchiveIndexFile, Why: "is not an image index: " + termtext.Clean(err.Error())}
	}
	for _, d := range idx.Manifests {
		if err := checkDescriptor(d); err != nil {
			return &TamperedError{Object: ArchiveIndexFile, Why: termtext.Clean(err.Error())}
		}
		img := ArchiveImage{Repository: d.Annotations[AnnotationRepository], Tag: d.Annotations[AnnotationTag], Desc: d}
		if img.Repository == "" {
			// A layout another tool wrote: "repo:tag" in ref.name.
			rn := d.Annotations[AnnotationRefName]
			i := strings.LastIndex(rn, ":")
			if i <= 0 || strings.Contains(rn[i:], "/") {
				continue // no repository to restore it into
			}
			img.Repository, img.Tag = rn[:i], rn[i+1:]
		}
		if !validRepoName(reg)(img.Repository) {
			return &TamperedError{Object: ArchiveIndexFile, Why: fmt.Sprintf("names an invalid repository %q", termtext.Clean(img.Repository))}
		}
		if img.Tag != "" && !validTagName(reg.Repo(img.Repository))(img.Tag) {
			return &TamperedError{Object: ArchiveIndexFile, Why: fmt.Sprintf("names an invalid tag %q", termtext.Clean(img.Tag))}
		}
		a.Images = append(a.Images, img)
	}
	if _, ok := a.entries[ArchiveManifestFile]; ok {
		mb, err := a.readSmall(ArchiveManifestFile)
		if err != nil {
			return fmt.Errorf("registryclient: read the archive: %w", err)
		}
		var m ArchiveManifest
		if err := json.Unmarshal(mb, &m); err != nil {
			return &TamperedError{Object: ArchiveManifestFile, Why: "is not esbtui's archive manifest"}
		}
		a.Manifest = &m
	}
	return nil
}

// checkReachable walks every manifest from index.json: each must be in
// the archive with the size its parent says, and so must each blob.
func (a *Archive) checkReachable() error {
	seen := map[v1.Hash]bool{}
	var walk func(d v1.Descriptor, role string, manifest bool) error
	walk = func(d v1.Descriptor, role string, manifest bool) error {
		if seen[d.Digest] {
			return nil
		}
		seen[d.Digest] = true
		e, ok := a.entries[blobPath(d.Digest)]
		if !ok {
			return &TamperedError{Object: blobPath(d.Digest), Role: role, Why: "is missing"}
		}
		if e.size != d.Size {
			return &TamperedError{Object: blobPath(d.Digest), Role: role, Why: fmt.Sprintf("is %d bytes, its parent says %d", e.size, d.Size)}
		}
		if !manifest {
			return nil
		}
		raw, err := a.readSmall(blobPath(d.Digest))
		if err != nil {
			return err
		}
		blobs, children, err := parseManifestRefs(raw)
		if err != nil {
			return &TamperedError{Object: blobPath(d.Digest), Role: role, Why: termtext.Clean(err.Error())}
		}
		for _, b := range blobs {
			if err := walk(b, "blob of "+role, false); err != nil {
				return err
			}
		}
		for _, c := range children {
			if err := walk(c, "manifest of "+role, true); err != nil {
				return err
			}
		}
		return nil
	}
	for _, img := range a.Images {
		if err := walk(img.Desc, "manifest of "+img.Ref(), true); err != nil {
			return err
		}
	}
	return nil
}

// roleOf says which image uses the blob at object (best effort, through
// intact manifests only).
func (a *Archive) roleOf(object string) string {
	for _, img := range a.Images {
		if blobPath(img.Desc.Digest) == object {
			return "manifest of " + img.Ref()
		}
		raw, err := a.readSmall(blobPath(img.Desc.Digest))
		if err != nil || hashHex(raw) != img.Desc.Digest.Hex {
			continue
		}
		blobs, children, err := parseManifestRefs(raw)
		if err != nil {
			continue
		}
		for _, b := range append(blobs, children...) {
			if blobPath(b.Digest) == object {
				return "referenced by " + img.Ref()
			}
		}
	}
	return ""
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// manifestOf reads and re-checks the manifest d from the archive.
func (a *Archive) manifestOf(d v1.Hash) ([]byte, error) {
	raw, err := a.readSmall(blobPath(d))
	if err != nil {
		return nil, err
	}
	if hashHex(raw) != d.Hex {
		return nil, &TamperedError{Object: blobPath(d), Why: "changed while being restored"}
	}
	return raw, nil
}
