package registryclient

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// localImage turns img into a LocalImage whose layers are read from memory;
// opens counts how often each layer was opened.
func localImage(t *testing.T, img v1.Image, opens []*atomic.Int32) *LocalImage {
	t.Helper()
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	li := &LocalImage{Config: cfg, Source: "memory"}
	for i, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		d, _ := l.DiffID()
		li.Layers = append(li.Layers, LocalLayer{DiffID: d.String(), Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
			if opens != nil {
				opens[i].Add(1)
			}
			return io.NopCloser(bytes.NewReader(data)), nil
		}})
	}
	return li
}

// TestPushLocalSameImageAsExport: reading layers from the engine's store
// pushes exactly the image an export pushes (same manifest digest), with
// the same progress contract, and a changed top layer reads, compresses and
// sends only that layer.
func TestPushLocalSameImageAsExport(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{DataDir: t.TempDir()})
	ctx := ctxT(t)
	img := testImage(t, 3, 2<<20, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), 11)

	viaSave, err := newClient(t, Options{}).PushTarball(ctx, bytes.NewReader(saveTar(t, "fn:latest", img)), reg.Addr+"/save:1", "", collector())
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{})
	col := collector()
	res, err := c.PushLocal(ctx, localImage(t, img, nil), reg.Addr+"/local:1", "", col)
	if err != nil {
		t.Fatal(err)
	}
	checkProgress(t, col.Events(), 3)
	if res.Digest != viaSave.Digest || res.Export != "layer-store" || res.LayersCompressed != 3 || res.ExportBytes != 0 {
		t.Fatalf("local push: digest %s export %q compressed %d exported %d B; want digest %s (as via docker save), layer-store, 3, 0",
			res.Digest, res.Export, res.LayersCompressed, res.ExportBytes, viaSave.Digest)
	}
	ref, _ := name.ParseReference(reg.Addr + "/local:1")
	got, err := remote.Image(ref, remote.WithTransport(c.Transport()))
	if err != nil {
		t.Fatal(err)
	}
	sameContent(t, img, got)

	// One changed layer on top: the unchanged layers are not even opened.
	top, err := registrytest.Layer(1<<20, false, 99)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := img.Layers()
	img2, err := mutate.AppendLayers(mustImage(t, base[:2]...), top)
	if err != nil {
		t.Fatal(err)
	}
	opens := []*atomic.Int32{{}, {}, {}}
	li2 := localImage(t, img2, opens)
	res2, err := c.PushLocal(ctx, li2, reg.Addr+"/local:2", "", collector())
	if err != nil {
		t.Fatal(err)
	}
	if res2.LayersCompressed != 1 || opens[0].Load() != 0 || opens[1].Load() != 0 || opens[2].Load() != 1 {
		t.Fatalf("changed top layer: compressed %d, opened %d/%d/%d; want 1, 0/0/1", res2.LayersCompressed, opens[0].Load(), opens[1].Load(), opens[2].Load())
	}
	if topSize := res2.Layers[2].Size; res2.BytesSent != topSize+int64(len(li2.Config)) || res2.Layers[2].Action != ActionUploaded {
		t.Errorf("changed top layer: sent %d B, want the layer (%d) and the config (%d)", res2.BytesSent, topSize, len(li2.Config))
	}
}

func mustImage(t *testing.T, ls ...v1.Layer) v1.Image {
	t.Helper()
	img, err := registrytest.Image(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), []string{"/bin/app"}, nil, ls...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestPushLocalWrongLayerTagsNothing: a layer whose bytes do not hash to
// its diffID fails the push with ErrLocalLayer before anything of it is
// uploaded, and the tag never appears.
func TestPushLocalWrongLayerTagsNothing(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{DataDir: t.TempDir()})
	c := newClient(t, Options{})
	img := testImage(t, 2, 1<<20, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), 12)
	li := localImage(t, img, nil)
	li.Layers[1].Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader([]byte("not the layer"))), nil }
	_, err := c.PushLocal(ctxT(t), li, reg.Addr+"/bad:1", "", collector())
	var mm *DiffIDMismatchError
	if !errors.Is(err, ErrLocalLayer) || !errors.As(err, &mm) {
		t.Fatalf("got %v, want a DiffIDMismatchError wrapping ErrLocalLayer", err)
	}
	ref, _ := name.ParseReference(reg.Addr + "/bad:1")
	if _, err := remote.Head(ref, remote.WithTransport(c.Transport())); err == nil {
		t.Fatal("the tag exists after a failed push")
	}
	// A read error is a local-layer failure too (the caller exports instead).
	li.Layers[1].Open = func() (io.ReadCloser, error) { return nil, errors.New("permission denied") }
	if _, err := c.PushLocal(ctxT(t), li, reg.Addr+"/bad:2", "", collector()); !errors.Is(err, ErrLocalLayer) {
		t.Fatalf("open failure: %v", err)
	}
}

