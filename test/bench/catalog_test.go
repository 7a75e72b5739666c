package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"github.com/esbtui/esbtui/registryclient"
)

// BenchmarkCatalog lists 2 000 repositories with pages of 1000 and 100.
func BenchmarkCatalog(b *testing.B) {
	const repos = 2000
	reg := startRegistry(b)
	c := newClient(b, b.TempDir())
	img := mustImage(b, 256, false, 9, 1)
	g := new(errgroup.Group)
	g.SetLimit(8)
	for i := range repos {
		g.Go(func() error {
			ref, err := name.ParseReference(fmt.Sprintf("%s/r/%05d:1", reg.Addr, i))
			if err != nil {
				return err
			}
			return remote.Write(ref, img, remote.WithTransport(c.Transport()))
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1000, 100} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			cc, err := registryclient.New(registryclient.Options{CACertFile: certs(b) + "/rootCA.crt", PageSize: n})
			if err != nil {
				b.Fatal(err)
			}
			defer cc.Close()
			b.ResetTimer()
			var total time.Duration
			for i := 0; i < b.N; i++ {
				res, err := cc.Catalog(context.Background(), reg.Host())
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Repositories) != repos {
					b.Fatalf("%d repos, want %d", len(res.Repositories), repos)
				}
				total += res.Elapsed
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/catalog")
		})
	}
}
