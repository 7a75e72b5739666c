package bench

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

func mustImage(b *testing.B, layerSize int64, text bool, seed uint64, n int) v1.Image {
	var ls []v1.Layer
	for i := range n {
		l, err := registrytest.Layer(layerSize, text, seed*10+uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		ls = append(ls, l)
	}
	img, err := registrytest.Image(time.Unix(1.8e9, 0), []string{"/app"}, nil, ls...)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

func pushOurs(b *testing.B, c *registryclient.Client, file, dst string) *registryclient.PushResult {
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	res, err := c.PushTarball(context.Background(), f, dst, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	return res
}

func pushNaive(b *testing.B, c *registryclient.Client, file, dst string) {
	img, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		b.Fatal(err)
	}
	ref, err := name.ParseReference(dst)
	if err != nil {
		b.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithTransport(naiveTransport(c))); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPush alternates a cold esbtui push (empty layer cache, new repo)
// with a naive ggcr remote.Write of the same docker-save tarball (new repo),
// and reports median MiB/s of each and the ratio.
func BenchmarkPush(b *testing.B) {
	mib := imageMiB()
	for _, variant := range []struct {
		name string
		text bool
	}{{"random", false}, {"text", true}} {
		b.Run(variant.name, func(b *testing.B) {
			reg := startRegistry(b)
			file := saveFile(b, b.TempDir(), mib, variant.text, 1)
			var ours, naive []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c := newClient(b, b.TempDir()) // cold cache
				t0 := time.Now()
				pushOurs(b, c, file, fmt.Sprintf("%s/ours-%d:latest", reg.Addr, i))
				ours = append(ours, time.Since(t0))

				t0 = time.Now()
				pushNaive(b, c, file, fmt.Sprintf("%s/naive-%d:latest", reg.Addr, i))
				naive = append(naive, time.Since(t0))
			}
			b.StopTimer()
			mo, mn := median(ours), median(naive)
			b.ReportMetric(mibps(mib, mo), "esbtui-MiB/s")
			b.ReportMetric(mibps(mib, mn), "naive-MiB/s")
			b.ReportMetric(mn.Seconds()/mo.Seconds(), "speedup-x")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkRepush: the image is already in the repository. esbtui's layer
// cache answers with HEADs; naive ggcr recompresses every layer to learn
// the digests it then finds present.
func BenchmarkRepush(b *testing.B) {
	mib := imageMiB()
	reg := startRegistry(b)
	file := saveFile(b, b.TempDir(), mib, false, 2)
	c := newClient(b, b.TempDir())
	pushOurs(b, c, file, reg.Addr+"/re:latest")
	pushNaive(b, c, file, reg.Addr+"/renaive:latest")
	var ours, naive []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res := pushOurs(b, c, file, reg.Addr+"/re:latest")
		ours = append(ours, time.Since(t0))
		if res.LayersCompressed != 0 || res.BytesSent != 0 {
			b.Fatalf("re-push compressed %d layers, sent %d bytes", res.LayersCompressed, res.BytesSent)
		}
		t0 = time.Now()
		pushNaive(b, c, file, reg.Addr+"/renaive:latest")
		naive = append(naive, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64(median(ours).Milliseconds()), "esbtui-ms")
	b.ReportMetric(float64(median(naive).Milliseconds()), "naive-ms")
	b.ReportMetric(median(naive).Seconds()/median(ours).Seconds(), "speedup-x")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkPushOneLayerChanged: the top layer of four changed.
func BenchmarkPushOneLayerChanged(b *testing.B) {
	mib := imageMiB()
	reg := startRegistry(b)
	dir := b.TempDir()
	base := mustImage(b, mib<<20/4, false, 3, 3)
	c := newClient(b, b.TempDir())
	var ours, naive []time.Duration
	for i := 0; i < b.N+1; i++ {
		top, err := registrytest.Layer(mib<<20/4, false, uint64(1000+i))
		if err != nil {
			b.Fatal(err)
		}
		layers, _ := base.Layers()
		img, err := registrytest.Image(time.Unix(1.8e9+int64(i), 0), []string{"/app"}, nil, append(layers, top)...)
		if err != nil {
			b.Fatal(err)
		}
		file := fmt.Sprintf("%s/v%d.tar", dir, i)
		f, _ := os.Create(file)
		if err := registrytest.DockerSave(f, "x", img); err != nil {
			b.Fatal(err)
		}
		f.Close()
		t0 := time.Now()
		res := pushOurs(b, c, file, reg.Addr+"/one:latest")
		d := time.Since(t0)
		t0 = time.Now()
		pushNaive(b, c, file, reg.Addr+"/onenaive:latest")
		dn := time.Since(t0)
		if i == 0 {
			continue // the first push is cold for both
		}
		if res.LayersCompressed != 1 {
			b.Fatalf("one changed layer: compressed %d", res.LayersCompressed)
		}
		ours, naive = append(ours, d), append(naive, dn)
		os.Remove(file)
	}
	b.ReportMetric(float64(median(ours).Milliseconds()), "esbtui-ms")
	b.ReportMetric(float64(median(naive).Milliseconds()), "naive-ms")
	b.ReportMetric(median(naive).Seconds()/median(ours).Seconds(), "speedup-x")
	b.ReportMetric(0, "ns/op")
}