// TestPushLocalDroppedUpload: a connection dropped in the middle of a
// streamed layer is retried from the layer's source; a registry that keeps
// dropping fails the push with a clear error and tags nothing.
func TestPushLocalDroppedUpload(t *testing.T) {
	var broken = true
	var drops atomic.Int32
	drop := dropUploads(&broken)
	reg := startRegistry(t, registrytest.Options{Wrap: func(next http.Handler) http.Handler {
		d := drop(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if broken && r.Method == http.MethodPatch {
				drops.Add(1)
			}
			d.ServeHTTP(w, r)
		})
	}})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	li := localImage(t, testImage(t, 2, 2<<20, time.Unix(1.7e9, 0), 31), nil)
	_, err := c.PushLocal(ctx, li, reg.Addr+"/flaky:1", "", nil)
	if err == nil || !strings.Contains(err.Error(), "upload") {
		t.Fatalf("push through a registry that drops uploads: %v", err)
	}
	if n := drops.Load(); n < streamAttempts {
		t.Errorf("%d streamed uploads dropped, want at least %d attempts for a layer", n, streamAttempts)
	}
	ref, _ := name.ParseReference(reg.Addr + "/flaky:1")
	if _, herr := remote.Head(ref, remote.WithTransport(c.Transport())); herr == nil {
		t.Fatal("a failed push left the tag in the registry")
	}
	// Only the first streamed upload is dropped: its retry completes.
	var patches atomic.Int32
	reg2 := startRegistry(t, registrytest.Options{Wrap: func(next http.Handler) http.Handler {
		always := true
		d := dropUploads(&always)(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch && patches.Add(1) == 1 {
				d.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	res, err := c.PushLocal(ctx, li, reg2.Addr+"/flaky:2", "", nil)
	if err != nil {
		t.Fatalf("one dropped upload was not retried: %v", err)
	}
	if n := patches.Load(); n != 3 || res.LayersCompressed != 2 {
		t.Errorf("%d PATCHes, %d layers compressed; want 3 (2 layers, 1 retry; the config goes in a PUT), 2", n, res.LayersCompressed)
	}
	ref2, _ := name.ParseReference(reg2.Addr + "/flaky:2")
	got, err := remote.Image(ref2, remote.WithTransport(c.Transport()))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d.String() != res.Digest {
		t.Errorf("registry has %s, push said %s", d, res.Digest)
	}
}

// TestPushRequests: a blob whose digest is known goes in two requests (POST,
// PUT with the body) after a HEAD; nothing is PATCHed; the manifest last.
func TestPushRequests(t *testing.T) {
	var mu sync.Mutex
	count := map[string]int{}
	reg := startRegistry(t, registrytest.Options{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			kind := "other"
			switch {
			case strings.Contains(r.URL.Path, "/blobs/uploads/"):
				kind = "upload"
			case strings.Contains(r.URL.Path, "/blobs/"):
				kind = "blob"
			case strings.Contains(r.URL.Path, "/manifests/"):
				kind = "manifest"
			}
			mu.Lock()
			count[r.Method+" "+kind]++
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}})
	c := newClient(t, Options{})
	img := testImage(t, 2, 64<<10, time.Unix(1.7e9, 0), 41)
	if _, err := c.PushTarball(ctxT(t), bytes.NewReader(saveTar(t, "fn:1", img)), reg.Addr+"/req:1", "", nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"HEAD blob": 3, "POST upload": 3, "PUT upload": 3, "PUT manifest": 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d requests, want %d (all: %v)", k, count[k], n, count)
		}
	}
	if count["PATCH upload"] != 0 {
		t.Errorf("%d PATCHes for blobs of known digest", count["PATCH upload"])
	}
}
