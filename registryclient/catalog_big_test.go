package registryclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// Issue 5: "Catalog with 2 500 repos and tags with 1 200 tags: all returned,
// in order, with pages of 100 and 1000." The registry is the real
// distribution v3 code in-process over real TLS; the list requests are
// counted where they arrive, in front of the registry's handler.

const (
	bigRepos = 2500
	bigTags  = 1200
)

func TestCatalogBig(t *testing.T) {
	var hits listHits
	reg := startRegistry(t, registrytest.Options{Wrap: hits.wrap})
	ctx := ctxT(t)
	seed := newSeeder(t, ctx, reg.Addr)

	// Mixed depths (top-level and namespaced) so the registry's walk crosses
	// directories between pages; zero-padded so lexical order is unambiguous.
	want := make([]string, 0, bigRepos)
	for i := range bigRepos {
		repo := fmt.Sprintf("fn-%04d", i)
		if i%5 != 0 {
			repo = fmt.Sprintf("team%d/fn-%04d", i%5, i)
		}
		want = append(want, repo)
	}
	start := time.Now()
	seed.manifests(t, ctx, want, []string{"v1"})
	t.Logf("populated %d repositories in %v", bigRepos, time.Since(start).Round(time.Millisecond))
	slices.Sort(want)

	for _, page := range []int{100, 1000} {
		c := newClient(t, Options{PageSize: page})
		for _, host := range []string{reg.Addr, reg.Host()} {
			before := hits.snapshot()
			start := time.Now()
			res, err := c.Catalog(ctx, host)
			if err != nil {
				t.Fatalf("catalog %s n=%d: %v", host, page, err)
			}
			d := hits.snapshot().minus(before)
			checkListing(t, fmt.Sprintf("catalog %s n=%d", host, page), res.Repositories, want)
			// distribution sends a Link after every full page, so a total that
			// is a multiple of n costs one more (empty) page.
			wantReqs := bigRepos/page + 1
			if d.catalog != wantReqs || res.Pages != wantReqs {
				t.Errorf("catalog %s n=%d: %d catalog requests, %d pages, want %d", host, page, d.catalog, res.Pages, wantReqs)
			}
			t.Logf("catalog %s n=%d: %d repos, %d catalog requests (%d HTTP requests in all) in %v",
				host, page, len(res.Repositories), d.catalog, d.all, time.Since(start).Round(time.Millisecond))
		}
	}
}

func TestTagsBig(t *testing.T) {
	var hits listHits
	reg := startRegistry(t, registrytest.Options{Wrap: hits.wrap})
	ctx := ctxT(t)
	seed := newSeeder(t, ctx, reg.Addr)

	want := make([]string, 0, bigTags)
	for i := range bigTags {
		// Not created in order, and of two shapes, so the order checked is
		// the registry's listing order and not the order of creation.
		tag := fmt.Sprintf("v%04d", (i*7)%bigTags)
		if i%3 == 0 {
			tag = fmt.Sprintf("build-%04d", (i*7)%bigTags)
		}
		want = append(want, tag)
	}
	start := time.Now()
	seed.manifests(t, ctx, []string{"lambda/many-tags"}, want)
	t.Logf("populated %d tags in %v", bigTags, time.Since(start).Round(time.Millisecond))
	slices.Sort(want)

	for _, page := range []int{100, 1000} {
		c := newClient(t, Options{PageSize: page})
		before := hits.snapshot()
		start := time.Now()
		res, err := c.Tags(ctx, "lambda/many-tags", reg.Host())
		if err != nil {
			t.Fatalf("tags n=%d: %v", page, err)
		}
		d := hits.snapshot().minus(before)
		checkListing(t, fmt.Sprintf("tags n=%d", page), res.Tags, want)
		wantReqs := bigTags/page + 1
		if d.tags != wantReqs || res.Pages != wantReqs {
			t.Errorf("tags n=%d: %d tags requests, %d pages, want %d", page, d.tags, res.Pages, wantReqs)
		}
		t.Logf("tags n=%d: %d tags, %d tags requests (%d HTTP requests in all) in %v",
			page, len(res.Tags), d.tags, d.all, time.Since(start).Round(time.Millisecond))
	}
}

