package registryserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// recordingTransport remembers "METHOD path status" of every request a
// client made.
type recordingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (t *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	line := r.Method + " " + r.URL.Path
	if resp != nil {
		line += " " + resp.Status[:3]
	}
	t.mu.Lock()
	t.seen = append(t.seen, line)
	t.mu.Unlock()
	return resp, err
}

func (t *recordingTransport) requests(substr string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, s := range t.seen {
		if strings.Contains(s, substr) {
			out = append(out, s)
		}
	}
	return out
}

func tlsClient(roots *x509.CertPool) (*http.Client, *recordingTransport) {
	rt := &recordingTransport{next: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	return &http.Client{Transport: rt}, rt
}

// do sends one request and returns the answer with its body read.
func do(t *testing.T, c *http.Client, method, url, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// pushManifest PUTs an OCI image manifest (empty config and one empty
// layer, both pushed first) by ref and returns its descriptor and answer.
func pushManifest(t *testing.T, c *http.Client, base, repo, ref, artifactType string, subject *ocispec.Descriptor) (ocispec.Descriptor, *http.Response) {
	t.Helper()
	empty := ocispec.DescriptorEmptyJSON
	resp, _ := do(t, c, http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", "", nil)
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusAccepted || err != nil {
		t.Fatalf("start a blob upload: %s %v", resp.Status, err)
	}
	q := loc.Query()
	q.Set("digest", empty.Digest.String())
	loc.RawQuery = q.Encode()
	if resp, _ = do(t, c, http.MethodPut, loc.String(), "application/octet-stream", empty.Data); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push the empty blob: %s", resp.Status)
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: artifactType,
		Config:  ocispec.Descriptor{MediaType: empty.MediaType, Digest: empty.Digest, Size: empty.Size},
		Layers:  []ocispec.Descriptor{{MediaType: empty.MediaType, Digest: empty.Digest, Size: empty.Size}},
		Subject: subject, Annotations: map[string]string{"org.example.ref": ref}}
	m.SchemaVersion = 2
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: artifactType, Digest: digest.FromBytes(body), Size: int64(len(body)), Annotations: m.Annotations}
	if ref == "" {
		ref = d.Digest.String()
	}
	resp, msg := do(t, c, http.MethodPut, base+"/v2/"+repo+"/manifests/"+ref, ocispec.MediaTypeImageManifest, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push manifest %s: %s %s", ref, resp.Status, msg)
	}
	return d, resp
}

// referrers GETs the referrers API and decodes the index.
func referrers(t *testing.T, c *http.Client, base, repo string, subject digest.Digest, query string) (*http.Response, ocispec.Index, []byte) {
	t.Helper()
	resp, body := do(t, c, http.MethodGet, base+"/v2/"+repo+"/referrers/"+subject.String()+query, "", nil)
	var idx ocispec.Index
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &idx); err != nil {
			t.Fatalf("referrers: %v: %s", err, body)
		}
	}
	return resp, idx, body
}

func digests(idx ocispec.Index) []digest.Digest {
	var out []digest.Digest
	for _, d := range idx.Manifests {
		out = append(out, d.Digest)
	}
	return out
}

