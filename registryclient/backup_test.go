package registryclient

import (
	"archive/tar"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient/registrytest"
	"github.com/esbtui/esbtui/registryserver"
)

// backupSource is a registry (esbtui's OCI handler in front, for the
// referrers API) holding two images of one repository that share a layer,
// a multi-platform index in another, and an SBOM referrer pushed by oras.
type backupSource struct {
	reg  *registrytest.Registry
	refs map[string]v1.Hash // "repo:tag" → digest
	sbom string
}

func newBackupSource(t *testing.T, c *Client) *backupSource {
	t.Helper()
	reg := startRegistry(t, registrytest.Options{Wrap: func(h http.Handler) http.Handler { return registryserver.NewOCIHandler(h) }})
	s := &backupSource{reg: reg, refs: map[string]v1.Hash{}}
	ctx := context.Background()
	put := func(ref string, img v1.Image) {
		writeImage(t, c, reg.Host()+"/"+ref, img)
		d, _ := img.Digest()
		s.refs[ref] = d
	}
	v1img := testImage(t, 2, 64<<10, time.Unix(1700000000, 0), 1)
	put("demo/app:v1", v1img)
	put("demo/app:v2", testImage(t, 2, 64<<10, time.Unix(1700000100, 0), 2))
	put("demo/app:latest", v1img)
	put("mirror/app:v1", v1img) // the same blobs in another repository
	idx, err := random.Index(1024, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	ir, _ := name.ParseReference(reg.Host() + "/team/multi:idx")
	if err := remote.WriteIndex(ir, idx, c.remoteOptions(ctx)...); err != nil {
		t.Fatal(err)
	}
	s.refs["team/multi:idx"], _ = idx.Digest()

	dig := s.refs["demo/app:v1"]
	mt, _ := v1img.MediaType()
	size, _ := v1img.Size()
	subject := ocispec.Descriptor{MediaType: string(mt), Digest: digest.Digest(dig.String()), Size: size}
	repo, err := orasremote.NewRepository(reg.Host() + "/demo/app")
	if err != nil {
		t.Fatal(err)
	}
	repo.Client = orasClient(t, reg.CAFile)
	sbom, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.example.sbom", oras.PackManifestOptions{Subject: &subject})
	if err != nil {
		t.Fatalf("oras push the sbom: %v", err)
	}
	s.sbom = sbom.Digest.String()
	return s
}

func orasClient(t *testing.T, caFile string) *auth.Client {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	return &auth.Client{Client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}}
}

func writeBackup(t *testing.T, c *Client, registry string) (string, *BackupResult) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "backup.tar")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := c.Backup(ctxT(t), f, BackupOptions{Registry: registry, EsbtuiVersion: "test"}, progress.Discard)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	return file, res
}

func openArchive(t *testing.T, file string) (*Archive, error) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, _ := f.Stat()
	return OpenArchive(ctxT(t), f, st.Size(), progress.Discard)
}

func headDigest(t *testing.T, c *Client, ref string) (v1.Hash, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(r, c.remoteOptions(context.Background())...)
	if err != nil {
		return v1.Hash{}, err
	}
	return d.Digest, nil
}

