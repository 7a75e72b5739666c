package registryclient

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	const (
		ociManifest = "application/vnd.oci.image.manifest.v1+json"
		ociIndex    = "application/vnd.oci.image.index.v1+json"
		ociConfig   = "application/vnd.oci.image.config.v1+json"
	)
	cases := []struct {
		name string
		f    ManifestFacts
		kind Kind
		want string
	}{
		{"docker v2 image", ManifestFacts{MediaType: "application/vnd.docker.distribution.manifest.v2+json", ConfigMediaType: "application/vnd.docker.container.image.v1+json"}, KindImage, "image"},
		{"OCI image", ManifestFacts{MediaType: ociManifest, ConfigMediaType: ociConfig, LayerMediaTypes: []string{"application/vnd.oci.image.layer.v1.tar+gzip"}}, KindImage, "image"},
		{"docker manifest list", ManifestFacts{MediaType: "application/vnd.docker.distribution.manifest.list.v2+json"}, KindIndex, "index"},
		{"OCI index", ManifestFacts{MediaType: ociIndex}, KindIndex, "index"},
		{"helm chart", ManifestFacts{MediaType: ociManifest, ConfigMediaType: HelmConfigType, LayerMediaTypes: []string{"application/vnd.cncf.helm.chart.content.v1.tar+gzip"}}, KindChart, "chart"},
		{"notary signature", ManifestFacts{MediaType: ociManifest, ArtifactType: NotarySignatureType, ConfigMediaType: emptyConfigType, LayerMediaTypes: []string{"application/jose+json"}}, KindSignature, "signature (notary)"},
		{"notary signature, config style", ManifestFacts{MediaType: ociManifest, ConfigMediaType: NotarySignatureType}, KindSignature, "signature (notary)"},
		{"cosign signature (tag style)", ManifestFacts{MediaType: ociManifest, ConfigMediaType: ociConfig, LayerMediaTypes: []string{cosignSimpleSigning}}, KindSignature, "signature (cosign)"},
		{"cosign signature (artifact)", ManifestFacts{MediaType: ociManifest, ArtifactType: cosignSigArtifact}, KindSignature, "signature (cosign)"},
		{"SPDX SBOM", ManifestFacts{MediaType: ociManifest, ArtifactType: "application/spdx+json"}, KindSBOM, "sbom (SPDX)"},
		{"CycloneDX SBOM", ManifestFacts{MediaType: ociManifest, ArtifactType: "application/vnd.cyclonedx+json"}, KindSBOM, "sbom (CycloneDX)"},
		{"SBOM in the layer, empty config", ManifestFacts{MediaType: ociManifest, ConfigMediaType: emptyConfigType, LayerMediaTypes: []string{"application/spdx+json"}}, KindSBOM, "sbom (SPDX)"},
		{"in-toto attestation", ManifestFacts{MediaType: ociManifest, ArtifactType: "application/vnd.in-toto+json"}, KindAttestation, "attestation (in-toto)"},
		{"artifact index", ManifestFacts{MediaType: ociIndex, ArtifactType: "application/vnd.example.bundle"}, KindArtifact, "artifact application/vnd.example.bundle"},
		{"other artifact", ManifestFacts{MediaType: ociManifest, ArtifactType: "application/vnd.example.thing"}, KindArtifact, "artifact application/vnd.example.thing"},
		{"wasm module (config type)", ManifestFacts{MediaType: ociManifest, ConfigMediaType: "application/vnd.wasm.config.v0+json"}, KindArtifact, "artifact application/vnd.wasm.config.v0+json"},
		{"hostile type", ManifestFacts{MediaType: ociManifest, ArtifactType: "application/x\x1b]0;pwned\x07\x1b[2J"}, KindArtifact, "artifact application/x"},
	}
	for _, tc := range cases {
		got := Classify(tc.f)
		if got.Kind != tc.kind || got.Summary() != tc.want {
			t.Errorf("%s: Classify = %q (%q), want %q (%q)", tc.name, got.Kind, got.Summary(), tc.kind, tc.want)
		}
	}
	if a := ClassifyReferrer(NotarySignatureType, "application/vnd.oci.image.manifest.v1+json"); a.Kind != KindSignature {
		t.Errorf("ClassifyReferrer(notary) = %+v", a)
	}
	long := Classify(ManifestFacts{MediaType: ociManifest, ArtifactType: "application/" + strings.Repeat("é", 400)})
	if len(long.Type) > 210 || !strings.HasSuffix(long.Type, "…") {
		t.Errorf("a 800-byte type is shown as %d bytes: %q", len(long.Type), long.Type)
	}
}

