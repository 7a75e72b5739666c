package registryclient

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/internal/termtext"
)

// Referrer is one manifest whose subject is the inspected one: a
// signature, an SBOM, an attestation.
type Referrer struct {
	Digest string `json:"digest"`
	// Kind and Format say what the referrer is (signature, SBOM, …).
	Kind         Kind              `json:"kind"`
	Format       string            `json:"format,omitempty"`
	MediaType    string            `json:"media_type"`
	ArtifactType string            `json:"artifact_type,omitempty"`
	Size         int64             `json:"size"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// maxReferrers bounds how many referrers inspect lists.
const maxReferrers = 1000

// referrersTagPattern matches the OCI 1.1 referrers tag schema's tag of a
// sha256 subject (an index of referrers) and cosign's tags of one
// (`.sig`, `.att`, `.sbom`): artifacts that belong to an image, not images
// a user tagged.
var referrersTagPattern = regexp.MustCompile(`^sha256-([0-9a-f]{64})(\.sig|\.att|\.sbom)?$`)

// IsReferrersTag reports whether tag is a referrers fallback tag or a
// cosign signature, attestation or SBOM tag.
func IsReferrersTag(tag string) bool { return referrersTagPattern.MatchString(tag) }

// referrersTagSubject is the subject digest ("sha256:<hex>") a referrers
// or cosign tag belongs to, and whether tag is one.
func referrersTagSubject(tag string) (string, bool) {
	m := referrersTagPattern.FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	return "sha256:" + m[1], true
}

// cosignSuffixes are the tags cosign keeps beside an image's digest.
var cosignSuffixes = []string{".sig", ".att", ".sbom"}

// referrers lists the referrers of repo@digest: through the referrers API
// when the registry has it (esbtui's does), else through the tag-schema
// fallback index (registry:3 and others), as ggcr does. Text the registry
// sent is cleaned for the terminal.
func (c *Client) referrers(ctx context.Context, repo name.Repository, digest string) ([]Referrer, error) {
	idx, err := remote.Referrers(repo.Digest(digest), c.remoteOptions(ctx)...)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	return referrersIn(im), nil
}

// indexReferrers lists the referrers of repo@digest from its tag-schema
// index alone (one request), for callers that already know the index
// exists: esbtui's registry keeps it beside its referrers API, and
// registries without the API are read through it anyway.
func (c *Client) indexReferrers(ctx context.Context, repo name.Repository, digest string, extra ...remote.Option) ([]Referrer, error) {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok {
		return c.referrers(ctx, repo, digest)
	}
	desc, err := remote.Get(repo.Tag("sha256-"+hex), c.remoteOptions(ctx, extra...)...)
	if err != nil {
		return nil, err
	}
	if len(desc.Manifest) > maxManifestRead {
		return nil, fmt.Errorf("the referrers index of %s@%s is over %d bytes", repo.Name(), digest, maxManifestRead)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("the referrers index of %s@%s: %w", repo.Name(), digest, err)
	}
	return referrersIn(im), nil
}

// referrersIn describes the entries of a referrers index (at most
// maxReferrers), their text cleaned for the terminal.
func referrersIn(im *v1.IndexManifest) []Referrer {
	out := []Referrer{}
	for i, d := range im.Manifests {
		if i == maxReferrers {
			break
		}
		a := ClassifyReferrer(d.ArtifactType, string(d.MediaType))
		r := Referrer{Digest: d.Digest.String(), Kind: a.Kind, Format: a.Format, MediaType: termtext.Clean(string(d.MediaType)), ArtifactType: termtext.Clean(d.ArtifactType), Size: d.Size}
		if len(d.Annotations) > 0 {
			r.Annotations = map[string]string{}
			for k, v := range d.Annotations {
				r.Annotations[termtext.Clean(k)] = termtext.Clean(v)
			}
		}
		out = append(out, r)
	}
	return out
}

// splitReferrersTags separates referrers fallback tags from the rest.
func splitReferrersTags(tags []string) (user, referrers []string) {
	user = make([]string, 0, len(tags))
	for _, t := range tags {
		if IsReferrersTag(t) {
			referrers = append(referrers, t)
		} else {
			user = append(user, t)
		}
	}
	return user, referrers
}

// Summary is the one-line description of r ("signature (notary)").
func (r Referrer) Summary() string {
	return Artifact{Kind: r.Kind, Format: r.Format, Type: r.ArtifactType}.Summary()
}
