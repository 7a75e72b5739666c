package registryclient

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/registryclient/registrytest"
)

func TestInspect(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	created := time.Date(2026, 10, 2, 3, 4, 5, 0, time.UTC)
	img := testImage(t, 2, 64<<10, created, 31)
	res, err := c.PushTarball(ctx, bytes.NewReader(saveTar(t, "fn", img)), "fn:1", reg.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := c.Inspect(ctx, "fn:1", reg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if in.Index || in.Digest != res.Digest || len(in.Images) != 1 {
		t.Fatalf("inspect: %+v", in)
	}
	im := in.Images[0]
	if !im.Created.Equal(created) || !slices.Equal(im.Entrypoint, []string{"/bin/app", "--serve"}) || im.Labels["org.example.fn"] != "demo" {
		t.Errorf("config: created %v entrypoint %v labels %v", im.Created, im.Entrypoint, im.Labels)
	}
	if im.Platform != "linux/amd64" || len(in.Platforms) != 1 {
		t.Errorf("platform %q platforms %v", im.Platform, in.Platforms)
	}
	if len(im.Layers) != 2 || im.Layers[0].Digest != res.Layers[0].Digest || im.Layers[1].Size != res.Layers[1].Size || im.Size <= 0 {
		t.Errorf("layers %+v, pushed %+v", im.Layers, res.Layers)
	}

	// By digest, and an index.
	if byDigest, err := c.Inspect(ctx, reg.Addr+"/fn@"+res.Digest, ""); err != nil || byDigest.Digest != res.Digest {
		t.Errorf("inspect by digest: %v %+v", err, byDigest)
	}
	idx, err := random.Index(256, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	ir, _ := name.ParseReference(reg.Addr + "/multi:1")
	if err := remote.WriteIndex(ir, idx, remote.WithTransport(c.Transport())); err != nil {
		t.Fatal(err)
	}
	ii, err := c.Inspect(ctx, "multi:1", reg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if !ii.Index || len(ii.Images) != 3 {
		t.Errorf("index inspect: index=%v images=%d", ii.Index, len(ii.Images))
	}

	if _, err := c.Inspect(ctx, "fn:nope", reg.Addr); !isNotFound(err) {
		t.Errorf("missing tag: %v, want NotFoundError", err)
	}
	for _, bad := range []string{"", "FN:1", "fn:bad tag", "fn@sha256:123"} {
		if _, err := c.Inspect(ctx, bad, reg.Addr); !isBadRef(err) {
			t.Errorf("inspect %q: %v, want BadReferenceError", bad, err)
		}
	}
}

func TestDelete(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	img := testImage(t, 1, 1024, time.Unix(1e9, 0), 41)
	writeImage(t, c, reg.Addr+"/fn:a", img)
	writeImage(t, c, reg.Addr+"/fn:b", img)
	writeImage(t, c, reg.Addr+"/fn:c", testImage(t, 1, 1024, time.Unix(2e9, 0), 42))

	// A tag: only that tag goes (distribution v3 deletes tags).
	d, err := c.Delete(ctx, "fn:a", reg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if d.ByDigest {
		t.Errorf("tag delete went by digest: %+v", d)
	}
	tags, err := c.Tags(ctx, "fn", reg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tags.Tags, []string{"b", "c"}) {
		t.Fatalf("after deleting tag a: %v", tags.Tags)
	}
	// A digest: the manifest goes, with its tags.
	in, err := c.Inspect(ctx, "fn:c", reg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c.Delete(ctx, "fn@"+in.Digest, reg.Addr); err != nil || !d.ByDigest {
		t.Fatalf("digest delete: %v %+v", err, d)
	}
	if _, err := c.Inspect(ctx, "fn:c", reg.Addr); !isNotFound(err) {
		t.Errorf("tag c after deleting its manifest: %v", err)
	}
	if _, err := c.Delete(ctx, "fn:zzz", reg.Addr); !isNotFound(err) {
		t.Errorf("delete of a missing tag: %v, want NotFoundError", err)
	}
}

func TestPrune(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	// Five tags of fn, created in an order unrelated to their names.
	order := []string{"v3", "v1", "v5", "v2", "v4"} // oldest first
	for i, tag := range order {
		writeImage(t, c, reg.Addr+"/fn:"+tag, testImage(t, 1, 1024, time.Unix(int64(1e9+i*3600), 0), uint64(50+i)))
	}
	writeImage(t, c, reg.Addr+"/other:only", testImage(t, 1, 1024, time.Unix(1e9, 0), 60))

	plan, err := c.Prune(ctx, PruneOptions{Registry: reg.Addr, Keep: 2, DryRun: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Repos) != 2 {
		t.Fatalf("plan covers %d repos", len(plan.Repos))
	}
	fn := plan.Repos[0]
	if got := tagNames(fn.Keep); !slices.Equal(got, []string{"v4", "v2"}) {
		t.Errorf("keep %v, want the two newest [v4 v2]", got)
	}
	wantDel := []string{"v5", "v1", "v3"}
	if got := tagNames(fn.Delete); !slices.Equal(got, wantDel) {
		t.Errorf("delete %v, want %v", got, wantDel)
	}
	if len(plan.Repos[1].Delete) != 0 {
		t.Errorf("other: deletes %v", plan.Repos[1].Delete)
	}
	// The dry run deleted nothing.
	if tags, _ := c.Tags(ctx, "fn", reg.Addr); len(tags.Tags) != 5 {
		t.Fatalf("dry run deleted: %v", tags.Tags)
	}

	done, err := c.Prune(ctx, PruneOptions{Registry: reg.Addr, Keep: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, d := range done.Repos[0].Deleted {
		deleted = append(deleted, d.Ref)
	}
	var want []string
	for _, tg := range wantDel {
		want = append(want, reg.Addr+"/fn:"+tg)
	}
	if !slices.Equal(deleted, want) {
		t.Errorf("real run deleted %v, the dry run listed %v", deleted, want)
	}
	tags, _ := c.Tags(ctx, "fn", reg.Addr)
	if !slices.Equal(tags.Tags, []string{"v2", "v4"}) {
		t.Errorf("left %v, want [v2 v4]", tags.Tags)
	}
}

func tagNames(ts []TagAge) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Tag)
	}
	return out
}

func TestCopyBetweenRegistries(t *testing.T) {
	src := startRegistry(t, registrytest.Options{})
	dst := startRegistry(t, registrytest.Options{DataDir: t.TempDir()})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	img := testImage(t, 3, 256<<10, time.Unix(1.6e9, 0), 70)
	writeImage(t, c, src.Addr+"/upstream/app:1.0", img)
	col := collector()
	cp, err := c.Copy(ctx, src.Addr+"/upstream/app:1.0", dst.Host()+"/mirror/app:1.0", "", col)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if cp.Digest != want.String() {
		t.Errorf("copied digest %s, want %s", cp.Digest, want)
	}
	in, err := c.Inspect(ctx, "mirror/app:1.0", dst.Addr)
	if err != nil || in.Digest != want.String() {
		t.Fatalf("destination: %v %+v", err, in)
	}
	if evs := col.Events(); len(evs) == 0 || evs[len(evs)-1].Step != "copy" {
		t.Errorf("copy events: %+v", evs)
	}
	// An index copies whole.
	idx, _ := random.Index(128, 1, 2)
	ir, _ := name.ParseReference(src.Addr + "/multi:1")
	if err := remote.WriteIndex(ir, idx, remote.WithTransport(c.Transport())); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Copy(ctx, src.Addr+"/multi:1", dst.Addr+"/multi:1", "", nil); err != nil {
		t.Fatal(err)
	}
	ii, err := c.Inspect(ctx, dst.Addr+"/multi:1", "")
	if err != nil || !ii.Index || len(ii.Images) != 2 {
		t.Fatalf("copied index: %v %+v", err, ii)
	}
	if _, err := c.Copy(ctx, src.Addr+"/nope:1", dst.Addr+"/nope:1", "", nil); !isNotFound(err) {
		t.Errorf("copy of a missing image: %v, want NotFoundError", err)
	}
}

func TestImageRefAndParse(t *testing.T) {
	for _, tc := range []struct{ reg, fn, want string }{
		{"localhost:5000", "lambda-dynamo", "localhost:5000/lambda-dynamo:latest"},
		{"", "lambda-dynamo", "lambda-dynamo:latest"},
		{"localhost:5000/", "Api", "localhost:5000/api:latest"},
		{"localhost:5000", "api@sha256:" + fmt.Sprintf("%064d", 0), "localhost:5000/api@sha256:" + fmt.Sprintf("%064d", 0)},
	} {
		if got := ImageRef(tc.reg, tc.fn); got != tc.want {
			t.Errorf("ImageRef(%q, %q) = %q, want %q", tc.reg, tc.fn, got, tc.want)
		}
	}
	r, err := ParseReference("app", "localhost:5000")
	if err != nil || r.Name() != "localhost:5000/app:latest" {
		t.Errorf("ParseReference(app) = %v, %v", r, err)
	}
	r, err = ParseReference("ghcr.io/org/app:1", "localhost:5000")
	if err != nil || r.Context().RegistryStr() != "ghcr.io" {
		t.Errorf("ParseReference(ghcr.io/org/app:1) = %v, %v", r, err)
	}
}
