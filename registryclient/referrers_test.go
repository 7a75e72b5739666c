package registryclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient/registrytest"
	"github.com/esbtui/esbtui/registryserver"
)

// pathLog remembers "METHOD path" of the requests a registry served.
type pathLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *pathLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.seen = append(l.seen, r.Method+" "+r.URL.Path)
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (l *pathLog) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.seen {
		if strings.Contains(s, substr) {
			n++
		}
	}
	return n
}

// TestInspectListsReferrers: inspect lists an image's SBOM (pushed by
// oras-go) through the referrers API on esbtui's registry and through the
// tag-schema fallback on plain distribution; the fallback tag is known
// for what it is.
func TestInspectListsReferrers(t *testing.T) {
	for _, withAPI := range []bool{true, false} {
		t.Run(map[bool]string{true: "esbtui registry (API)", false: "plain distribution (fallback)"}[withAPI], func(t *testing.T) {
			log := &pathLog{}
			o := registrytest.Options{Wrap: log.wrap}
			if withAPI {
				o.Wrap = func(h http.Handler) http.Handler { return log.wrap(registryserver.NewOCIHandler(h)) }
			}
			reg := startRegistry(t, o)
			ref := reg.Host() + "/demo/signed:v1"
			img, err := random.Image(512, 1)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := name.ParseReference(ref)
			c := newClient(t, Options{})
			if err := remote.Write(r, img, c.remoteOptions(context.Background())...); err != nil {
				t.Fatal(err)
			}
			dig, _ := img.Digest()
			mt, _ := img.MediaType()
			size, _ := img.Size()
			subject := ocispec.Descriptor{MediaType: string(mt), Digest: digest.Digest(dig.String()), Size: size}

			pem, err := os.ReadFile(reg.CAFile)
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AppendCertsFromPEM(pem)
			repo, err := orasremote.NewRepository(reg.Host() + "/demo/signed")
			if err != nil {
				t.Fatal(err)
			}
			repo.Client = &auth.Client{Client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}}
			sbom, err := oras.PackManifest(context.Background(), repo, oras.PackManifestVersion1_1, "application/vnd.example.sbom", oras.PackManifestOptions{Subject: &subject})
			if err != nil {
				t.Fatalf("oras push the sbom: %v", err)
			}

			tag := "sha256-" + dig.Hex
			apiBefore, fallbackBefore := log.count("GET /v2/demo/signed/referrers/"), log.count("GET /v2/demo/signed/manifests/"+tag)
			in, err := c.Inspect(context.Background(), ref, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(in.Referrers) != 1 || in.Referrers[0].Digest != sbom.Digest.String() || in.Referrers[0].ArtifactType != "application/vnd.example.sbom" || in.ReferrersError != "" {
				t.Fatalf("referrers = %+v (%s), want the sbom %s", in.Referrers, in.ReferrersError, sbom.Digest)
			}
			if !IsReferrersTag(tag) || IsReferrersTag("v1") {
				t.Errorf("IsReferrersTag(%s) = false or IsReferrersTag(v1) = true", tag)
			}
			api := log.count("GET /v2/demo/signed/referrers/") - apiBefore
			fallback := log.count("GET /v2/demo/signed/manifests/"+tag) - fallbackBefore
			if withAPI && (api == 0 || fallback != 0) {
				t.Errorf("against esbtui's registry: %d referrers API requests, %d fallback reads; want the API only", api, fallback)
			}
			if !withAPI && fallback == 0 {
				t.Errorf("against plain distribution: inspect never read the fallback index")
			}

			// tags lists the fallback tag apart from the user's tags.
			tl, err := c.Tags(context.Background(), reg.Host()+"/demo/signed", "")
			if err != nil {
				t.Fatal(err)
			}
			if len(tl.Tags) != 1 || tl.Tags[0] != "v1" || len(tl.ReferrersTags) != 1 || tl.ReferrersTags[0] != tag {
				t.Errorf("tags = %v, referrers tags = %v; want [v1] and [%s]", tl.Tags, tl.ReferrersTags, tag)
			}

			// prune never counts the fallback tag as a user's tag.
			plan, err := c.Prune(context.Background(), PruneOptions{Registry: reg.Host(), Repos: []string{"demo/signed"}, Keep: 0, DryRun: true}, progress.Discard)
			if err != nil {
				t.Fatalf("prune --dry-run: %v", err)
			}
			for _, rp := range plan.Repos {
				for _, a := range append(rp.Keep, rp.Delete...) {
					if IsReferrersTag(a.Tag) {
						t.Errorf("prune plans the referrers tag %s", a.Tag)
					}
				}
				if len(rp.Delete) != 1 || rp.Delete[0].Tag != "v1" {
					t.Errorf("prune --keep 0 plans to delete %+v, want v1 only", rp.Delete)
				}
			}
		})
	}
}
