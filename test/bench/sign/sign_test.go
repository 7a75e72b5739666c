// Package sign measures signing and verifying one image with esbtui's
// Notary Project path (notary over oras over registryclient's transport)
// against the real distribution registry in-process over TLS (no
// referrers API: the tag-schema fallback, what plain registry:3 gets).
// Run: go test -run '^$' -bench . -benchtime 30x ./test/bench/sign/
// It reports the median (p50-ms) besides Go's mean.
package sign

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/notary"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

type setup struct {
	client *registryclient.Client
	store  *pki.Store
	host   string
}

func start(b *testing.B) setup {
	dir := filepath.Join(b.TempDir(), "certs")
	if err := registrytest.EnsureCerts(dir); err != nil {
		b.Fatal(err)
	}
	reg := registrytest.Start(b, registrytest.Options{CertDir: dir, DataDir: b.TempDir()})
	c, err := registryclient.New(registryclient.Options{CACertFile: filepath.Join(dir, pki.CACertFile)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return setup{client: c, store: pki.NewStore(dir), host: reg.Host()}
}

// pushImage writes a small random image to host/repo:v1.
func (s setup) pushImage(b *testing.B, repo string) {
	img, err := random.Image(1<<16, 2)
	if err != nil {
		b.Fatal(err)
	}
	ref, err := registryclient.ParseReference(s.host+"/"+repo+":v1", "")
	if err != nil {
		b.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithTransport(s.client.Transport())); err != nil {
		b.Fatal(err)
	}
}

func (s setup) sign(b *testing.B, repo string) {
	r, _ := registryclient.ParseRepository(s.host+"/"+repo, "")
	target, err := s.client.OrasRepository(r)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := s.store.LoadSigner(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := notary.Sign(context.Background(), target, r.Name(), "v1", signer); err != nil {
		b.Fatal(err)
	}
}

func median(d []time.Duration) float64 {
	slices.Sort(d)
	return float64(d[len(d)/2].Microseconds()) / 1000
}

// BenchmarkSign: load the signing identity, resolve the tag, sign, push
// the signature (a fresh image each time: one signature per image).
func BenchmarkSign(b *testing.B) {
	s := start(b)
	repos := make([]string, b.N)
	for i := range repos {
		repos[i] = fmt.Sprintf("bench/sign%d", i)
		s.pushImage(b, repos[i])
	}
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		s.sign(b, repos[i])
		took = append(took, time.Since(t0))
	}
	b.ReportMetric(median(took), "p50-ms")
}

// BenchmarkVerify: resolve the tag, find the signature, fetch and verify
// it against the CA with the strict policy.
func BenchmarkVerify(b *testing.B) {
	s := start(b)
	s.pushImage(b, "bench/verify")
	s.sign(b, "bench/verify")
	r, _ := registryclient.ParseRepository(s.host+"/bench/verify", "")
	target, err := s.client.OrasRepository(r)
	if err != nil {
		b.Fatal(err)
	}
	root, err := s.store.RootCert()
	if err != nil {
		b.Fatal(err)
	}
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := notary.Verify(context.Background(), target, r.Name(), "v1", root); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	b.ReportMetric(median(took), "p50-ms")
}
