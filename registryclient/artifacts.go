package registryclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/esbtui/esbtui/internal/termtext"
)

// Kind is what a manifest holds, told by its artifact and media types.
type Kind string

// The kinds esbtui tells apart.
const (
	KindImage       Kind = "image"       // a container image (docker v2 or OCI)
	KindIndex       Kind = "index"       // an index (manifest list) of images
	KindChart       Kind = "chart"       // a Helm chart
	KindSignature   Kind = "signature"   // a Notary Project or cosign signature
	KindSBOM        Kind = "sbom"        // an SPDX or CycloneDX document
	KindAttestation Kind = "attestation" // an in-toto statement or DSSE envelope
	KindArtifact    Kind = "artifact"    // any other OCI artifact
)

// Media and artifact types classification looks at.
const (
	HelmConfigType      = "application/vnd.cncf.helm.config.v1+json"
	NotarySignatureType = "application/vnd.cncf.notary.signature"
	cosignSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	cosignSigArtifact   = "application/vnd.dev.cosign.artifact.sig.v1+json"
	cosignSBOMArtifact  = "application/vnd.dev.cosign.artifact.sbom.v1+json"
	cosignAttArtifact   = "application/vnd.dev.cosign.artifact.att.v1+json"
	emptyConfigType     = "application/vnd.oci.empty.v1+json"
)

// imageConfigTypes are the config media types of a runnable image.
var imageConfigTypes = map[string]bool{
	"application/vnd.oci.image.config.v1+json":       true,
	"application/vnd.docker.container.image.v1+json": true,
}

// sbomTypes and attestationTypes map an artifact, config or layer media
// type to the format shown.
var (
	sbomTypes = map[string]string{
		"application/spdx+json":             "SPDX",
		"text/spdx":                         "SPDX",
		"text/spdx+json":                    "SPDX",
		"application/vnd.cyclonedx+json":    "CycloneDX",
		"application/vnd.cyclonedx+xml":     "CycloneDX",
		"application/vnd.cyclonedx":         "CycloneDX",
		"application/vnd.syft+json":         "Syft",
		cosignSBOMArtifact:                  "cosign",
		"application/vnd.spdx.sbom.v1+json": "SPDX",
	}
	attestationTypes = map[string]string{
		"application/vnd.in-toto+json":          "in-toto",
		"application/vnd.dsse.envelope.v1+json": "DSSE",
		cosignAttArtifact:                       "cosign",
	}
)

// Artifact says what a manifest is: its kind, the type that told it
// (artifactType, else a non-image config media type) and, for a Helm
// chart, the chart's name and versions. Every string is cleaned of control
// sequences.
type Artifact struct {
	Kind Kind `json:"kind"`
	// Format is the signature or document format (notary, cosign, SPDX, …).
	Format string `json:"format,omitempty"`
	Type   string `json:"type,omitempty"`
	Chart  *Chart `json:"chart,omitempty"`
}

// Chart is what a Helm chart's config says about it.
type Chart struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	AppVersion string `json:"app_version,omitempty"`
	// Err says why the config could not be read (the kind still holds).
	Err string `json:"error,omitempty"`
}

// Summary is the one-line description shown beside a tag or a referrer:
// "image", "chart demo 0.1.0 (app 1.2.3)", "signature (notary)", ….
func (a Artifact) Summary() string {
	switch {
	case a.Kind == KindChart && a.Chart != nil && a.Chart.Err == "":
		s := "chart " + a.Chart.Name + " " + a.Chart.Version
		if a.Chart.AppVersion != "" {
			s += " (app " + a.Chart.AppVersion + ")"
		}
		return s
	case a.Kind == KindChart && a.Chart != nil:
		return "chart (" + a.Chart.Err + ")"
	case a.Kind == KindArtifact && a.Type != "":
		return "artifact " + a.Type
	case a.Format != "":
		return string(a.Kind) + " (" + a.Format + ")"
	}
	return string(a.Kind)
}

