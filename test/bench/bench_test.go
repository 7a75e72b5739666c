// Package bench measures esbtui's registry client against the naive
// go-containerregistry path (what `crane push` of a `docker save` tarball
// does) on the real distribution registry running in-process over TLS.
// Run: go test -run '^$' -bench . -benchtime 3x ./test/bench/
// ESB_BENCH_MIB sets the image size (default 256, 4 layers).
package bench

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

var (
	certsOnce sync.Once
	certDir   string
	certsErr  error
)

// certs makes one CA + server certificate for every benchmark of the run.
func certs(b *testing.B) string {
	certsOnce.Do(func() {
		certDir, certsErr = os.MkdirTemp("", "esbtui-bench-certs-")
		if certsErr == nil {
			certsErr = registrytest.EnsureCerts(certDir)
		}
	})
	if certsErr != nil {
		b.Fatal(certsErr)
	}
	return certDir
}

func imageMiB() int64 {
	if v, err := strconv.Atoi(os.Getenv("ESB_BENCH_MIB")); err == nil && v >= 4 {
		return int64(v)
	}
	return 256
}

func startRegistry(b *testing.B) *registrytest.Registry {
	return registrytest.Start(b, registrytest.Options{CertDir: certs(b), DataDir: b.TempDir(), HTTP2: true})
}

func newClient(b *testing.B, cacheDir string) *registryclient.Client {
	c, err := registryclient.New(registryclient.Options{
		CACertFile: filepath.Join(certs(b), "rootCA.crt"),
		CacheDir:   cacheDir,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

// naiveTransport is ggcr's default (HTTP/2 allowed) trusting our CA.
func naiveTransport(c *registryclient.Client) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: c.Transport().TLSClientConfig.RootCAs, MinVersion: tls.VersionTLS12}
	t.ForceAttemptHTTP2 = true
	return t
}

// saveFile writes a docker-save tarball of a 4-layer image of mib MiB to dir.
func saveFile(b *testing.B, dir string, mib int64, text bool, seed uint64) string {
	layerSize := mib << 20 / 4
	img := mustImage(b, layerSize, text, seed, 4)
	p := filepath.Join(dir, fmt.Sprintf("image-%d.tar", seed))
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := registrytest.DockerSave(f, "bench:latest", img); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func mibps(mib int64, d time.Duration) float64 { return float64(mib) / d.Seconds() }