// checkListing fails with the first problem found: a duplicate, an entry out
// of lexical order, a missing or an unexpected entry.
func checkListing(t *testing.T, what string, got, want []string) {
	t.Helper()
	seen := make(map[string]bool, len(got))
	for i, s := range got {
		if seen[s] {
			t.Fatalf("%s: %q returned twice (at %d)", what, s, i)
		}
		seen[s] = true
		if i > 0 && got[i-1] > s {
			t.Fatalf("%s: out of order at %d: %q after %q", what, i, s, got[i-1])
		}
	}
	for _, s := range want {
		if !seen[s] {
			t.Fatalf("%s: %q missing (got %d of %d)", what, s, len(got), len(want))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: got %d entries, want %d", what, len(got), len(want))
	}
}

// listHits counts requests as they reach the registry.
type listHits struct{ catalog, tags, all atomic.Int64 }

type hitCounts struct{ catalog, tags, all int }

func (h *listHits) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.all.Add(1)
		if r.Method == http.MethodGet {
			switch {
			case r.URL.Path == "/v2/_catalog":
				h.catalog.Add(1)
			case strings.HasSuffix(r.URL.Path, "/tags/list"):
				h.tags.Add(1)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (h *listHits) snapshot() hitCounts {
	return hitCounts{int(h.catalog.Load()), int(h.tags.Load()), int(h.all.Load())}
}

func (a hitCounts) minus(b hitCounts) hitCounts {
	return hitCounts{a.catalog - b.catalog, a.tags - b.tags, a.all - b.all}
}

// seeder fills a registry fast: one tiny image's blobs are uploaded once to
// a seed repository; each repository then gets them by cross-repository
// mount (no bytes sent) and each tag is one manifest PUT. The seed
// repository has blobs but no manifest, so the catalog does not list it.
type seeder struct {
	hc       *http.Client
	base     string // https://addr
	manifest []byte
	mtype    string
	blobs    []v1.Hash
}

const seedRepo = "seed/tiny"

func newSeeder(t *testing.T, ctx context.Context, addr string) *seeder {
	t.Helper()
	img := testImage(t, 1, 64, time.Unix(1e9, 0), 5)
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, err := img.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{Jobs: seedJobs})
	s := &seeder{hc: &http.Client{Transport: c.Transport()}, base: "https://" + addr, manifest: raw, mtype: string(mt), blobs: []v1.Hash{cfgName}}
	if err := s.upload(ctx, cfgName, cfg); err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.upload(ctx, d, b); err != nil {
			t.Fatal(err)
		}
		s.blobs = append(s.blobs, d)
	}
	return s
}

// seedJobs: concurrent requests while populating. Measured on 2 busy cores,
// 2 500 repos: 2, 4, 8, 16 and 32 all take 0.6–2 s (noise dominates); ggcr's
// remote.Write per repo (HEADs, uploads, no mount) took 9.2 s.
const seedJobs = 4

// manifests gives every repo every tag.
func (s *seeder) manifests(t *testing.T, ctx context.Context, repos, tags []string) {
	t.Helper()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(seedJobs)
	for _, repo := range repos {
		g.Go(func() error {
			for _, d := range s.blobs {
				q := url.Values{"mount": {d.String()}, "from": {seedRepo}}
				if err := s.do(gctx, http.MethodPost, "/v2/"+repo+"/blobs/uploads/?"+q.Encode(), nil, "", http.StatusCreated); err != nil {
					return fmt.Errorf("mount %s into %s: %w", d, repo, err)
				}
			}
			if len(tags) == 1 {
				return s.putManifest(gctx, repo, tags[0])
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(tags) == 1 {
		return
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(seedJobs)
	for _, repo := range repos {
		for _, tag := range tags {
			g.Go(func() error { return s.putManifest(gctx, repo, tag) })
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func (s *seeder) putManifest(ctx context.Context, repo, tag string) error {
	if err := s.do(ctx, http.MethodPut, "/v2/"+repo+"/manifests/"+tag, s.manifest, s.mtype, http.StatusCreated); err != nil {
		return fmt.Errorf("put manifest %s:%s: %w", repo, tag, err)
	}
	return nil
}

// upload puts one blob into the seed repository (POST, then PUT with digest).
func (s *seeder) upload(ctx context.Context, d v1.Hash, b []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/v2/"+seedRepo+"/blobs/uploads/", nil)
	if err != nil {
		return err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("start upload of %s: %w", d, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("start upload of %s: %s", d, resp.Status)
	}
	loc, err := resp.Location()
	if err != nil {
		return fmt.Errorf("start upload of %s: %w", d, err)
	}
	q := loc.Query()
	q.Set("digest", d.String())
	loc.RawQuery = q.Encode()
	if err := s.do(ctx, http.MethodPut, loc.RequestURI(), b, "application/octet-stream", http.StatusCreated); err != nil {
		return fmt.Errorf("upload %s: %w", d, err)
	}
	return nil
}

func (s *seeder) do(ctx context.Context, method, pathQuery string, body []byte, ctype string, want int) error {
	req, err := http.NewRequestWithContext(ctx, method, s.base+pathQuery, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", method, pathQuery, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
