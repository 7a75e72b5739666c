package registryclient

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// certDir is one CA + server certificate shared by every test (RSA 4096
// generation costs seconds); otherCertDir is an unrelated CA.
var certDir, otherCertDir string

func TestMain(m *testing.M) {
	base, err := os.MkdirTemp("", "registryclient-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	certDir = filepath.Join(base, "certs")
	otherCertDir = filepath.Join(base, "other-certs")
	for _, d := range []string{certDir, otherCertDir} {
		if err := registrytest.EnsureCerts(d); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	// Credentials come from an empty Docker config, never the user's.
	os.Setenv("DOCKER_CONFIG", filepath.Join(base, "docker"))
	code := m.Run()
	os.RemoveAll(base)
	os.Exit(code)
}

func startRegistry(t testing.TB, o registrytest.Options) *registrytest.Registry {
	t.Helper()
	if o.CertDir == "" {
		o.CertDir = certDir
	}
	return registrytest.Start(t, o)
}

func newClient(t testing.TB, o Options) *Client {
	t.Helper()
	if o.CACertFile == "" && o.Roots == nil {
		o.CACertFile = filepath.Join(certDir, pki.CACertFile)
	}
	if o.CacheDir == "" {
		o.CacheDir = t.TempDir()
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testImage builds an image of n random layers of size bytes each.
func testImage(t testing.TB, n int, size int64, created time.Time, seed uint64) v1.Image {
	t.Helper()
	var ls []v1.Layer
	for i := range n {
		l, err := registrytest.Layer(size, i%2 == 1, seed*100+uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	img, err := registrytest.Image(created, []string{"/bin/app", "--serve"}, map[string]string{"org.example.fn": "demo"}, ls...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func saveTar(t testing.TB, tag string, img v1.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := registrytest.DockerSave(&b, tag, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeImage pushes img with plain ggcr (test setup only).
func writeImage(t testing.TB, c *Client, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithTransport(c.Transport()), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		t.Fatalf("write %s: %v", ref, err)
	}
}

func collector() *progress.Collector { return &progress.Collector{} }