// IsSignature reports whether a is a signature of any format.
func (a Artifact) IsSignature() bool { return a.Kind == KindSignature }

// ManifestFacts is what classification reads of a manifest.
type ManifestFacts struct {
	MediaType       string
	ArtifactType    string
	ConfigMediaType string
	LayerMediaTypes []string
}

// Classify tells what a manifest holds from its media types alone. An
// index or manifest with an artifactType is that artifact; a manifest is
// an image only when its config is an image config and it names no
// artifactType.
func Classify(f ManifestFacts) Artifact {
	mt := types.MediaType(f.MediaType)
	at := f.ArtifactType
	if at == "" && !mt.IsIndex() && f.ConfigMediaType != "" && f.ConfigMediaType != emptyConfigType && !imageConfigTypes[f.ConfigMediaType] {
		at = f.ConfigMediaType
	}
	if at == "" {
		switch {
		case mt.IsIndex():
			return Artifact{Kind: KindIndex}
		case isCosignSignature(f.LayerMediaTypes):
			return Artifact{Kind: KindSignature, Format: "cosign", Type: cosignSimpleSigning}
		case mt.IsImage() && (f.ConfigMediaType == "" || imageConfigTypes[f.ConfigMediaType]):
			return Artifact{Kind: KindImage}
		}
		// An OCI manifest with an empty config and no artifactType: the
		// layers' type says what it is.
		if len(f.LayerMediaTypes) > 0 {
			at = f.LayerMediaTypes[0]
		} else {
			at = f.MediaType
		}
	}
	return classifyType(at)
}

// ClassifyReferrer tells what a referrer is from the descriptor the
// referrers API (or the fallback index) lists: its artifactType.
func ClassifyReferrer(artifactType, mediaType string) Artifact {
	if artifactType == "" {
		return Classify(ManifestFacts{MediaType: mediaType})
	}
	return classifyType(artifactType)
}

// classifyType is the artifact an artifact type names.
func classifyType(at string) Artifact {
	clean := cleanShort(at)
	switch {
	case at == HelmConfigType:
		return Artifact{Kind: KindChart, Type: clean}
	case at == NotarySignatureType:
		return Artifact{Kind: KindSignature, Format: "notary", Type: clean}
	case at == cosignSigArtifact || at == cosignSimpleSigning:
		return Artifact{Kind: KindSignature, Format: "cosign", Type: clean}
	}
	if f, ok := sbomTypes[at]; ok {
		return Artifact{Kind: KindSBOM, Format: f, Type: clean}
	}
	if f, ok := attestationTypes[at]; ok {
		return Artifact{Kind: KindAttestation, Format: f, Type: clean}
	}
	if strings.HasPrefix(at, "application/vnd.in-toto.") {
		return Artifact{Kind: KindAttestation, Format: "in-toto", Type: clean}
	}
	return Artifact{Kind: KindArtifact, Type: clean}
}

func isCosignSignature(layers []string) bool {
	if len(layers) == 0 {
		return false
	}
	for _, l := range layers {
		if l != cosignSimpleSigning {
			return false
		}
	}
	return true
}

