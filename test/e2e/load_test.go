package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// loadClients is the number of concurrent clients the design asks for.
const loadClients = 100

// loadImage is one client's small distinct image, as a docker-save tarball.
type loadImage struct {
	ref    string
	tar    []byte
	digest string // the manifest digest the push must produce
}

// makeLoadImages builds n distinct images of two random layers (16 and
// 48 KiB) each, tagged <addr>/load-NNN:v1.
func makeLoadImages(t testing.TB, addr string, n int) []loadImage {
	t.Helper()
	out := make([]loadImage, n)
	for i := range out {
		l1, err := registrytest.Layer(16<<10, false, uint64(2*i))
		if err != nil {
			t.Fatal(err)
		}
		l2, err := registrytest.Layer(48<<10, false, uint64(2*i+1))
		if err != nil {
			t.Fatal(err)
		}
		img, err := registrytest.Image(time.Unix(1.7e9, 0), []string{"/x"}, map[string]string{"client": fmt.Sprint(i)}, l1, l2)
		if err != nil {
			t.Fatal(err)
		}
		ref := fmt.Sprintf("%s/load-%03d:v1", addr, i)
		var buf bytes.Buffer
		if err := registrytest.DockerSave(&buf, ref, img); err != nil {
			t.Fatal(err)
		}
		out[i] = loadImage{ref: ref, tar: buf.Bytes()}
	}
	return out
}

// TestLoad100Clients: 100 clients, each its own registryclient.Client (own
// connections), push their own image and pull it back at the same time
// against the stack's registry on 127.0.0.1. Zero failures; afterwards every
// image is in the catalog and validates (manifest, config and every layer
// digest and diffID) from the registry.
func TestLoad100Clients(t *testing.T) {
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	imgs := makeLoadImages(t, s.Addr(), loadClients)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	start := make(chan struct{})
	errs := make([]error, len(imgs))
	var wg sync.WaitGroup
	begin := time.Now()
	for i := range imgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = pushPull(ctx, s.CACert(), &imgs[i], start)
		}()
	}
	close(start)
	wg.Wait()
	elapsed := time.Since(begin)
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			t.Errorf("client %d: %v", i, err)
		}
	}
	t.Logf("measured: %d clients pushed and pulled back their image concurrently in %v, %d failures", len(imgs), elapsed, failed)
	if failed > 0 {
		t.FailNow()
	}

	// Afterwards, with a fresh client: every image is listed and pulls
	// back digest-correct.
	c, err := registryclient.New(registryclient.Options{CACertFile: s.CACert()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cat, err := c.Catalog(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	for i := range imgs {
		if repo := fmt.Sprintf("load-%03d", i); !slices.Contains(cat.Repositories, repo) {
			t.Errorf("%s missing from the catalog", repo)
		}
		ref, err := name.ParseReference(imgs[i].ref)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(ref, remote.WithContext(ctx), remote.WithTransport(c.Transport()))
		if err != nil {
			t.Fatalf("get %s: %v", imgs[i].ref, err)
		}
		if d, err := img.Digest(); err != nil || d.String() != imgs[i].digest {
			t.Errorf("%s: digest %v (%v), pushed %s", imgs[i].ref, d, err, imgs[i].digest)
		}
		if err := validate.Image(img); err != nil {
			t.Errorf("%s does not validate: %v", imgs[i].ref, err)
		}
	}
}

// pushPull is one client: wait for the start, push the image, pull it back
// and compare the digests.
func pushPull(ctx context.Context, caFile string, img *loadImage, start <-chan struct{}) error {
	c, err := registryclient.New(registryclient.Options{CACertFile: caFile, Jobs: 2})
	if err != nil {
		return err
	}
	defer c.Close()
	<-start
	res, err := c.PushTarball(ctx, bytes.NewReader(img.tar), img.ref, "", nil)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	img.digest = res.Digest
	got, err := c.Pull(ctx, img.ref, "", io.Discard, nil)
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	if got.Digest != res.Digest || got.Config != res.Config {
		return fmt.Errorf("pulled %s (config %s), pushed %s (config %s)", got.Digest, got.Config, res.Digest, res.Config)
	}
	return nil
}