// TestReferrersAPI pushes manifests with a subject to `esbtui serve` and
// follows them through the referrers API, its filter and DELETE.
func TestReferrersAPI(t *testing.T) {
	addr, roots := startServe(t, pki.KeyECDSAP256)
	c, _ := tlsClient(roots)
	base, repo := "https://"+addr, "demo/app"

	subject, resp := pushManifest(t, c, base, repo, "v1", "", nil)
	if h := resp.Header.Get("OCI-Subject"); h != "" {
		t.Errorf("a manifest without a subject answered OCI-Subject %q", h)
	}
	sbom, resp := pushManifest(t, c, base, repo, "", "application/vnd.example.sbom", &subject)
	if h := resp.Header.Get("OCI-Subject"); h != subject.Digest.String() {
		t.Errorf("OCI-Subject = %q, want %s", h, subject.Digest)
	}
	sig, _ := pushManifest(t, c, base, repo, "", "application/vnd.example.sig", &subject)

	resp, idx, _ := referrers(t, c, base, repo, subject.Digest, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ocispec.MediaTypeImageIndex {
		t.Fatalf("referrers: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if len(idx.Manifests) != 2 {
		t.Fatalf("referrers = %v, want %s and %s", digests(idx), sbom.Digest, sig.Digest)
	}
	for i, want := range []ocispec.Descriptor{sbom, sig} {
		got := idx.Manifests[i]
		if got.Digest != want.Digest || got.Size != want.Size || got.ArtifactType != want.ArtifactType || got.MediaType != want.MediaType || got.Annotations["org.example.ref"] != want.Annotations["org.example.ref"] {
			t.Errorf("referrer %d = %+v, want %+v", i, got, want)
		}
	}
	if resp.Header.Get("OCI-Filters-Applied") != "" {
		t.Errorf("unfiltered answer says OCI-Filters-Applied: %q", resp.Header.Get("OCI-Filters-Applied"))
	}

	resp, idx, _ = referrers(t, c, base, repo, subject.Digest, "?artifactType=application/vnd.example.sig")
	if got := digests(idx); len(got) != 1 || got[0] != sig.Digest || resp.Header.Get("OCI-Filters-Applied") != "artifactType" {
		t.Errorf("filtered referrers = %v (OCI-Filters-Applied %q), want [%s] (artifactType)", got, resp.Header.Get("OCI-Filters-Applied"), sig.Digest)
	}

	unknown := digest.FromString("no such manifest")
	resp, idx, body := referrers(t, c, base, repo, unknown, "")
	if resp.StatusCode != http.StatusOK || len(idx.Manifests) != 0 || !bytes.Contains(body, []byte(`"manifests":[]`)) {
		t.Errorf("referrers of an unknown digest: %s %s, want 200 and an empty index", resp.Status, body)
	}
	resp, _ = do(t, c, http.MethodGet, base+"/v2/"+repo+"/referrers/sha256:nothex", "", nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("referrers of a malformed digest: %s, want 400", resp.Status)
	}

	resp, _ = do(t, c, http.MethodDelete, base+"/v2/"+repo+"/manifests/"+sbom.Digest.String(), "", nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delete the sbom: %s", resp.Status)
	}
	if _, idx, _ = referrers(t, c, base, repo, subject.Digest, ""); len(idx.Manifests) != 1 || idx.Manifests[0].Digest != sig.Digest {
		t.Errorf("referrers after deleting the sbom = %v, want [%s]", digests(idx), sig.Digest)
	}
	resp, _ = do(t, c, http.MethodDelete, base+"/v2/"+repo+"/manifests/"+sig.Digest.String(), "", nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delete the signature: %s", resp.Status)
	}
	if _, idx, _ = referrers(t, c, base, repo, subject.Digest, ""); len(idx.Manifests) != 0 {
		t.Errorf("referrers after deleting both = %v, want none", digests(idx))
	}
	_, tags := do(t, c, http.MethodGet, base+"/v2/"+repo+"/tags/list", "", nil)
	if bytes.Contains(tags, []byte(fallbackTag(subject.Digest))) {
		t.Errorf("the fallback tag outlived the last referrer: %s", tags)
	}
}

// orasRepo is an oras-go repository client over c.
func orasRepo(t *testing.T, c *http.Client, ref string) *remote.Repository {
	t.Helper()
	r, err := remote.NewRepository(ref)
	if err != nil {
		t.Fatal(err)
	}
	r.Client = &auth.Client{Client: c}
	return r
}

// orasPushWithReferrer pushes an image and an SBOM referring to it with
// oras-go and returns both.
func orasPushWithReferrer(t *testing.T, repo *remote.Repository) (subject, sbom ocispec.Descriptor) {
	t.Helper()
	ctx := context.Background()
	subject, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.example.image", oras.PackManifestOptions{})
	if err != nil {
		t.Fatalf("oras push the subject: %v", err)
	}
	sbom, err = oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.example.sbom", oras.PackManifestOptions{Subject: &subject})
	if err != nil {
		t.Fatalf("oras push the sbom: %v", err)
	}
	return subject, sbom
}

func orasReferrers(t *testing.T, repo *remote.Repository, subject ocispec.Descriptor) []digest.Digest {
	t.Helper()
	var got []digest.Digest
	err := repo.Referrers(context.Background(), subject, "", func(ds []ocispec.Descriptor) error {
		for _, d := range ds {
			got = append(got, d.Digest)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("oras referrers: %v", err)
	}
	return got
}

// TestOrasUsesReferrersAPI: oras-go pushes a referrer to `esbtui serve`
// and lists it through the referrers API, never touching the fallback tag.
func TestOrasUsesReferrersAPI(t *testing.T) {
	addr, roots := startServe(t, pki.KeyECDSAP256)
	c, rec := tlsClient(roots)
	repo := orasRepo(t, c, addr+"/oras/app")
	subject, sbom := orasPushWithReferrer(t, repo)
	if got := orasReferrers(t, repo, subject); len(got) != 1 || got[0] != sbom.Digest {
		t.Fatalf("oras referrers = %v, want [%s]", got, sbom.Digest)
	}
	if api := rec.requests("/referrers/" + subject.Digest.String() + " 200"); len(api) == 0 {
		t.Errorf("oras did not list through the referrers API; requests: %v", rec.seen)
	}
	if fb := rec.requests("/manifests/" + fallbackTag(subject.Digest)); len(fb) != 0 {
		t.Errorf("oras used the fallback tag: %v", fb)
	}
}

// TestOrasFallsBackOnPlainDistribution: against plain distribution v3 the
// referrers API is missing and oras-go keeps the tag-schema index itself.
func TestOrasFallsBackOnPlainDistribution(t *testing.T) {
	reg := registrytest.Start(t, registrytest.Options{})
	ca, err := pki.NewStore(reg.CertDir).LoadCA()
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	c, rec := tlsClient(roots)
	repo := orasRepo(t, c, reg.Host()+"/oras/app")
	subject, sbom := orasPushWithReferrer(t, repo)
	if got := orasReferrers(t, repo, subject); len(got) != 1 || got[0] != sbom.Digest {
		t.Fatalf("oras referrers = %v, want [%s]", got, sbom.Digest)
	}
	if fb := rec.requests("GET /v2/oras/app/manifests/" + fallbackTag(subject.Digest) + " 200"); len(fb) == 0 {
		t.Errorf("oras did not read the fallback index; requests: %v", rec.seen)
	}
}

// TestReferrersNeedRepositoryAuth: behind htpasswd auth the referrers API
// answers distribution's own 401 challenge without credentials, and the
// listing with them; an unauthenticated push of a referrer changes nothing.
func TestReferrersNeedRepositoryAuth(t *testing.T) {
	dir := t.TempDir()
	if err := WriteHTPasswd(dir, AuthUser, "s3cret"); err != nil {
		t.Fatal(err)
	}
	cfg, err := configuration.Parse(strings.NewReader(`version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {inmemory: {}, delete: {enabled: true}}
http: {secret: test}
auth: {htpasswd: {realm: esbtui, path: ` + filepath.Join(dir, HTPasswdFile) + `}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv := httptest.NewUnstartedServer(NewOCIHandler(handlers.NewApp(ctx, cfg)))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	anon, _ := tlsClient(roots)
	user, _ := tlsClient(roots)
	user.Transport = basicAuth{next: user.Transport}
	base, repo := srv.URL, "private/app"

	subject, _ := pushManifest(t, user, base, repo, "v1", "", nil)
	sbom, _ := pushManifest(t, user, base, repo, "", "application/vnd.example.sbom", &subject)

	resp, _, _ := referrers(t, anon, base, repo, subject.Digest, "")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `realm="esbtui"`) {
		t.Errorf("referrers without credentials: %s %q, want 401 with the registry's challenge", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: ocispec.DescriptorEmptyJSON, Layers: []ocispec.Descriptor{}, Subject: &subject}
	m.SchemaVersion = 2
	body, _ := json.Marshal(m)
	if resp, _ = do(t, anon, http.MethodPut, base+"/v2/"+repo+"/manifests/"+digest.FromBytes(body).String(), ocispec.MediaTypeImageManifest, body); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("push a referrer without credentials: %s, want 401", resp.Status)
	}
	resp, idx, _ := referrers(t, user, base, repo, subject.Digest, "")
	if resp.StatusCode != http.StatusOK || len(idx.Manifests) != 1 || idx.Manifests[0].Digest != sbom.Digest {
		t.Errorf("referrers with credentials: %s %v, want [%s]", resp.Status, digests(idx), sbom.Digest)
	}
}

// basicAuth adds esbtui's registry credentials to every request.
type basicAuth struct{ next http.RoundTripper }

func (b basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(AuthUser, "s3cret")
	return b.next.RoundTrip(r)
}

// TestNonDistributableLayers: a manifest whose non-distributable layer is
// named by an https URL (and not pushed) is accepted by `esbtui serve`;
// one with a plain http URL is still refused.
func TestNonDistributableLayers(t *testing.T) {
	addr, roots := startServe(t, pki.KeyECDSAP256)
	c, _ := tlsClient(roots)
	base, repo := "https://"+addr, "demo/foreign"
	pushManifest(t, c, base, repo, "base", "", nil) // the empty config blob
	foreign := digest.FromString("a layer the registry never holds")
	put := func(url string) *http.Response {
		m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: ocispec.DescriptorEmptyJSON,
			Layers: []ocispec.Descriptor{{MediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
				Digest: foreign, Size: 1234, URLs: []string{url}}}}
		m.SchemaVersion = 2
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := do(t, c, http.MethodPut, base+"/v2/"+repo+"/manifests/"+digest.FromBytes(body).String(), ocispec.MediaTypeImageManifest, body)
		return resp
	}
	if resp := put("https://layers.example.com/blobs/" + foreign.Encoded()); resp.StatusCode != http.StatusCreated {
		t.Errorf("manifest with an https non-distributable layer: %s, want 201", resp.Status)
	}
	if resp := put("http://layers.example.com/blobs/" + foreign.Encoded()); resp.StatusCode/100 == 2 {
		t.Errorf("manifest with a plain-http non-distributable layer: %s, want it refused", resp.Status)
	}
}

// TestReferrersOf100 pushes 100 referrers of one image to `esbtui serve`
// and lists them through the API: all 100, each once; the median latency of
// a listing is logged (the measure, not asserted).
func TestReferrersOf100(t *testing.T) {
	addr, roots := startServe(t, pki.KeyECDSAP256)
	c, _ := tlsClient(roots)
	base, repo := "https://"+addr, "demo/many"
	subject, _ := pushManifest(t, c, base, repo, "v1", "", nil)
	want := map[digest.Digest]bool{}
	for i := range 100 {
		d, _ := pushManifest(t, c, base, repo, fmt.Sprintf("r%03d", i), "application/vnd.example.sig", &subject)
		want[d.Digest] = true
	}
	var took []time.Duration
	for range 21 {
		start := time.Now()
		resp, idx, _ := referrers(t, c, base, repo, subject.Digest, "")
		took = append(took, time.Since(start))
		if resp.StatusCode != http.StatusOK || len(idx.Manifests) != len(want) {
			t.Fatalf("referrers: %s, %d entries; want 100", resp.Status, len(idx.Manifests))
		}
		for _, d := range idx.Manifests {
			if !want[d.Digest] {
				t.Fatalf("unexpected referrer %s", d.Digest)
			}
		}
	}
	slices.Sort(took)
	t.Logf("listing 100 referrers through the API: median %v (of %d)", took[len(took)/2], len(took))
}

// TestConcurrentReferrersAllKept: 40 referrers of one image pushed by 8
// clients at once all end up in the index (its read-modify-write is
// serialised).
func TestConcurrentReferrersAllKept(t *testing.T) {
	addr, roots := startServe(t, pki.KeyECDSAP256)
	c, _ := tlsClient(roots)
	base, repo := "https://"+addr, "demo/busy"
	subject, _ := pushManifest(t, c, base, repo, "v1", "", nil)
	const n, workers = 40, 8
	pushed := make(chan digest.Digest, n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				d, _ := pushManifest(t, c, base, repo, fmt.Sprintf("c%03d", i), "application/vnd.example.sig", &subject)
				pushed <- d.Digest
			}
		})
	}
	wg.Wait()
	close(pushed)
	_, idx, _ := referrers(t, c, base, repo, subject.Digest, "")
	listed := map[digest.Digest]bool{}
	for _, d := range idx.Manifests {
		listed[d.Digest] = true
	}
	for d := range pushed {
		if !listed[d] {
			t.Errorf("referrer %s pushed but not listed", d)
		}
	}
	if len(idx.Manifests) != n {
		t.Errorf("%d referrers listed, want %d", len(idx.Manifests), n)
	}
}