// cleanShort is s cleaned of control sequences and cut to 200 bytes (at a
// rune boundary): a type or a chart field is a short name.
func cleanShort(s string) string {
	s = strings.TrimSpace(termtext.Clean(s))
	if len(s) <= 200 {
		return s
	}
	cut := 200
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// maxManifestRead bounds a manifest esbtui reads to classify it
// (distribution's own limit on a pushed manifest).
const maxManifestRead = 4 << 20

// maxChartConfig bounds the Helm config blob esbtui reads: Chart.yaml's
// fields as JSON, a few KiB in practice.
const maxChartConfig = 64 << 10

// manifestFields is the part of a manifest or index classification reads.
type manifestFields struct {
	MediaType    string         `json:"mediaType"`
	ArtifactType string         `json:"artifactType"`
	Config       *v1.Descriptor `json:"config"`
	Layers       []struct {
		MediaType string `json:"mediaType"`
	} `json:"layers"`
	Subject *v1.Descriptor `json:"subject"`
}

// parseManifestFacts reads the facts of a manifest body sent as
// contentType (the body's own mediaType wins when it has one).
func parseManifestFacts(body []byte, contentType string) (ManifestFacts, *manifestFields, error) {
	if len(body) > maxManifestRead {
		return ManifestFacts{}, nil, fmt.Errorf("manifest of %d bytes is over the %d-byte limit", len(body), maxManifestRead)
	}
	var m manifestFields
	if err := json.Unmarshal(body, &m); err != nil {
		return ManifestFacts{}, nil, fmt.Errorf("manifest is not JSON: %w", err)
	}
	f := ManifestFacts{MediaType: m.MediaType, ArtifactType: m.ArtifactType}
	if f.MediaType == "" {
		f.MediaType = contentType
	}
	if m.Config != nil {
		f.ConfigMediaType = string(m.Config.MediaType)
	}
	for i, l := range m.Layers {
		if i == 64 {
			break
		}
		f.LayerMediaTypes = append(f.LayerMediaTypes, l.MediaType)
	}
	return f, &m, nil
}

// parseChartConfig reads a Helm config blob: hostile input, bounded by
// the caller; a body that is not the expected JSON gives a Chart with Err.
func parseChartConfig(body []byte) *Chart {
	if len(body) > maxChartConfig {
		return &Chart{Err: fmt.Sprintf("config over %d KiB, not read", maxChartConfig>>10)}
	}
	var cfg struct {
		Name       string `json:"name"`
		Version    string `json:"version"`
		AppVersion string `json:"appVersion"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&cfg); err != nil {
		return &Chart{Err: "config is not valid JSON"}
	}
	if cfg.Name == "" || cfg.Version == "" {
		return &Chart{Err: "config names no chart name or version"}
	}
	return &Chart{Name: cleanShort(cfg.Name), Version: cleanShort(cfg.Version), AppVersion: cleanShort(cfg.AppVersion)}
}

// describe classifies the manifest desc of repo; for a Helm chart it reads
// the chart's config blob (bounded). It never fails: what cannot be read
// is said in the Artifact.
func (c *Client) describe(ctx context.Context, repo name.Repository, desc *remote.Descriptor, extra ...remote.Option) Artifact {
	f, m, err := parseManifestFacts(desc.Manifest, string(desc.MediaType))
	if err != nil {
		return Artifact{Kind: KindArtifact, Type: cleanShort(string(desc.MediaType))}
	}
	a := Classify(f)
	if a.Kind == KindChart && m.Config != nil {
		a.Chart = c.chartConfig(ctx, repo, *m.Config, extra...)
	}
	return a
}

// chartConfig fetches and reads a Helm chart's config blob.
func (c *Client) chartConfig(ctx context.Context, repo name.Repository, cfg v1.Descriptor, extra ...remote.Option) *Chart {
	if cfg.Size > maxChartConfig {
		return &Chart{Err: fmt.Sprintf("config over %d KiB, not read", maxChartConfig>>10)}
	}
	l, err := remote.Layer(repo.Digest(cfg.Digest.String()), c.remoteOptions(ctx, extra...)...)
	if err != nil {
		return &Chart{Err: "config not readable"}
	}
	rc, err := l.Compressed()
	if err != nil {
		return &Chart{Err: "config not readable"}
	}
	defer rc.Close()
	// ggcr checks the digest when the blob is read to its end.
	body, err := io.ReadAll(io.LimitReader(rc, maxChartConfig+1))
	if err != nil {
		return &Chart{Err: "config not readable"}
	}
	return parseChartConfig(body)
}

// artifactCreated is the org.opencontainers.image.created annotation of a
// manifest, or the zero time.
func artifactCreated(body []byte) time.Time {
	var m struct {
		Annotations map[string]string `json:"annotations"`
	}
	if len(body) > maxManifestRead || json.Unmarshal(body, &m) != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, m.Annotations["org.opencontainers.image.created"])
	if err != nil {
		return time.Time{}
	}
	return t
}
