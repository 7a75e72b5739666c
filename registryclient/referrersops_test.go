package registryclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient/registrytest"
	"github.com/esbtui/esbtui/registryserver"
)

// orasRepo is repo of reg through oras-go (the client notation uses).
func orasRepo(t testing.TB, reg *registrytest.Registry, repo string) *orasremote.Repository {
	t.Helper()
	pem, err := os.ReadFile(reg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	r, err := orasremote.NewRepository(reg.Host() + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	r.Client = &auth.Client{Client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}}
	return r
}

// subjectOf is img's descriptor as a referrer's subject.
func subjectOf(t testing.TB, img v1.Image) ocispec.Descriptor {
	t.Helper()
	dig, _ := img.Digest()
	mt, _ := img.MediaType()
	size, _ := img.Size()
	return ocispec.Descriptor{MediaType: string(mt), Digest: digest.Digest(dig.String()), Size: size}
}

// attach pushes an artifact of artifactType whose subject is subject.
func attach(t testing.TB, repo *orasremote.Repository, subject ocispec.Descriptor, artifactType string) ocispec.Descriptor {
	t.Helper()
	blob, err := oras.PushBytes(context.Background(), repo, "application/octet-stream", []byte(artifactType+" of "+subject.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	d, err := oras.PackManifest(context.Background(), repo, oras.PackManifestVersion1_1, artifactType, oras.PackManifestOptions{Subject: &subject, Layers: []ocispec.Descriptor{blob}})
	if err != nil {
		t.Fatalf("push the %s: %v", artifactType, err)
	}
	return d
}

// pushChart pushes a Helm-chart-shaped artifact (what `helm push` writes)
// tagged tag, with config as its config blob.
func pushChart(t testing.TB, repo *orasremote.Repository, tag, config string, annotations ...string) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	cfg, err := oras.PushBytes(ctx, repo, HelmConfigType, []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	layer, err := oras.PushBytes(ctx, repo, "application/vnd.cncf.helm.chart.content.v1.tar+gzip", []byte("not really a tarball"))
	if err != nil {
		t.Fatal(err)
	}
	var ann map[string]string
	if len(annotations) == 2 {
		ann = map[string]string{annotations[0]: annotations[1]}
	}
	d, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{ConfigDescriptor: &cfg, Layers: []ocispec.Descriptor{layer}, ManifestAnnotations: ann})
	if err != nil {
		t.Fatalf("push the chart: %v", err)
	}
	if err := repo.Tag(ctx, d, tag); err != nil {
		t.Fatal(err)
	}
	return d
}

// exists reports whether repo@dgst is in the registry (HEAD through oras).
func exists(t testing.TB, repo *orasremote.Repository, dgst digest.Digest) bool {
	t.Helper()
	ok, err := repo.Exists(context.Background(), ocispec.Descriptor{Digest: dgst, MediaType: ocispec.MediaTypeImageManifest})
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// rawTags is tags/list as the registry answers it (referrers tags included).
func rawTags(t testing.TB, repo *orasremote.Repository) []string {
	t.Helper()
	var tags []string
	if err := repo.Tags(context.Background(), "", func(ts []string) error { tags = append(tags, ts...); return nil }); err != nil {
		t.Fatal(err)
	}
	return tags
}

// TestArtifactsAndHousekeeping: on esbtui's registry (referrers API) and on
// plain distribution (tag-schema fallback, kept by oras-go): tags marks
// signed tags and names a chart; inspect lists referrers by kind; prune
// --keep 1 keeps the kept image's signature and SBOM and deletes those of
// the pruned ones with their index; rm takes an image's referrers along.
func TestArtifactsAndHousekeeping(t *testing.T) {
	for _, withAPI := range []bool{true, false} {
		t.Run(map[bool]string{true: "esbtui registry (API)", false: "plain distribution (fallback)"}[withAPI], func(t *testing.T) {
			o := registrytest.Options{}
			if withAPI {
				o.Wrap = func(h http.Handler) http.Handler { return registryserver.NewOCIHandler(h) }
			}
			reg := startRegistry(t, o)
			c := newClient(t, Options{})
			ctx := ctxT(t)
			repo := orasRepo(t, reg, "demo/app")
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			imgs := map[string]v1.Image{}
			for i, tag := range []string{"v1", "v2", "v3"} {
				imgs[tag] = testImage(t, 1, 256, base.Add(time.Duration(i)*time.Hour), uint64(10+i))
				writeImage(t, c, reg.Host()+"/demo/app:"+tag, imgs[tag])
			}
			sig := map[string]ocispec.Descriptor{}
			for _, tag := range []string{"v2", "v3"} {
				sig[tag] = attach(t, repo, subjectOf(t, imgs[tag]), NotarySignatureType)
			}
			sbom3 := attach(t, repo, subjectOf(t, imgs["v3"]), "application/spdx+json")
			sbom2 := attach(t, repo, subjectOf(t, imgs["v2"]), "application/vnd.cyclonedx+json")
			charts := orasRepo(t, reg, "charts/demo")
			pushChart(t, charts, "0.1.0", `{"name":"demo","version":"0.1.0","appVersion":"1.2.3","apiVersion":"v2"}`)

			// tags: v2 and v3 signed, v1 not; the chart is a chart.
			tl, err := c.TagDetails(ctx, reg.Host()+"/demo/app", "")
			if err != nil {
				t.Fatal(err)
			}
			signed := map[string]bool{}
			for _, d := range tl.Details {
				signed[d.Tag] = d.Signed
				if d.Artifact.Kind != KindImage {
					t.Errorf("tag %s is a %s, want an image", d.Tag, d.Summary)
				}
			}
			if len(tl.Details) != 3 || signed["v1"] || !signed["v2"] || !signed["v3"] {
				t.Errorf("tags details %+v: want v1 unsigned, v2 and v3 signed", tl.Details)
			}
			ct, err := c.TagDetails(ctx, reg.Host()+"/charts/demo", "")
			if err != nil {
				t.Fatal(err)
			}
			if len(ct.Details) != 1 || ct.Details[0].Summary != "chart demo 0.1.0 (app 1.2.3)" {
				t.Errorf("chart tags %+v, want chart demo 0.1.0 (app 1.2.3)", ct.Details)
			}
			in, err := c.Inspect(ctx, reg.Host()+"/charts/demo:0.1.0", "")
			if err != nil {
				t.Fatalf("inspect the chart: %v", err)
			}
			if in.Artifact.Kind != KindChart || in.Artifact.Chart == nil || in.Artifact.Chart.Version != "0.1.0" || len(in.Images) != 0 {
				t.Errorf("inspect of the chart: %+v", in)
			}

			// inspect: v3's signature and SBOM, by kind.
			in, err = c.Inspect(ctx, reg.Host()+"/demo/app:v3", "")
			if err != nil {
				t.Fatal(err)
			}
			kinds := []string{}
			for _, r := range in.Referrers {
				kinds = append(kinds, r.Summary())
			}
			slices.Sort(kinds)
			if !in.Signed || !slices.Equal(kinds, []string{"sbom (SPDX)", "signature (notary)"}) || in.Artifact.Kind != KindImage {
				t.Errorf("inspect v3: signed %v, referrers %v, kind %s", in.Signed, kinds, in.Artifact.Kind)
			}

			// prune --keep 1: v3 stays with its referrers; v2's go with it,
			// and no referrers tag is planned as a tag.
			res, err := c.Prune(ctx, PruneOptions{Registry: reg.Host(), Repos: []string{"demo/app"}, Keep: 1}, progress.Discard)
			if err != nil {
				t.Fatalf("prune: %v", err)
			}
			b, _ := json.Marshal(res)
			rp := res.Repos[0]
			if len(rp.Keep) != 1 || rp.Keep[0].Tag != "v3" || len(rp.Delete) != 2 {
				t.Fatalf("prune plan %s", b)
			}
			d2, _ := imgs["v2"].Digest()
			if !slices.Equal(rp.ReferrersOf, []string{d2.String()}) {
				t.Errorf("prune deletes the referrers of %v, want v2's %s", rp.ReferrersOf, d2)
			}
			if exists(t, repo, sig["v2"].Digest) || exists(t, repo, sbom2.Digest) {
				t.Errorf("v2's signature or SBOM outlived its image: %s", b)
			}
			if !exists(t, repo, sig["v3"].Digest) || !exists(t, repo, sbom3.Digest) {
				t.Errorf("the kept v3 lost its signature or SBOM: %s", b)
			}
			d3, _ := imgs["v3"].Digest()
			if got := rawTags(t, repo); !slices.Equal(got, []string{"sha256-" + d3.Hex, "v3"}) {
				t.Errorf("tags/list after prune = %v, want v3 and its index only", got)
			}
			rs, err := c.referrers(ctx, mustRepo(t, reg.Host()+"/demo/app"), d3.String())
			if err != nil || len(rs) != 2 {
				t.Errorf("referrers of v3 after prune: %+v, %v", rs, err)
			}

			// rm v3: its signature, SBOM and index go with it.
			del, err := c.Delete(ctx, reg.Host()+"/demo/app:v3", "")
			if err != nil {
				t.Fatalf("rm: %v", err)
			}
			if exists(t, repo, sig["v3"].Digest) || exists(t, repo, sbom3.Digest) {
				t.Errorf("rm v3 left its referrers: %+v", del)
			}
			if got := rawTags(t, repo); len(got) != 0 {
				t.Errorf("tags/list after rm = %v, want none", got)
			}
		})
	}
}

func mustRepo(t testing.TB, s string) name.Repository {
	t.Helper()
	r, err := ParseRepository(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCopyCarriesReferrers: copy from esbtui's registry (API) to plain
// distribution (no API) takes the image's signature along, listed there
// through the tag-schema index; and prune deletes the referrers of an
// image someone deleted without them (an orphaned index).
func TestCopyCarriesReferrers(t *testing.T) {
	src := startRegistry(t, registrytest.Options{Wrap: func(h http.Handler) http.Handler { return registryserver.NewOCIHandler(h) }})
	dst := startRegistry(t, registrytest.Options{})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	img := testImage(t, 1, 256, time.Now(), 42)
	writeImage(t, c, src.Host()+"/demo/app:v1", img)
	sig := attach(t, orasRepo(t, src, "demo/app"), subjectOf(t, img), NotarySignatureType)

	cp, err := c.Copy(ctx, src.Host()+"/demo/app:v1", dst.Host()+"/mirror/app:v1", "", progress.Discard)
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if !slices.Equal(cp.Referrers, []string{sig.Digest.String()}) {
		t.Errorf("copy carried %v, want the signature %s", cp.Referrers, sig.Digest)
	}
	mirror := orasRepo(t, dst, "mirror/app")
	if !exists(t, mirror, sig.Digest) {
		t.Fatal("the signature is not in the destination")
	}
	in, err := c.Inspect(ctx, dst.Host()+"/mirror/app:v1", "")
	if err != nil {
		t.Fatal(err)
	}
	if !in.Signed || len(in.Referrers) != 1 || in.Referrers[0].Digest != sig.Digest.String() {
		t.Errorf("the copy's referrers: %+v (%s)", in.Referrers, in.ReferrersError)
	}

	// Someone deletes the copy by digest with a plain client: the index
	// and the signature are orphans, which prune finds and deletes.
	dig, _ := img.Digest()
	if err := remoteDelete(c, dst.Host()+"/mirror/app@"+dig.String()); err != nil {
		t.Fatal(err)
	}
	res, err := c.Prune(ctx, PruneOptions{Registry: dst.Host(), Repos: []string{"mirror/app"}, Keep: 5}, progress.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Repos[0].Orphans; !slices.Equal(got, []string{"sha256-" + dig.Hex}) {
		t.Errorf("prune found orphans %v, want the index of the deleted image", got)
	}
	if exists(t, mirror, sig.Digest) || len(rawTags(t, mirror)) != 0 {
		t.Errorf("after prune the orphaned signature or index is still there: tags %v", rawTags(t, mirror))
	}
}

func remoteDelete(c *Client, ref string) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	return remote.Delete(r, remote.WithTransport(c.Transport()))
}

// TestCosignSignatureTag: a cosign signature (tag sha256-<hex>.sig,
// simple-signing layer) marks its image signed, is no user's tag, is
// itself shown as a cosign signature, and goes when its image is removed.
func TestCosignSignatureTag(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	img := testImage(t, 1, 256, time.Now(), 7)
	writeImage(t, c, reg.Host()+"/demo/app:v1", img)
	writeImage(t, c, reg.Host()+"/demo/app:v2", testImage(t, 1, 256, time.Now(), 8))
	dig, _ := img.Digest()
	sigLayer := static.NewLayer([]byte(`{"critical":{"image":{"docker-manifest-digest":"`+dig.String()+`"}}}`), cosignSimpleSigning)
	sigImg, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), sigLayer)
	if err != nil {
		t.Fatal(err)
	}
	sigTag := "sha256-" + dig.Hex + ".sig"
	writeImage(t, c, reg.Host()+"/demo/app:"+sigTag, sigImg)

	tl, err := c.TagDetails(ctx, reg.Host()+"/demo/app", "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tl.Tags, []string{"v1", "v2"}) || !slices.Equal(tl.ReferrersTags, []string{sigTag}) {
		t.Fatalf("tags %v, referrers tags %v", tl.Tags, tl.ReferrersTags)
	}
	if !tl.Details[0].Signed || tl.Details[1].Signed {
		t.Errorf("signed marks %+v: want v1 only", tl.Details)
	}
	in, err := c.Inspect(ctx, reg.Host()+"/demo/app:"+sigTag, "")
	if err != nil {
		t.Fatal(err)
	}
	if in.Artifact.Summary() != "signature (cosign)" {
		t.Errorf("the .sig manifest is shown as %q", in.Artifact.Summary())
	}
	if _, err := c.Delete(ctx, reg.Host()+"/demo/app:v1", ""); err != nil {
		t.Fatal(err)
	}
	if got := rawTags(t, orasRepo(t, reg, "demo/app")); !slices.Equal(got, []string{"v2"}) {
		t.Errorf("after rm v1, tags/list = %v, want [v2]", got)
	}
}

// TestPruneChartsByCreated: charts have no image config; prune orders
// them by the created annotation Helm writes (0.10.0 is newer than 0.9.0,
// which sorts higher by name).
func TestPruneChartsByCreated(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	c := newClient(t, Options{})
	charts := orasRepo(t, reg, "charts/demo")
	pushChart(t, charts, "0.9.0", `{"name":"demo","version":"0.9.0"}`, "org.opencontainers.image.created", "2026-01-01T00:00:00Z")
	pushChart(t, charts, "0.10.0", `{"name":"demo","version":"0.10.0"}`, "org.opencontainers.image.created", "2026-02-01T00:00:00Z")
	res, err := c.Prune(ctxT(t), PruneOptions{Registry: reg.Host(), Repos: []string{"charts/demo"}, Keep: 1, DryRun: true}, progress.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rp := res.Repos[0]; len(rp.Keep) != 1 || rp.Keep[0].Tag != "0.10.0" {
		t.Errorf("prune --keep 1 keeps %+v, want the newest chart 0.10.0", rp.Keep)
	}
}

// TestRmKeepsReferrersOfATaggedManifest: rm of one tag of a manifest that
// another tag still names keeps its signature (and says why); rm of the
// last tag takes it.
func TestRmKeepsReferrersOfATaggedManifest(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{Wrap: func(h http.Handler) http.Handler { return registryserver.NewOCIHandler(h) }})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	img := testImage(t, 1, 256, time.Now(), 9)
	writeImage(t, c, reg.Host()+"/demo/app:v1", img)
	writeImage(t, c, reg.Host()+"/demo/app:latest", img)
	repo := orasRepo(t, reg, "demo/app")
	sig := attach(t, repo, subjectOf(t, img), NotarySignatureType)
	d, err := c.Delete(ctx, reg.Host()+"/demo/app:v1", "")
	if err != nil {
		t.Fatal(err)
	}
	if !exists(t, repo, sig.Digest) || len(d.Referrers) != 0 || !strings.Contains(d.Note, "latest") {
		t.Errorf("rm of one of two tags: %+v; the signature must stay and the note name latest", d)
	}
	d, err = c.Delete(ctx, reg.Host()+"/demo/app:latest", "")
	if err != nil {
		t.Fatal(err)
	}
	if exists(t, repo, sig.Digest) || len(d.Referrers) == 0 {
		t.Errorf("rm of the last tag: %+v; the signature must go", d)
	}
}
