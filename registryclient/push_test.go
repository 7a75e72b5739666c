package registryclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// checkProgress asserts the push's event stream: per (step, item) a start,
// non-decreasing updates that end at 100%, then done (or skipped); the last
// event is the image done at 100%.
func checkProgress(t *testing.T, evs []progress.Event, wantLayers int) {
	t.Helper()
	type key struct{ step, item string }
	state := map[key]string{}
	last := map[key]int64{}
	uploads := map[string]bool{}
	for i, e := range evs {
		if e.Op != "push" {
			t.Fatalf("event %d: op %q", i, e.Op)
		}
		k := key{e.Step, e.Item}
		if e.Step == "compress" || e.Step == "upload" {
			switch e.Status {
			case progress.Start:
				if state[k] != "" {
					t.Fatalf("event %d %v: start after %s", i, k, state[k])
				}
				state[k] = "started"
			case progress.Update:
				if state[k] != "started" {
					t.Fatalf("event %d %v: update while %q", i, k, state[k])
				}
				if e.Current < last[k] || e.Current > e.Total {
					t.Fatalf("event %d %v: current %d after %d (total %d)", i, k, e.Current, last[k], e.Total)
				}
				last[k] = e.Current
			case progress.Done:
				if state[k] != "started" || last[k] != e.Total || e.Current != e.Total {
					t.Fatalf("event %d %v: done at %d/%d (last update %d, state %q)", i, k, e.Current, e.Total, last[k], state[k])
				}
				state[k] = "done"
			case progress.Skipped:
				if state[k] == "done" {
					t.Fatalf("event %d %v: skipped after done", i, k)
				}
				state[k] = "done"
			default:
				t.Fatalf("event %d %v: status %s (%s)", i, k, e.Status, e.Err)
			}
			if e.Step == "upload" && (e.Status == progress.Done || e.Status == progress.Skipped) {
				uploads[e.Item] = true
			}
		}
	}
	for k, s := range state {
		if s != "done" {
			t.Errorf("%v ended %q", k, s)
		}
	}
	if len(uploads) != wantLayers {
		t.Errorf("%d layers finished uploading, want %d", len(uploads), wantLayers)
	}
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	end := evs[len(evs)-1]
	if end.Step != "image" || end.Status != progress.Done || end.Total == 0 || end.Current != end.Total || end.Percent() != 100 {
		t.Fatalf("last event %+v, want image done at 100%%", end)
	}
}