// TestBackupRestoreRoundTrip: a backup is an OCI layout another project's
// library (oras-go) reads by "repo:tag"; restored into an empty registry,
// every tag has its digest and the referrer is back; a second restore
// changes nothing; a registry holding other tags is refused unless --merge.
func TestBackupRestoreRoundTrip(t *testing.T) {
	c := newClient(t, Options{})
	src := newBackupSource(t, c)
	file, res := writeBackup(t, c, src.reg.Host())
	if len(res.Repositories) != 3 || res.Blobs == 0 {
		t.Fatalf("backup holds %+v", res.ArchiveManifest)
	}

	store, err := oci.NewFromTar(context.Background(), file)
	if err != nil {
		t.Fatalf("oras-go cannot read the archive as an OCI layout: %v", err)
	}
	for ref, want := range src.refs {
		got, err := store.Resolve(context.Background(), ref)
		if err != nil || got.Digest.String() != want.String() {
			t.Errorf("oras-go resolves %s to %v (%v), want %s", ref, got.Digest, err, want)
		}
	}

	a, err := openArchive(t, file)
	if err != nil {
		t.Fatalf("open the archive: %v", err)
	}
	var mounts atomic.Int64
	countMounts := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Query().Get("mount") != "" {
				mounts.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}
	dst := startRegistry(t, registrytest.Options{Wrap: func(h http.Handler) http.Handler { return countMounts(registryserver.NewOCIHandler(h)) }})
	rr, err := c.Restore(ctxT(t), a, RestoreOptions{Registry: dst.Host()}, progress.Discard)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if mounts.Load() == 0 {
		t.Error("restore uploaded the blobs mirror/app shares with demo/app again instead of mounting them")
	}
	for ref, want := range src.refs {
		got, err := headDigest(t, c, dst.Host()+"/"+ref)
		if err != nil || got != want {
			t.Errorf("restored %s = %v (%v), want %s", ref, got, err, want)
		}
	}
	img, err := remote.Image(mustRef(t, dst.Host()+"/demo/app:v2"), c.remoteOptions(context.Background())...)
	if err != nil {
		t.Fatal(err)
	}
	ls, _ := img.Layers()
	for _, l := range ls {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Errorf("pull a restored layer: %v", err)
		}
		rc.Close()
	}
	refs, err := c.referrers(context.Background(), mustNameRepo(t, dst.Host()+"/demo/app"), src.refs["demo/app:v1"].String())
	if err != nil || len(refs) != 1 || refs[0].Digest != src.sbom {
		t.Errorf("restored referrers of demo/app:v1 = %+v (%v), want the sbom %s", refs, err, src.sbom)
	}
	if rr.BlobsUploaded == 0 {
		t.Errorf("restore uploaded no blobs: %+v", rr)
	}

	again, err := c.Restore(ctxT(t), a, RestoreOptions{Registry: dst.Host()}, progress.Discard)
	if err != nil || len(again.Restored) != 0 || again.BlobsUploaded != 0 {
		t.Errorf("a second restore = %+v (%v), want nothing to do", again, err)
	}

	writeImage(t, c, dst.Host()+"/other/thing:1", testImage(t, 1, 1024, time.Unix(1, 0), 9))
	_, err = c.Restore(ctxT(t), a, RestoreOptions{Registry: dst.Host()}, progress.Discard)
	var ne *NotEmptyError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "other/thing:1") || !strings.Contains(err.Error(), "--merge") {
		t.Errorf("restore into a registry with other tags: %v, want NotEmptyError naming other/thing:1 and --merge", err)
	}
	writeImage(t, c, dst.Host()+"/demo/app:v2", testImage(t, 1, 1024, time.Unix(2, 0), 10))
	plan, err := c.Restore(ctxT(t), a, RestoreOptions{Registry: dst.Host(), Merge: true, DryRun: true}, progress.Discard)
	if err != nil || !plan.DryRun || fmt.Sprint(plan.Restored) != "[demo/app:v2]" || fmt.Sprint(plan.Replaced) != "[demo/app:v2]" {
		t.Errorf("restore --merge --dry-run = %+v (%v), want demo/app:v2 to be replaced", plan, err)
	}
	if got, _ := headDigest(t, c, dst.Host()+"/demo/app:v2"); got == src.refs["demo/app:v2"] {
		t.Error("the dry run restored demo/app:v2")
	}
	if _, err := c.Restore(ctxT(t), a, RestoreOptions{Registry: dst.Host(), Merge: true}, progress.Discard); err != nil {
		t.Errorf("restore --merge: %v", err)
	}
	if got, _ := headDigest(t, c, dst.Host()+"/demo/app:v2"); got != src.refs["demo/app:v2"] {
		t.Errorf("after restore --merge demo/app:v2 = %s, want the archive's %s", got, src.refs["demo/app:v2"])
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustNameRepo(t *testing.T, s string) name.Repository {
	r, err := name.NewRepository(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRestoreRejectsTamperedArchive: one byte changed in a layer is found
// before anything is pushed, and the error names the blob and its image.
func TestRestoreRejectsTamperedArchive(t *testing.T) {
	c := newClient(t, Options{})
	reg := startRegistry(t, registrytest.Options{})
	img := testImage(t, 1, 32<<10, time.Unix(1700000000, 0), 3)
	writeImage(t, c, reg.Host()+"/demo/app:v1", img)
	file, _ := writeBackup(t, c, reg.Host())
	ls, _ := img.Layers()
	layer, _ := ls[0].Digest()

	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	cr := &countingReader{r: f}
	tr := tar.NewReader(cr)
	var off int64 = -1
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Name == blobPath(layer) {
			off = cr.n + 100
			break
		}
	}
	if off < 0 {
		t.Fatalf("no %s in the archive", blobPath(layer))
	}
	b := make([]byte, 1)
	f.ReadAt(b, off)
	b[0] ^= 0xff
	f.WriteAt(b, off)
	f.Close()

	_, err = openArchive(t, file)
	var te *TamperedError
	if !errors.As(err, &te) || te.Object != blobPath(layer) || !strings.Contains(err.Error(), "demo/app:v1") {
		t.Fatalf("open a tampered archive: %v, want a TamperedError naming %s and demo/app:v1", err, blobPath(layer))
	}
}

// failingManifestPuts answers 403 to manifest PUTs after the first
// `allow` of them (a restore interrupted midway).
func failingManifestPuts(allow int64) (func(http.Handler) http.Handler, *atomic.Bool) {
	var on atomic.Bool
	on.Store(true)
	var n atomic.Int64
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if on.Load() && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && n.Add(1) > allow {
				http.Error(w, `{"errors":[{"code":"DENIED","message":"interrupted"}]}`, http.StatusForbidden)
				return
			}
			if on.Load() && r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/blobs/uploads/") && n.Load() >= allow {
				http.Error(w, `{"errors":[{"code":"DENIED","message":"interrupted"}]}`, http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}, &on
}

// TestInterruptedRestoreLeavesNoDanglingTag: a restore that fails midway
// leaves every tag it wrote complete (blobs before tags), and a re-run
// (no --merge needed: the registry holds only part of this archive)
// completes it.
func TestInterruptedRestoreLeavesNoDanglingTag(t *testing.T) {
	c := newClient(t, Options{})
	src := newBackupSource(t, c)
	file, _ := writeBackup(t, c, src.reg.Host())
	a, err := openArchive(t, file)
	if err != nil {
		t.Fatal(err)
	}
	wrap, failing := failingManifestPuts(2)
	dst := startRegistry(t, registrytest.Options{Wrap: wrap})
	if _, err := c.Restore(ctxT(t), a, RestoreOptions{Registry: dst.Host()}, progress.Discard); err == nil {
		t.Fatal("the interrupted restore succeeded")
	}
	cat, err := c.Catalog(context.Background(), dst.Host())
	if err != nil {
		t.Fatal(err)
	}
	tagged := 0
	for _, repo := range cat.Repositories {
		tl, err := c.Tags(context.Background(), dst.Host()+"/"+repo, "")
		if err != nil {
			continue
		}
		for _, tag := range tl.Tags {
			tagged++
			ref := dst.Host() + "/" + repo + ":" + tag
			desc, err := remote.Get(mustRef(t, ref), c.remoteOptions(context.Background())...)
			if err != nil {
				t.Errorf("%s: %v", ref, err)
				continue
			}
			if desc.MediaType.IsIndex() {
				continue
			}
			img, err := desc.Image()
			if err != nil {
				t.Fatal(err)
			}
			ls, _ := img.Layers()
			for _, l := range ls {
				d, _ := l.Digest()
				if _, err := remote.Layer(mustNameRepo(t, dst.Host()+"/"+repo).Digest(d.String()), c.remoteOptions(context.Background())...); err != nil {
					t.Errorf("%s points at a blob the registry lacks: %s", ref, d)
				}
				rc, err := l.Compressed()
				if err != nil {
					t.Errorf("%s points at a blob the registry lacks: %s: %v", ref, d, err)
					continue
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					t.Errorf("%s: blob %s: %v", ref, d, err)
				}
				rc.Close()
			}
		}
	}
	if tagged == 0 || tagged >= len(src.refs) {
		t.Fatalf("the interruption left %d of %d tags", tagged, len(src.refs))
	}
	failing.Store(false)
	if _, err := c.Restore(ctxT(t), a, RestoreOptions{Registry: dst.Host()}, progress.Discard); err != nil {
		t.Fatalf("re-run after the interruption: %v", err)
	}
	for ref, want := range src.refs {
		got, err := headDigest(t, c, dst.Host()+"/"+ref)
		if err != nil || got != want {
			t.Errorf("after the re-run %s = %v (%v), want %s", ref, got, err, want)
		}
	}
}
