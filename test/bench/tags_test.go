package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryclient/registrytest"
	"github.com/esbtui/esbtui/registryserver"
)

// BenchmarkTags50 measures `esbtui tags` on a repository of 50 tags (25
// of them signed by a Notary signature artifact) without the kinds and
// signed marks (Tags: the listing only) and with them (TagDetails: one
// manifest read per tag, one referrers lookup per signed digest), on
// esbtui's registry (referrers API) and on plain distribution (tag-schema
// fallback).
func BenchmarkTags50(b *testing.B) {
	for _, withAPI := range []bool{true, false} {
		o := registrytest.Options{CertDir: certs(b), DataDir: b.TempDir()}
		if withAPI {
			o.Wrap = func(h http.Handler) http.Handler { return registryserver.NewOCIHandler(h) }
		}
		reg := registrytest.Start(b, o)
		c := newClient(b, b.TempDir())
		pem, err := os.ReadFile(filepath.Join(certs(b), "rootCA.crt"))
		if err != nil {
			b.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(pem)
		repo, err := orasremote.NewRepository(reg.Host() + "/bench/tags")
		if err != nil {
			b.Fatal(err)
		}
		repo.Client = &auth.Client{Client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}}
		for i := range 50 {
			img := mustImage(b, 128, false, uint64(100+i), 1)
			ref, _ := name.ParseReference(fmt.Sprintf("%s/bench/tags:v%02d", reg.Host(), i))
			if err := remote.Write(ref, img, remote.WithTransport(c.Transport())); err != nil {
				b.Fatal(err)
			}
			if i%2 == 1 {
				continue
			}
			dig, _ := img.Digest()
			mt, _ := img.MediaType()
			size, _ := img.Size()
			subject := ocispec.Descriptor{MediaType: string(mt), Digest: digest.Digest(dig.String()), Size: size}
			if _, err := oras.PackManifest(context.Background(), repo, oras.PackManifestVersion1_1, registryclient.NotarySignatureType, oras.PackManifestOptions{Subject: &subject}); err != nil {
				b.Fatal(err)
			}
		}
		where := map[bool]string{true: "api", false: "fallback"}[withAPI]
		b.Run(where+"/listing", func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				res, err := c.Tags(context.Background(), reg.Host()+"/bench/tags", "")
				if err != nil || len(res.Tags) != 50 {
					b.Fatalf("%v %v", res, err)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/tags")
		})
		b.Run(where+"/kinds+signed", func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				res, err := c.TagDetails(context.Background(), reg.Host()+"/bench/tags", "")
				if err != nil || len(res.Details) != 50 {
					b.Fatalf("%v %v", res, err)
				}
				signed := 0
				for _, d := range res.Details {
					if d.Signed {
						signed++
					}
				}
				if signed != 25 {
					b.Fatalf("%d signed, want 25", signed)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/tags")
		})
	}
}