func TestPushTarballCompressOnceAndCache(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{DataDir: t.TempDir()})
	cacheDir := t.TempDir()
	c := newClient(t, Options{CacheDir: cacheDir})
	ctx := ctxT(t)
	created := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	img := testImage(t, 4, 3<<20, created, 7)
	tarb := saveTar(t, "fn:latest", img)

	col := collector()
	res, err := c.PushTarball(ctx, bytes.NewReader(tarb), "fn:latest", reg.Addr, col)
	if err != nil {
		t.Fatal(err)
	}
	checkProgress(t, col.Events(), 4)
	if res.LayersCompressed != 4 || res.CacheHits != 0 {
		t.Fatalf("first push: compressed %d, cache hits %d; want 4, 0", res.LayersCompressed, res.CacheHits)
	}
	for _, l := range res.Layers {
		if l.Action != ActionUploaded {
			t.Errorf("first push: layer %s %s", l.DiffID, l.Action)
		}
	}
	if _, err := os.Stat(filepath.Join(cacheDir, "layers.json")); err != nil {
		t.Fatalf("layer cache not written: %v", err)
	}
	// The registry has what we said: the manifest's digest, config and diffIDs match.
	ref, _ := name.ParseReference(reg.Addr + "/fn:latest")
	got, err := remote.Image(ref, remote.WithTransport(c.Transport()))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d.String() != res.Digest {
		t.Errorf("registry digest %s, push said %s", d, res.Digest)
	}
	sameContent(t, img, got)

	// Re-push, new client (a new process): nothing compressed, nothing sent.
	c2 := newClient(t, Options{CacheDir: cacheDir})
	col2 := collector()
	res2, err := c2.PushTarball(ctx, bytes.NewReader(tarb), reg.Addr+"/fn:again", "", col2)
	if err != nil {
		t.Fatal(err)
	}
	checkProgress(t, col2.Events(), 4)
	if res2.LayersCompressed != 0 || res2.BytesCompressed != 0 || res2.BytesSent != 0 || res2.CacheHits != 4 {
		t.Fatalf("re-push: compressed %d layers (%d B), sent %d B, cache hits %d; want 0, 0, 0, 4",
			res2.LayersCompressed, res2.BytesCompressed, res2.BytesSent, res2.CacheHits)
	}
	if res2.Digest != res.Digest {
		t.Errorf("re-push digest %s != %s", res2.Digest, res.Digest)
	}

	// Another repository of the same registry: blobs are mounted, not compressed.
	res3, err := c2.PushTarball(ctx, bytes.NewReader(tarb), "other/fn:1", reg.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res3.LayersCompressed != 0 || res3.BytesSent > int64(len(tarb))/100 {
		t.Fatalf("push to another repo: compressed %d, sent %d B; want mounts", res3.LayersCompressed, res3.BytesSent)
	}
	for _, l := range res3.Layers {
		if l.Action != ActionMounted {
			t.Errorf("push to another repo: layer %s %s, want mounted", l.DiffID, l.Action)
		}
	}

	// A changed top layer: only that layer is compressed and uploaded.
	top, err := registrytest.Layer(2<<20, false, 999)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	img2, err := registrytest.Image(created.Add(time.Hour), []string{"/bin/app"}, nil, append(layers[:3:3], top)...)
	if err != nil {
		t.Fatal(err)
	}
	res4, err := c2.PushTarball(ctx, bytes.NewReader(saveTar(t, "fn:v2", img2)), "fn:v2", reg.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res4.LayersCompressed != 1 {
		t.Fatalf("one changed layer: compressed %d layers, want 1", res4.LayersCompressed)
	}
	var uploaded int
	for _, l := range res4.Layers {
		if l.Action == ActionUploaded {
			uploaded++
		}
	}
	if uploaded != 1 || res4.BytesSent > 3<<20 {
		t.Fatalf("one changed layer: %d uploaded, %d B sent", uploaded, res4.BytesSent)
	}

	// A second registry: the cache knows digests, the registry lacks the blobs,
	// so layers are compressed again and must come out identical.
	reg2 := startRegistry(t, registrytest.Options{})
	res5, err := c2.PushTarball(ctx, bytes.NewReader(tarb), "fn:latest", reg2.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res5.Digest != res.Digest || res5.LayersCompressed != 4 {
		t.Fatalf("push to a fresh registry: digest %s (want %s), compressed %d (want 4)", res5.Digest, res.Digest, res5.LayersCompressed)
	}

	// Pull back as a docker-load tarball and as an OCI layout: same image.
	var pulled bytes.Buffer
	pcol := collector()
	pr, err := c2.Pull(ctx, "fn:latest", reg.Addr, &pulled, pcol)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Digest != res.Digest || pr.Config != res.Config {
		t.Fatalf("pull: digest %s config %s, want %s %s", pr.Digest, pr.Config, res.Digest, res.Config)
	}
	data := pulled.Bytes()
	loaded, err := tarball.Image(func() (ioReadCloser, error) { return nopCloser(bytes.NewReader(data)), nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameContent(t, img, loaded)
	if evs := pcol.Events(); len(evs) == 0 || evs[len(evs)-1].Status != progress.Done || evs[len(evs)-1].Percent() != 100 {
		t.Errorf("pull events end %+v", evs[len(evs)-1])
	}
	dir := t.TempDir()
	if _, err := c2.PullLayout(ctx, "fn:latest", reg.Addr, dir, nil); err != nil {
		t.Fatal(err)
	}
	lp, _ := layout.FromPath(dir)
	ii, _ := lp.ImageIndex()
	im, _ := ii.IndexManifest()
	if len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != res.Digest {
		t.Fatalf("OCI layout holds %+v, want %s", im.Manifests, res.Digest)
	}
}

// sameContent compares config digest and diffIDs of two images.
func sameContent(t *testing.T, want, got v1.Image) {
	t.Helper()
	wc, _ := want.ConfigName()
	gc, err := got.ConfigName()
	if err != nil || wc != gc {
		t.Fatalf("config %s, want %s (%v)", gc, wc, err)
	}
	wl, _ := want.Layers()
	gl, err := got.Layers()
	if err != nil || len(wl) != len(gl) {
		t.Fatalf("%d layers, want %d (%v)", len(gl), len(wl), err)
	}
	for i := range wl {
		a, _ := wl[i].DiffID()
		b, err := gl[i].DiffID()
		if err != nil || a != b {
			t.Fatalf("layer %d diffID %s, want %s (%v)", i, b, a, err)
		}
	}
}

func TestPushGgcrTarball(t *testing.T) {
	// ggcr's tarball writer stores gzip layers: they are pushed as is.
	reg := startRegistry(t, registrytest.Options{})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	img := testImage(t, 3, 1<<20, time.Unix(1.7e9, 0), 11)
	tag, _ := name.NewTag("fn:ggcr")
	var b bytes.Buffer
	if err := tarball.Write(tag, img, &b); err != nil {
		t.Fatal(err)
	}
	col := collector()
	res, err := c.PushTarball(ctx, &b, "fn:ggcr", reg.Addr, col)
	if err != nil {
		t.Fatal(err)
	}
	checkProgress(t, col.Events(), 3)
	if res.LayersCompressed != 0 {
		t.Errorf("compressed %d already-compressed layers", res.LayersCompressed)
	}
	want, _ := img.Digest()
	if res.Digest != want.String() {
		t.Errorf("digest %s, want ggcr's %s", res.Digest, want)
	}
}

func TestPushBadInput(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	if _, err := c.PushTarball(ctx, strings.NewReader("not a tar"), "fn:x", reg.Addr, nil); err == nil || !strings.Contains(err.Error(), "push") {
		t.Errorf("garbage tarball: %v", err)
	}
	if _, err := c.PushTarball(ctx, bytes.NewReader(saveTar(t, "x", mustEmptyTar(t))), "UPPER/Case:x", reg.Addr, nil); !isBadRef(err) {
		t.Errorf("bad reference: %v, want BadReferenceError", err)
	}
}

func mustEmptyTar(t *testing.T) v1.Image {
	img, err := mutate.AppendLayers(testImage(t, 0, 0, time.Unix(0, 0), 1))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestMidUploadClose(t *testing.T) {
	// The registry drops the connection in the middle of every blob upload:
	// the push fails with a clear error and tags nothing; once the network
	// is healthy again, a retry completes.
	var broken = true
	reg := startRegistry(t, registrytest.Options{Wrap: dropUploads(&broken)})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	img := testImage(t, 2, 2<<20, time.Unix(1.7e9, 0), 21)
	tarb := saveTar(t, "fn:flaky", img)
	_, err := c.PushTarball(ctx, bytes.NewReader(tarb), "fn:flaky", reg.Addr, nil)
	if err == nil {
		t.Fatal("push through a registry that drops uploads succeeded")
	}
	if !strings.Contains(err.Error(), "push") || !strings.Contains(err.Error(), "upload") {
		t.Errorf("error does not say what failed: %v", err)
	}
	ref, _ := name.ParseReference(reg.Addr + "/fn:flaky")
	if _, herr := remote.Head(ref, remote.WithTransport(c.Transport())); herr == nil {
		t.Fatal("a failed push left the tag in the registry")
	}
	broken = false
	if _, err := c.PushTarball(ctx, bytes.NewReader(tarb), "fn:flaky", reg.Addr, nil); err != nil {
		t.Fatalf("retry after the network healed: %v", err)
	}
	if _, err := remote.Head(ref, remote.WithTransport(c.Transport())); err != nil {
		t.Fatalf("tag missing after the retry: %v", err)
	}
}

func ExampleImageRef() {
	fmt.Println(ImageRef("localhost:5000", "lambda-dynamo"))
	fmt.Println(ImageRef("", "lambda-dynamo"))
	fmt.Println(ImageRef("localhost:5000", "api:v2"))
	// Output:
	// localhost:5000/lambda-dynamo:latest
	// lambda-dynamo:latest
	// localhost:5000/api:v2
}

func TestPushKnownSkipsExport(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	img := testImage(t, 2, 256<<10, time.Unix(1.7e9, 0), 91)
	cfg, _ := img.ConfigName()
	if _, ok, err := c.PushKnown(ctx, cfg.String(), "fn:1", reg.Addr, nil); err != nil || ok {
		t.Fatalf("unknown image: ok=%v err=%v, want export needed", ok, err)
	}
	res, err := c.PushTarball(ctx, bytes.NewReader(saveTar(t, "fn:1", img)), "fn:1", reg.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Same tag: the registry already names this image.
	col := collector()
	k, ok, err := c.PushKnown(ctx, cfg.String(), "fn:1", reg.Addr, col)
	if err != nil || !ok || k.Digest != res.Digest {
		t.Fatalf("same tag: %+v ok=%v err=%v", k, ok, err)
	}
	if evs := col.Events(); evs[len(evs)-1].Step != "image" || evs[len(evs)-1].Percent() != 100 {
		t.Errorf("events end %+v", evs[len(evs)-1])
	}
	// New tag, same repository: the cached manifest is put, nothing exported.
	k, ok, err = c.PushKnown(ctx, cfg.String(), "fn:2", reg.Addr, nil)
	if err != nil || !ok || k.Digest != res.Digest {
		t.Fatalf("new tag: %+v ok=%v err=%v", k, ok, err)
	}
	if in, err := c.Inspect(ctx, "fn:2", reg.Addr); err != nil || in.Digest != res.Digest {
		t.Fatalf("fn:2 after PushKnown: %v %+v", err, in)
	}
	// Another repository lacks the blobs: export needed.
	if _, ok, err := c.PushKnown(ctx, cfg.String(), "other:1", reg.Addr, nil); err != nil || ok {
		t.Fatalf("other repo: ok=%v err=%v, want export needed", ok, err)
	}
}

// A layer cache entry whose digest does not parse (the file is on disk:
// damaged, or hand-edited) is a miss: the layer is compressed again and
// the push succeeds, never a HEAD for a zero digest counted as a cache hit.
func TestPushDamagedCacheDigest(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{DataDir: t.TempDir()})
	cacheDir := t.TempDir()
	ctx := ctxT(t)
	img := testImage(t, 2, 64<<10, time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), 11)
	tarb := saveTar(t, "fn:latest", img)
	if _, err := newClient(t, Options{CacheDir: cacheDir}).PushTarball(ctx, bytes.NewReader(tarb), "fn:v1", reg.Addr, collector()); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(cacheDir, "layers.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	layers, _ := f["layers"].(map[string]any)
	if len(layers) != 2 {
		t.Fatalf("cache holds %d layers, want 2", len(layers))
	}
	for _, e := range layers {
		e.(map[string]any)["digest"] = "sha256:not-a-digest"
	}
	if b, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	res, err := newClient(t, Options{CacheDir: cacheDir}).PushTarball(ctx, bytes.NewReader(tarb), "fn:v2", reg.Addr, collector())
	if err != nil {
		t.Fatalf("push with a damaged cache entry: %v", err)
	}
	if res.CacheHits != 0 || res.LayersCompressed != 2 {
		t.Errorf("cache hits %d, layers compressed %d; want 0 and 2 (a damaged entry is a miss)", res.CacheHits, res.LayersCompressed)
	}
	for _, l := range res.Layers {
		if _, err := v1.NewHash(l.Digest); err != nil || l.CacheHit {
			t.Errorf("layer %s: digest %q (%v), cache hit %v", l.DiffID, l.Digest, err, l.CacheHit)
		}
	}
}
