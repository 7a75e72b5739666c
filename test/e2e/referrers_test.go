package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// TestReferrersThroughTheStack: on the stack's registry (esbtui's image)
// an SBOM pushed by oras-go is listed by `esbtui inspect` and the referrers
// API, is no user's tag in `esbtui tags`, and survives `esbtui gc`
// (garbage-collect --delete-untagged: the SBOM is untagged, the referrers
// index that holds it is tagged).
func TestReferrersThroughTheStack(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	tr := caTransport(t, s.CACert())
	ref := s.Addr() + "/e2e/signed:v1"
	img, _ := random.Image(1<<16, 1)
	writeImage(t, tr, ref, img)
	dig, _ := img.Digest()
	mt, _ := img.MediaType()
	size, _ := img.Size()
	subject := ocispec.Descriptor{MediaType: string(mt), Digest: digest.Digest(dig.String()), Size: size}

	repo, err := orasremote.NewRepository(s.Addr() + "/e2e/signed")
	if err != nil {
		t.Fatal(err)
	}
	repo.Client = &auth.Client{Client: &http.Client{Transport: tr}}
	sbom, err := oras.PackManifest(context.Background(), repo, oras.PackManifestVersion1_1, "application/vnd.example.sbom", oras.PackManifestOptions{Subject: &subject})
	if err != nil {
		t.Fatalf("oras push the sbom: %v", err)
	}

	listed := func(when string) {
		t.Helper()
		res := mustCLI(t, s.Env, "inspect", ref, "--json")
		var in struct {
			Referrers []struct {
				Digest       string `json:"digest"`
				ArtifactType string `json:"artifact_type"`
			} `json:"referrers"`
		}
		if err := json.Unmarshal([]byte(res.Stdout), &in); err != nil {
			t.Fatalf("%s: inspect --json: %v\n%s", when, err, res.Stdout)
		}
		if len(in.Referrers) != 1 || in.Referrers[0].Digest != sbom.Digest.String() || in.Referrers[0].ArtifactType != "application/vnd.example.sbom" {
			t.Fatalf("%s: inspect lists referrers %+v, want the sbom %s", when, in.Referrers, sbom.Digest)
		}
		rc, err := repo.Fetch(context.Background(), sbom)
		if err != nil {
			t.Fatalf("%s: fetch the sbom: %v", when, err)
		}
		rc.Close()
	}
	listed("after the push")
	if tags := mustCLI(t, s.Env, "tags", "e2e/signed").Stdout; strings.TrimSpace(tags) != "v1  image" {
		t.Errorf("esbtui tags lists %q, want only v1", tags)
	}
	mustCLI(t, s.Env, "gc", "--json")
	listed("after gc")
}
