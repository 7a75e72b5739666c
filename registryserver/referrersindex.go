package registryserver

import (
	"encoding/json"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The referrers of a manifest are kept as the OCI 1.1 referrers tag
// schema's fallback index (tag `<alg>-<hex>` of the subject digest), in
// distribution's own storage: clients that use the fallback and clients
// that use the referrers API see the same set.

// fallbackTag is the tag-schema tag of subject: the algorithm truncated
// to 32 characters, a dash, the encoded digest truncated to 64.
func fallbackTag(subject digest.Digest) string {
	alg, enc := string(subject.Algorithm()), subject.Encoded()
	if len(alg) > 32 {
		alg = alg[:32]
	}
	if len(enc) > 64 {
		enc = enc[:64]
	}
	return alg + "-" + enc
}

// pushedManifest is what esbtui reads of a manifest or index: enough to
// describe it as a referrer.
type pushedManifest struct {
	MediaType    string              `json:"mediaType"`
	ArtifactType string              `json:"artifactType"`
	Config       *ocispec.Descriptor `json:"config"`
	Subject      *ocispec.Descriptor `json:"subject"`
	Annotations  map[string]string   `json:"annotations"`
}

// parseSubject returns the manifest in body if it names a valid subject,
// or nil: a body that is not JSON or has no subject is distribution's to
// judge, not esbtui's.
func parseSubject(body []byte) *pushedManifest {
	var m pushedManifest
	if err := json.Unmarshal(body, &m); err != nil || m.Subject == nil {
		return nil
	}
	if m.Subject.Digest.Validate() != nil {
		return nil
	}
	return &m
}

// referrerDescriptor describes the manifest m (stored as dgst, size bytes,
// sent as contentType) the way the referrers API lists it: its
// artifactType, else its config's media type.
func referrerDescriptor(m *pushedManifest, dgst digest.Digest, size int64, contentType string) ocispec.Descriptor {
	mt := m.MediaType
	if mt == "" {
		mt = contentType
	}
	at := m.ArtifactType
	if at == "" && m.Config != nil {
		at = m.Config.MediaType
	}
	return ocispec.Descriptor{MediaType: mt, ArtifactType: at, Digest: dgst, Size: size, Annotations: m.Annotations}
}

// emptyReferrers is an image index with no manifests (never `null`).
func emptyReferrers() ocispec.Index {
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	idx.SchemaVersion = 2
	return idx
}

// parseReferrers reads a fallback index.
func parseReferrers(body []byte) (ocispec.Index, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(body, &idx); err != nil {
		return idx, fmt.Errorf("read the referrers index: %w", err)
	}
	if idx.Manifests == nil {
		idx.Manifests = []ocispec.Descriptor{}
	}
	idx.SchemaVersion = 2
	idx.MediaType = ocispec.MediaTypeImageIndex
	return idx, nil
}

// withReferrer is idx with d added (replacing an entry of the same digest).
func withReferrer(idx ocispec.Index, d ocispec.Descriptor) ocispec.Index {
	idx = withoutReferrer(idx, d.Digest)
	idx.Manifests = append(idx.Manifests, d)
	return idx
}

// withoutReferrer is idx without the entries of digest dgst.
func withoutReferrer(idx ocispec.Index, dgst digest.Digest) ocispec.Index {
	kept := make([]ocispec.Descriptor, 0, len(idx.Manifests))
	for _, d := range idx.Manifests {
		if d.Digest != dgst {
			kept = append(kept, d)
		}
	}
	idx.Manifests = kept
	return idx
}

// filterReferrers keeps the entries whose artifactType is one of types.
func filterReferrers(idx ocispec.Index, types []string) ocispec.Index {
	kept := make([]ocispec.Descriptor, 0, len(idx.Manifests))
	for _, d := range idx.Manifests {
		for _, t := range types {
			if d.ArtifactType == t {
				kept = append(kept, d)
				break
			}
		}
	}
	idx.Manifests = kept
	return idx
}
