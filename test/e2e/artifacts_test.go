package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

const notarySignature = "application/vnd.cncf.notary.signature"

// orasAt is repo at addr through oras-go over tr.
func orasAt(t testing.TB, tr http.RoundTripper, addr, repo string) *orasremote.Repository {
	t.Helper()
	r, err := orasremote.NewRepository(addr + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	r.Client = &auth.Client{Client: &http.Client{Transport: tr}}
	return r
}

// refersTo pushes an artifact of artifactType (one small layer) whose
// subject is img: a signature or an SBOM, the way notation and oras push
// them (referrers API, or the tag-schema index where there is none).
func refersTo(t testing.TB, repo *orasremote.Repository, img v1.Image, artifactType string) ocispec.Descriptor {
	t.Helper()
	dig, _ := img.Digest()
	mt, _ := img.MediaType()
	size, _ := img.Size()
	subject := ocispec.Descriptor{MediaType: string(mt), Digest: digest.Digest(dig.String()), Size: size}
	ctx := context.Background()
	layer, err := oras.PushBytes(ctx, repo, "application/octet-stream", []byte(artifactType+" of "+dig.String()))
	if err != nil {
		t.Fatal(err)
	}
	d, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, artifactType, oras.PackManifestOptions{Subject: &subject, Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatalf("push the %s: %v", artifactType, err)
	}
	return d
}

// referrersOf lists img's referrers through the registry's API (oras-go
// falls back to the tag schema on a registry without it).
func referrersOf(t testing.TB, repo *orasremote.Repository, dgst v1.Hash) []string {
	t.Helper()
	var out []string
	err := repo.Referrers(context.Background(), ocispec.Descriptor{Digest: digest.Digest(dgst.String()), MediaType: ocispec.MediaTypeImageManifest}, "", func(rs []ocispec.Descriptor) error {
		for _, r := range rs {
			out = append(out, r.ArtifactType+" "+r.Digest.String())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("referrers of %s: %v", dgst, err)
	}
	slices.Sort(out)
	return out
}

// listTags is the registry's tags/list (referrers tags included).
func listTags(t testing.TB, repo *orasremote.Repository) []string {
	t.Helper()
	var tags []string
	if err := repo.Tags(context.Background(), "", func(ts []string) error { tags = append(tags, ts...); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(tags)
	return tags
}

func present(t testing.TB, repo *orasremote.Repository, d ocispec.Descriptor) bool {
	t.Helper()
	ok, err := repo.Exists(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// startFixtureRegistry runs the registry:3-like fixture image (no
// referrers API) with the stack's certificate on a port of its own and
// returns its address; removed when the test ends.
func startFixtureRegistry(t testing.TB, s *testStack) string {
	t.Helper()
	port := freePort(t)
	name := randomName("esbe2e-fixture")
	docker(t, "run", "-d", "--name", name, "-p", fmt.Sprintf("127.0.0.1:%d:5000", port),
		"-v", filepath.Join(s.Home, "certs")+":/certs:ro",
		"-e", "REGISTRY_HTTP_TLS_CERTIFICATE=/certs/server.crt", "-e", "REGISTRY_HTTP_TLS_KEY=/certs/server.key",
		"-e", "REGISTRY_STORAGE_DELETE_ENABLED=true", "-e", "OTEL_TRACES_EXPORTER=none", s.Image)
	t.Cleanup(func() { docker(t, "rm", "-f", "-v", name) })
	addr := fmt.Sprintf("localhost:%d", port)
	tr := caTransport(t, s.CACert())
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, err := getV2(tr, addr)
		if err == nil && code == http.StatusOK {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fixture registry at %s never answered: %d %v", addr, code, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestArtifactsAndReferrersThroughTheStack, on the stack's registry
// (esbtui's image, referrers API): tags marks signed tags and inspect
// lists signatures and SBOMs by kind; prune --keep 1 keeps the kept
// image's referrers and deletes the pruned ones' (listed through the
// referrers API and tags/list: nothing orphaned); copy to the fixture
// registry (no API) carries them along through the tag schema; gc
// --delete-untagged keeps the referrers of the live image; rm takes them
// away; a Helm-chart-shaped artifact shows as a chart in tags, inspect
// and catalog.
func TestArtifactsAndReferrersThroughTheStack(t *testing.T) {
	// Not parallel: helmPush sets DOCKER_CONFIG for Helm's client (t.Setenv).
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	tr := caTransport(t, s.CACert())
	repo := orasAt(t, tr, s.Addr(), "e2e/app")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	imgs := map[string]v1.Image{}
	digests := map[string]v1.Hash{}
	for i, tag := range []string{"v1", "v2", "v3"} {
		img, _ := random.Image(1<<12, 1)
		img, err := mutate.CreatedAt(img, v1.Time{Time: base.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		imgs[tag] = img
		digests[tag], _ = img.Digest()
		writeImage(t, tr, s.Addr()+"/e2e/app:"+tag, img)
	}
	sig2 := refersTo(t, repo, imgs["v2"], notarySignature)
	sbom2 := refersTo(t, repo, imgs["v2"], "application/vnd.cyclonedx+json")
	sig3 := refersTo(t, repo, imgs["v3"], notarySignature)
	sbom3 := refersTo(t, repo, imgs["v3"], "application/spdx+json")
	want3 := []string{"application/spdx+json " + sbom3.Digest.String(), notarySignature + " " + sig3.Digest.String()}
	slices.Sort(want3)

	// tags: v2 and v3 signed, v1 not, all images.
	var tl struct {
		Tags    []string `json:"tags"`
		Details []struct {
			Tag     string `json:"tag"`
			Summary string `json:"summary"`
			Signed  bool   `json:"signed"`
		} `json:"details"`
	}
	res := mustCLI(t, s.Env, "tags", "e2e/app", "--json")
	if err := json.Unmarshal([]byte(res.Stdout), &tl); err != nil {
		t.Fatalf("tags --json: %v\n%s", err, res.Stdout)
	}
	signed := map[string]bool{}
	for _, d := range tl.Details {
		signed[d.Tag] = d.Signed
		if d.Summary != "image" {
			t.Errorf("tag %s is shown as %q, want image", d.Tag, d.Summary)
		}
	}
	if !slices.Equal(tl.Tags, []string{"v1", "v2", "v3"}) || signed["v1"] || !signed["v2"] || !signed["v3"] {
		t.Errorf("tags %v, signed %v: want v1 v2 v3, v2 and v3 signed", tl.Tags, signed)
	}
	if text := mustCLI(t, s.Env, "tags", "e2e/app").Stdout; !strings.Contains(text, "v3  image  ✓ signed") || strings.Contains(text, "v1  image  ✓") {
		t.Errorf("tags text does not mark v3 (and not v1) signed:\n%s", text)
	}

	// inspect v3: its signature and SBOM, by kind.
	var in struct {
		Signed   bool `json:"signed"`
		Artifact struct {
			Kind string `json:"kind"`
		} `json:"artifact"`
		Referrers []struct {
			Digest string `json:"digest"`
			Kind   string `json:"kind"`
		} `json:"referrers"`
	}
	res = mustCLI(t, s.Env, "inspect", s.Addr()+"/e2e/app:v3", "--json")
	if err := json.Unmarshal([]byte(res.Stdout), &in); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, res.Stdout)
	}
	kinds := map[string]string{}
	for _, r := range in.Referrers {
		kinds[r.Digest] = r.Kind
	}
	if !in.Signed || in.Artifact.Kind != "image" || kinds[sig3.Digest.String()] != "signature" || kinds[sbom3.Digest.String()] != "sbom" || len(kinds) != 2 {
		t.Errorf("inspect v3: signed %v, kind %s, referrers %v", in.Signed, in.Artifact.Kind, kinds)
	}
	if text := mustCLI(t, s.Env, "inspect", s.Addr()+"/e2e/app:v3").Stdout; !strings.Contains(text, "image  ✓ signed") || !strings.Contains(text, "signature (notary)") || !strings.Contains(text, "sbom (SPDX)") {
		t.Errorf("inspect text lacks the kind, the signed mark or the referrers' kinds:\n%s", text)
	}

	// prune --keep 1: v3 stays with its signature and SBOM; v2's go, and
	// no referrers tag is counted or left behind.
	mustCLI(t, s.Env, "prune", "--keep", "1", "e2e/app", "--json")
	if got := referrersOf(t, repo, digests["v3"]); !slices.Equal(got, want3) {
		t.Errorf("after prune, referrers of v3 = %v, want %v", got, want3)
	}
	if got := referrersOf(t, repo, digests["v2"]); len(got) != 0 {
		t.Errorf("after prune, referrers of the pruned v2 = %v, want none", got)
	}
	if present(t, repo, sig2) || present(t, repo, sbom2) {
		t.Error("after prune, v2's signature or SBOM is still in the registry")
	}
	if got, want := listTags(t, repo), []string{"sha256-" + digests["v3"].Hex, "v3"}; !slices.Equal(got, want) {
		t.Errorf("after prune, tags/list = %v, want %v", got, want)
	}

	// copy v3 to the fixture registry (no referrers API): the signature
	// and the SBOM come along, in the tag-schema index there.
	fixture := startFixtureRegistry(t, s)
	mustCLI(t, s.Env, "copy", s.Addr()+"/e2e/app:v3", fixture+"/mirror/app:v3", "--json")
	mirror := orasAt(t, tr, fixture, "mirror/app")
	if got := referrersOf(t, mirror, digests["v3"]); !slices.Equal(got, want3) {
		t.Errorf("on the copy's registry, referrers of v3 = %v, want %v", got, want3)
	}
	if got, want := listTags(t, mirror), []string{"sha256-" + digests["v3"].Hex, "v3"}; !slices.Equal(got, want) {
		t.Errorf("on the copy's registry, tags/list = %v, want %v (the fallback index)", got, want)
	}
	if !present(t, mirror, sig3) || !present(t, mirror, sbom3) {
		t.Error("the signature or the SBOM is not in the copy's registry")
	}
	if text := mustCLI(t, s.Env, "tags", fixture+"/mirror/app").Stdout; !strings.Contains(text, "v3  image  ✓ signed") {
		t.Errorf("tags on the fixture registry do not mark the copy signed:\n%s", text)
	}

	// gc --delete-untagged: the pruned images go, the live image's
	// signature and SBOM (untagged, held by its tagged index) stay.
	mustCLI(t, s.Env, "gc", "--json")
	if got := referrersOf(t, repo, digests["v3"]); !slices.Equal(got, want3) {
		t.Errorf("after gc, referrers of v3 = %v, want %v", got, want3)
	}
	for _, d := range []ocispec.Descriptor{sig3, sbom3} {
		rc, err := repo.Fetch(context.Background(), d)
		if err != nil {
			t.Fatalf("after gc, fetch %s: %v", d.Digest, err)
		}
		rc.Close()
	}

	// rm v3: its signature, SBOM and index go with it.
	mustCLI(t, s.Env, "rm", "e2e/app:v3", "--json")
	if got := referrersOf(t, repo, digests["v3"]); len(got) != 0 {
		t.Errorf("after rm, referrers of v3 = %v, want none", got)
	}
	if present(t, repo, sig3) || present(t, repo, sbom3) {
		t.Error("after rm, v3's signature or SBOM is still in the registry")
	}
	if got := listTags(t, repo); len(got) != 0 {
		t.Errorf("after rm, tags/list = %v, want none", got)
	}

	// Charts pushed by Helm's own client library are charts in tags,
	// inspect and catalog, and prune keeps the newest by creation time.
	helmPush(t, s, "demo", "0.9.0", "1.2.3", base.Add(2*time.Hour))
	helmPush(t, s, "demo", "0.10.0", "1.3.0", base.Add(3*time.Hour))
	assertChart(t, s, "charts/demo", "0.10.0", "chart demo 0.10.0 (app 1.3.0)")
	assertChart(t, s, "charts/demo", "0.9.0", "chart demo 0.9.0 (app 1.2.3)")
	mustCLI(t, s.Env, "prune", "--keep", "1", "charts/demo", "--json")
	if got := listTags(t, orasAt(t, tr, s.Addr(), "charts/demo")); !slices.Equal(got, []string{"0.10.0"}) {
		t.Errorf("after prune --keep 1 of the charts, tags/list = %v, want the newest, 0.10.0", got)
	}
}

// assertChart checks that tags, inspect and catalog show repo:tag as the
// chart summary says.
func assertChart(t *testing.T, s *testStack, repo, tag, summary string) {
	t.Helper()
	line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(tag) + ` +` + regexp.QuoteMeta(summary) + `$`)
	if text := mustCLI(t, s.Env, "tags", repo).Stdout; !line.MatchString(text) {
		t.Errorf("tags %s: %q, want %q", repo, text, tag+"  "+summary)
	}
	if text := mustCLI(t, s.Env, "inspect", s.Addr()+"/"+repo+":"+tag).Stdout; !strings.Contains(text, ":"+tag+"  "+summary) {
		t.Errorf("inspect %s:%s:\n%s\nwant %q", repo, tag, text, summary)
	}
	var cat struct {
		Kinds map[string]string `json:"kinds"`
	}
	res := mustCLI(t, s.Env, "catalog", "--json")
	if err := json.Unmarshal([]byte(res.Stdout), &cat); err != nil {
		t.Fatal(err)
	}
	if cat.Kinds[repo] != "chart" {
		t.Errorf("catalog kinds %v, want %s a chart", cat.Kinds, repo)
	}
}
