package registryclient

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// failing wraps the registry so the first n catalog requests fail: odd ones
// with a dropped connection, even ones with 503.
func failing(n int32, hits *atomic.Int32) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/_catalog") {
				if k := hits.Add(1); k <= n {
					if k%2 == 1 {
						if hj, ok := w.(http.Hijacker); ok {
							if conn, _, err := hj.Hijack(); err == nil {
								conn.Close()
								return
							}
						}
					}
					http.Error(w, "busy", http.StatusServiceUnavailable)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestCatalogRetriesTransientErrors(t *testing.T) {
	var hits atomic.Int32
	reg := startRegistry(t, registrytest.Options{Wrap: failing(2, &hits)})
	c := newClient(t, Options{PageSize: 2})
	ctx := ctxT(t)
	img := testImage(t, 1, 256, time.Unix(1e9, 0), 80)
	for i := range 5 {
		writeImage(t, c, fmt.Sprintf("%s/r%d:1", reg.Addr, i), img)
	}
	res, err := c.Catalog(ctx, reg.Addr)
	if err != nil {
		t.Fatalf("catalog after 2 transient failures: %v", err)
	}
	if !slices.Equal(res.Repositories, []string{"r0", "r1", "r2", "r3", "r4"}) || res.Pages != 3 {
		t.Fatalf("catalog %v in %d pages", res.Repositories, res.Pages)
	}

	// Retries are bounded: a registry that keeps failing gives an error.
	var hits2 atomic.Int32
	bad := startRegistry(t, registrytest.Options{Wrap: failing(1000, &hits2)})
	if _, err := c.Catalog(ctx, bad.Addr); err == nil || !strings.Contains(err.Error(), "catalog") {
		t.Fatalf("catalog of a failing registry: %v", err)
	}
	// net/http itself resends an idempotent GET once when a reused
	// connection drops before the answer, so a server sees up to 2× ours.
	if n := hits2.Load(); n < int32(listRetry.Attempts) || n > 2*int32(listRetry.Attempts) {
		t.Errorf("%d requests, want %d attempts (≤ %d requests)", n, listRetry.Attempts, 2*listRetry.Attempts)
	}
}

// ggcr's in-memory registry honours n and last for tags but sends no Link
// header: the pager must continue with last= (beside the real-registry test).
func TestTagsWithoutLinkHeader(t *testing.T) {
	srv := httptest.NewUnstartedServer(ggcrregistry.New(ggcrregistry.Logger(nilLogger())))
	srv.Config.ErrorLog = nilLogger()
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := newClient(t, Options{Roots: pool, PageSize: 10})
	addr := srv.Listener.Addr().String()
	img := testImage(t, 1, 256, time.Unix(1e9, 0), 81)
	writeImage(t, c, addr+"/fake:t00", img)
	ref, _ := name.ParseReference(addr + "/fake:t00")
	desc, err := remote.Get(ref, remote.WithTransport(c.Transport()))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"t00"}
	for i := 1; i < 25; i++ {
		tag := fmt.Sprintf("t%02d", i)
		want = append(want, tag)
		tr, _ := name.NewTag(addr + "/fake:" + tag)
		if err := remote.Tag(tr, desc, remote.WithTransport(c.Transport())); err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.Tags(ctxT(t), addr+"/fake", "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Tags, want) || res.Pages < 3 {
		t.Fatalf("tags %v in %d pages", res.Tags, res.Pages)
	}
}