func TestParseChartConfigHostile(t *testing.T) {
	cases := []struct {
		name, body       string
		wantErr          string
		wantName, wantV  string
		wantApp          string
		wantSummaryEqual string
	}{
		{name: "chart", body: `{"name":"demo","version":"0.1.0","appVersion":"1.2.3","apiVersion":"v2"}`, wantName: "demo", wantV: "0.1.0", wantApp: "1.2.3", wantSummaryEqual: "chart demo 0.1.0 (app 1.2.3)"},
		{name: "no app version", body: `{"name":"demo","version":"0.1.0"}`, wantName: "demo", wantV: "0.1.0", wantSummaryEqual: "chart demo 0.1.0"},
		{name: "invalid JSON", body: `{"name":"demo","version":`, wantErr: "not valid JSON", wantSummaryEqual: "chart (config is not valid JSON)"},
		{name: "not an object", body: `["demo"]`, wantErr: "not valid JSON"},
		{name: "no name", body: `{"version":"1"}`, wantErr: "no chart name"},
		{name: "huge", body: `{"name":"demo","version":"1","description":"` + strings.Repeat("x", maxChartConfig) + `"}`, wantErr: "over 64 KiB"},
		{name: "control sequences", body: `{"name":"de\u001b[2Jmo\u001b]0;title\u0007","version":"1\u001b[31m.0","appVersion":"\r2"}`, wantName: "demo", wantV: "1.0", wantApp: "2"},
		{name: "wrong types", body: `{"name":7,"version":"1"}`, wantErr: "not valid JSON"},
	}
	for _, tc := range cases {
		ch := parseChartConfig([]byte(tc.body))
		a := Artifact{Kind: KindChart, Chart: ch}
		if tc.wantErr != "" {
			if !strings.Contains(ch.Err, tc.wantErr) {
				t.Errorf("%s: Err = %q, want %q", tc.name, ch.Err, tc.wantErr)
			}
		} else if ch.Err != "" || ch.Name != tc.wantName || ch.Version != tc.wantV || ch.AppVersion != tc.wantApp {
			t.Errorf("%s: chart = %+v, want %s %s %s", tc.name, ch, tc.wantName, tc.wantV, tc.wantApp)
		}
		if tc.wantSummaryEqual != "" && a.Summary() != tc.wantSummaryEqual {
			t.Errorf("%s: summary %q, want %q", tc.name, a.Summary(), tc.wantSummaryEqual)
		}
		if strings.ContainsAny(a.Summary(), "\x1b\x07\r") {
			t.Errorf("%s: summary carries control characters: %q", tc.name, a.Summary())
		}
	}
}

func TestParseManifestFactsHostile(t *testing.T) {
	if _, _, err := parseManifestFacts([]byte("not json"), "application/vnd.oci.image.manifest.v1+json"); err == nil {
		t.Error("a manifest that is not JSON parsed")
	}
	if _, _, err := parseManifestFacts(make([]byte, maxManifestRead+1), ""); err == nil {
		t.Error("an oversized manifest parsed")
	}
	f, _, err := parseManifestFacts([]byte(`{"config":{"mediaType":"`+HelmConfigType+`","digest":"sha256:`+strings.Repeat("a", 64)+`","size":10}}`), "application/vnd.oci.image.manifest.v1+json")
	if err != nil || Classify(f).Kind != KindChart {
		t.Errorf("a chart manifest without its own mediaType: %+v, %v", f, err)
	}
}

func TestReferrersTags(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	for tag, want := range map[string]bool{
		"sha256-" + hex:                  true,
		"sha256-" + hex + ".sig":         true,
		"sha256-" + hex + ".att":         true,
		"sha256-" + hex + ".sbom":        true,
		"sha256-" + hex + ".txt":         false,
		"sha256-" + hex[:60]:             false,
		"v1":                             false,
		"sha256-" + strings.ToUpper(hex): false,
	} {
		if IsReferrersTag(tag) != want {
			t.Errorf("IsReferrersTag(%q) = %v, want %v", tag, !want, want)
		}
	}
	if d, ok := referrersTagSubject("sha256-" + hex + ".sig"); !ok || d != "sha256:"+hex {
		t.Errorf("referrersTagSubject = %q, %v", d, ok)
	}
}
