package registryclient

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"
)

func TestCatalogManyPages(t *testing.T) {
	reg := startRegistry(t, registrytestOptions())
	c := newClient(t, Options{})
	ctx := ctxT(t)
	img := testImage(t, 1, 512, time.Unix(1e9, 0), 1)
	var want []string
	g := new(errgroup.Group)
	g.SetLimit(8)
	for i := range 250 {
		repo := fmt.Sprintf("team/app-%03d", i)
		want = append(want, repo)
		g.Go(func() error {
			writeImage(t, c, reg.Addr+"/"+repo+":v1", img)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)

	for _, tc := range []struct {
		page, pages int
	}{{100, 3}, {1000, 1}, {7, 36}} {
		cc := newClient(t, Options{PageSize: tc.page})
		for _, host := range []string{reg.Addr, reg.Host()} {
			res, err := cc.Catalog(ctx, host)
			if err != nil {
				t.Fatalf("catalog %s n=%d: %v", host, tc.page, err)
			}
			if !slices.Equal(res.Repositories, want) {
				t.Fatalf("catalog %s n=%d: got %d repos (first %v), want %d", host, tc.page, len(res.Repositories), head(res.Repositories), len(want))
			}
			if res.Pages != tc.pages {
				t.Errorf("catalog %s n=%d: %d pages, want %d", host, tc.page, res.Pages, tc.pages)
			}
		}
	}

	// ggcr's own paging is what this package works around: show it still fails
	// for a localhost registry, so the workaround is not dead code.
	regName, _ := name.NewRegistry(reg.Host())
	if _, err := remote.Catalog(ctx, regName, remote.WithTransport(c.Transport()), remote.WithPageSize(100)); err == nil {
		t.Log("note: ggcr remote.Catalog paged a localhost registry; its pagination bug may be fixed")
	}
}

func TestTagsManyPages(t *testing.T) {
	reg := startRegistry(t, registrytestOptions())
	c := newClient(t, Options{PageSize: 100})
	ctx := ctxT(t)
	img := testImage(t, 1, 512, time.Unix(1e9, 0), 2)
	writeImage(t, c, reg.Addr+"/fn:t0000", img)
	ref, _ := name.ParseReference(reg.Addr + "/fn:t0000")
	desc, err := remote.Get(ref, remote.WithTransport(c.Transport()))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"t0000"}
	g := new(errgroup.Group)
	g.SetLimit(8)
	for i := 1; i < 250; i++ {
		tag := fmt.Sprintf("t%04d", i)
		want = append(want, tag)
		g.Go(func() error {
			tr, _ := name.NewTag(reg.Addr + "/fn:" + tag)
			return remote.Tag(tr, desc, remote.WithTransport(c.Transport()))
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	res, err := c.Tags(ctx, "fn", reg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Tags, want) {
		t.Fatalf("tags: got %d (first %v), want %d", len(res.Tags), head(res.Tags), len(want))
	}
	if res.Pages < 3 {
		t.Errorf("tags took %d pages with n=100, want ≥ 3", res.Pages)
	}

	if _, err := c.Tags(ctx, "does-not-exist", reg.Addr); !isNotFound(err) {
		t.Errorf("tags of a missing repo: %v, want NotFoundError", err)
	}
	if _, err := c.Tags(ctx, "Bad Repo!", reg.Addr); !isBadRef(err) {
		t.Errorf("tags of a malformed repo: %v, want BadReferenceError", err)
	}
}

func head(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}
