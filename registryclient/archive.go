package registryclient

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The backup archive: a tar of an OCI image layout (oci-layout,
// index.json, blobs/sha256/<hex>) that any OCI tool reads, plus esbtui's
// own description of what it holds (ArchiveManifestFile) and, with
// --with-ca, the sealed CA (ArchiveCAFile).
//
// index.json lists every tagged manifest once per tag, annotated with
//
//	org.opencontainers.image.ref.name = "REPOSITORY:TAG" (e.g. "team/app:1.0")
//	io.esbtui.backup.repository       = "REPOSITORY"
//	io.esbtui.backup.tag              = "TAG"
//
// and every referrer reachable through the referrers API from a tagged
// manifest (signatures, SBOMs) untagged, with the repository annotation
// only. Manifests of an index's children are blobs of the layout, as the
// image-layout spec has them.
const (
	ArchiveLayoutFile   = "oci-layout"
	ArchiveIndexFile    = "index.json"
	ArchiveManifestFile = "esbtui-backup.json"
	ArchiveCAFile       = "esbtui-ca.age"
	archiveBlobDir      = "blobs/sha256/"

	// ArchiveFormat names the archive format in ArchiveManifestFile.
	ArchiveFormat = "esbtui-backup/v1"

	AnnotationRefName    = "org.opencontainers.image.ref.name"
	AnnotationRepository = "io.esbtui.backup.repository"
	AnnotationTag        = "io.esbtui.backup.tag"

	// maxArchiveJSON bounds index.json, esbtui-backup.json and each
	// manifest read from an archive.
	maxArchiveJSON = 64 << 20
	// maxArchiveCA bounds the sealed CA entry.
	maxArchiveCA = 1 << 20
)

// ArchiveManifest is ArchiveManifestFile: what an archive holds.
type ArchiveManifest struct {
	Format        string              `json:"format"`
	EsbtuiVersion string              `json:"esbtui_version"`
	Created       time.Time           `json:"created"`
	Registry      string              `json:"registry"`
	Repositories  []ArchiveRepository `json:"repositories"`
	Blobs         int                 `json:"blobs"`
	// Bytes is the sum of the sizes of every blob (manifests included),
	// each counted once.
	Bytes int64 `json:"bytes"`
	// CA lists the store files sealed in ArchiveCAFile (empty: no CA).
	CA []string `json:"ca,omitempty"`
}

// ArchiveRepository is one repository of an archive.
type ArchiveRepository struct {
	Name      string       `json:"name"`
	Tags      []ArchiveTag `json:"tags"`
	Referrers []string     `json:"referrers,omitempty"` // untagged manifest digests
}

// ArchiveTag is one tag of an archive.
type ArchiveTag struct {
	Tag       string `json:"tag"`
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	// Size is the manifest's size plus every blob it reaches, counted once.
	Size int64 `json:"size"`
}

// manifestRefs is what any manifest (image, index, artifact) points at.
type manifestRefs struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	Config        *v1.Descriptor  `json:"config"`
	Layers        []v1.Descriptor `json:"layers"`
	Manifests     []v1.Descriptor `json:"manifests"`
	Blobs         []v1.Descriptor `json:"blobs"`
}

// parseManifestRefs reads the descriptors a manifest points at: the blobs
// (config, layers) and the child manifests (of an index).
func parseManifestRefs(raw []byte) (blobs, children []v1.Descriptor, err error) {
	var m manifestRefs
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, fmt.Errorf("not a manifest: %w", err)
	}
	if m.SchemaVersion != 2 {
		return nil, nil, fmt.Errorf("manifest schema version %d is not supported (only 2)", m.SchemaVersion)
	}
	if m.Config != nil {
		blobs = append(blobs, *m.Config)
	}
	blobs = append(blobs, m.Layers...)
	blobs = append(blobs, m.Blobs...)
	for _, d := range append(append([]v1.Descriptor(nil), blobs...), m.Manifests...) {
		if err := checkDescriptor(d); err != nil {
			return nil, nil, err
		}
	}
	return blobs, m.Manifests, nil
}

// checkDescriptor accepts sha256 digests of a sane size only: a digest
// becomes a file name in the archive.
func checkDescriptor(d v1.Descriptor) error {
	if d.Digest.Algorithm != "sha256" || len(d.Digest.Hex) != 64 || strings.Trim(d.Digest.Hex, "0123456789abcdef") != "" {
		return fmt.Errorf("descriptor digest %q is not a sha256 digest", d.Digest.String())
	}
	if d.Size < 0 {
		return fmt.Errorf("descriptor %s has a negative size", d.Digest)
	}
	return nil
}

// blobPath is where the layout keeps digest.
func blobPath(d v1.Hash) string { return archiveBlobDir + d.Hex }
