package e2e

import (
	"archive/tar"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/registryclient"
)

// registryDigests is "repo:tag" → digest of every tag of s's registry.
func registryDigests(t *testing.T, s *testStack) map[string]string {
	t.Helper()
	c, err := registryclient.New(registryclient.Options{CACertFile: s.CACert()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cat, err := c.Catalog(t.Context(), s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, repo := range cat.Repositories {
		tl, err := c.Tags(t.Context(), s.Addr()+"/"+repo, s.Addr())
		if err != nil {
			continue
		}
		for _, tag := range tl.Tags {
			ref, _ := name.ParseReference(s.Addr() + "/" + repo + ":" + tag)
			d, err := remote.Head(ref, remote.WithTransport(c.Transport()), remote.WithContext(t.Context()))
			if err != nil {
				t.Fatalf("head %s: %v", ref, err)
			}
			out[repo+":"+tag] = d.Digest.String()
			// Every blob a tag reaches is there (no tag points at missing
			// content).
			img, err := remote.Image(ref, remote.WithTransport(c.Transport()), remote.WithContext(t.Context()))
			if err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
			ls, _ := img.Layers()
			for _, l := range ls {
				dg, _ := l.Digest()
				rc, err := l.Compressed()
				if err != nil {
					t.Errorf("%s points at a blob the registry lacks: %s: %v", ref, dg, err)
					continue
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					t.Errorf("%s points at a blob the registry cannot serve: %s: %v", ref, dg, err)
				}
				rc.Close()
			}
		}
	}
	return out
}

// waitProgress waits until the background run's JSON progress shows bytes
// of op's blobs step moved.
func waitProgress(t *testing.T, b *bgCLI, op string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, e := range parseEvents(t, b.stderr.String()) {
			if e.Op == op && e.Step == "blobs" && e.Status == "progress" && e.Current > 0 {
				return
			}
		}
		select {
		case <-b.done:
			t.Fatalf("%s ended before any progress: %v\nstdout:\n%s\nstderr:\n%s", op, b.err, b.stdout, b.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("no %s progress within %v\nstderr:\n%s", op, timeout, b.stderr)
}

// stopMidStream pauses the registry once op streams blobs, sends sig to
// the run, waits for its exit and unpauses the registry.
func stopMidStream(t *testing.T, s *testStack, b *bgCLI, op string, sig os.Signal) {
	t.Helper()
	container := s.Project + "-registry"
	waitProgress(t, b, op, 2*time.Minute)
	docker(t, "pause", container)
	defer docker(t, "unpause", container)
	b.cmd.Process.Signal(sig)
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not exit within 30s of %v", op, sig)
	}
	if b.err == nil {
		t.Fatalf("%s succeeded although stopped mid-stream", op)
	}
}

// TestBackupRestore: backup → a fresh ESB_HOME and stack → restore: the CA
// (sealed with a passphrase read from a file) comes back and verifies the
// old server certificate, every tag is digest-identical and the function
// image runs. An interrupted backup leaves no FILE; an interrupted restore
// leaves no tag on missing blobs and a re-run completes; a wrong passphrase
// and a tampered archive fail cleanly, writing nothing; the passphrase
// appears in no output, log or audit entry.
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	root := helloFunction(t, "hello from a restored registry")
	mustCLI(t, s.Env, "build", "hello", "--dir", root, "--no-tui")
	exec.Command("docker", "rmi", "-f", s.Addr()+"/hello:latest").Run()
	big, _ := bigImage(t, 2, 48)
	mustCLI(t, s.Env, "push", big, "--to", s.Addr()+"/big/data:v1", "--no-tui")
	want := registryDigests(t, s)
	if len(want) != 2 {
		t.Fatalf("source registry holds %v", want)
	}

	dir := t.TempDir()
	const secret = "e2e-Passphrase-5f1c9a"
	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte(secret+"\n"), 0o600)
	wrongFile := filepath.Join(dir, "wrong")
	os.WriteFile(wrongFile, []byte("not-the-passphrase\n"), 0o600)
	var outputs []string
	keep := func(r cliResult) cliResult { outputs = append(outputs, r.Stdout, r.Stderr); return r }

	// Interrupted backups: cancelled (Ctrl-C: the temp file goes too) and
	// killed (SIGKILL: the next backup to FILE removes the temp file)
	// mid-stream.
	file := filepath.Join(dir, "registry-backup.tar")
	for _, sig := range []os.Signal{os.Interrupt, os.Kill} {
		b := startCLI(t, s.Env, "backup", file, "--json")
		stopMidStream(t, s, b, "backup", sig)
		outputs = append(outputs, b.stdout.String(), b.stderr.String())
		if _, err := os.Stat(file); err == nil {
			t.Fatalf("backup stopped by %v left %s", sig, file)
		}
		if sig == os.Interrupt {
			if m, _ := filepath.Glob(filepath.Join(dir, ".registry-backup.tar.partial-*")); len(m) > 0 {
				t.Errorf("backup cancelled by Ctrl-C left its temp file %v", m)
			}
		}
	}

	// The backup, with the CA.
	res := keep(mustCLI(t, s.Env, "backup", file, "--with-ca", "--passphrase-file", passFile, "--json"))
	var backed struct {
		File  string   `json:"file"`
		Blobs int      `json:"blobs"`
		CA    []string `json:"ca"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &backed); err != nil || backed.File != file || len(backed.CA) < 4 {
		t.Fatalf("backup --json: %v\n%s", err, res.Stdout)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".registry-backup.tar.partial-*")); len(m) > 0 {
		t.Errorf("the killed backup's temp file is still there after the next backup: %v", m)
	}

	// Another project's CLI reads the archive: oras lists the repo:tag
	// names and copies an image out of it by digest.
	oras := orasCLI(t)
	tags, err := exec.Command(oras, "repo", "tags", "--oci-layout", file).CombinedOutput()
	if err != nil || !strings.Contains(string(tags), "hello:latest\n") || !strings.Contains(string(tags), "big/data:v1\n") {
		t.Fatalf("oras repo tags of the archive: %v\n%s", err, tags)
	}
	if out, err := exec.Command(oras, "copy", "--from-oci-layout", file+"@"+want["hello:latest"], "--to-oci-layout", filepath.Join(dir, "oras-out")+":v1").CombinedOutput(); err != nil {
		t.Fatalf("oras copy out of the archive: %v\n%s", err, out)
	}

	// A fresh ESB_HOME, no CA yet, its own project and port.
	s2 := &testStack{Home: newHome(t), Project: randomName("esbe2e"), Port: freePort(t)}
	s2.Env = []string{"ESB_HOME=" + s2.Home, "ESB_PROJECT=" + s2.Project, fmt.Sprintf("ESB_REGISTRY_PORT=%d", s2.Port)}
	t.Cleanup(func() { s2.cleanup(t) })

	// A wrong passphrase: a clear error, nothing written.
	r := keep(runCLI(t, s2.Env, "restore", file, "--with-ca", "--ca-only", "--passphrase-file", wrongFile))
	if r.Code == 0 || !strings.Contains(r.Stderr, "wrong passphrase") {
		t.Fatalf("restore with a wrong passphrase: %s", r)
	}
	if _, err := os.Stat(filepath.Join(s2.Home, "certs", "rootCA.key")); err == nil {
		t.Fatal("a restore with a wrong passphrase wrote the CA key")
	}

	// The CA comes back and verifies the old server certificate.
	keep(mustCLI(t, s2.Env, "restore", file, "--with-ca", "--ca-only", "--passphrase-file", passFile))
	ca := readCert(t, s2.CACert())
	oldLeaf := readCert(t, filepath.Join(s.Home, "certs", "server.crt"))
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := oldLeaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Fatalf("the restored CA does not verify the old server certificate: %v", err)
	}
	// The same CA again is a no-op; over a different CA it is refused.
	keep(mustCLI(t, s2.Env, "restore", file, "--with-ca", "--ca-only", "--passphrase-file", passFile))
	other := []string{"ESB_HOME=" + newHome(t)}
	keep(mustCLI(t, other, "init", "--skip-trust", "--no-tui"))
	r = keep(runCLI(t, other, "restore", file, "--with-ca", "--ca-only", "--passphrase-file", passFile))
	if r.Code == 0 || !strings.Contains(r.Stderr, "never overwrites CA material") {
		t.Fatalf("restore --with-ca over another CA: %s", r)
	}
	keep(mustCLI(t, s2.Env, "init", "--skip-trust", "--no-tui"))
	keep(mustCLI(t, s2.Env, "up", "--no-tui"))

	// An interrupted restore leaves no tag on missing blobs.
	b := startCLI(t, s2.Env, "restore", file, "--json")
	stopMidStream(t, s2, b, "restore", os.Kill)
	partial := registryDigests(t, s2)
	for ref, d := range partial {
		if want[ref] != d {
			t.Errorf("after the interrupted restore %s = %s, want %s", ref, d, want[ref])
		}
	}
	if len(partial) == len(want) {
		t.Errorf("the restore was not interrupted: %v", partial)
	}

	// A tampered copy is refused, naming the blob.
	tampered := filepath.Join(dir, "tampered.tar")
	blob := tamper(t, file, tampered)
	r = keep(runCLI(t, s2.Env, "restore", tampered, "--merge"))
	if r.Code == 0 || !strings.Contains(r.Stderr, "tampered") || !strings.Contains(r.Stderr, blob) {
		t.Fatalf("restore of a tampered archive: %s", r)
	}

	// The re-run completes: every tag digest-identical, the function runs.
	res = keep(mustCLI(t, s2.Env, "restore", file, "--json"))
	if got := registryDigests(t, s2); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("restored registry %v, want %v", got, want)
	}
	// --merge over a tag the registry holds at another digest: shown with
	// --dry-run, refused headless without --yes, done with it.
	mustCLI(t, s2.Env, "push", big, "--to", s2.Addr()+"/hello:latest", "--no-tui")
	dry := mustCLI(t, s2.Env, "restore", file, "--merge", "--dry-run", "--json")
	if !strings.Contains(dry.Stdout, `"replaced": [`) || !strings.Contains(dry.Stdout, `"hello:latest"`) {
		t.Fatalf("restore --merge --dry-run does not show hello:latest replaced:\n%s", dry.Stdout)
	}
	if r := runCLI(t, s2.Env, "restore", file, "--merge", "--no-tui"); r.Code != 2 || !strings.Contains(r.Stderr, "hello:latest") || !strings.Contains(r.Stderr, "--yes") {
		t.Fatalf("headless restore --merge without --yes: %s", r)
	}
	mustCLI(t, s2.Env, "restore", file, "--merge", "--yes", "--no-tui")
	if got := registryDigests(t, s2); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after restore --merge %v, want %v", got, want)
	}
	image := s2.Addr() + "/hello:latest"
	mustCLI(t, s2.Env, "pull", image, "--no-tui")
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })
	if out := docker(t, "run", "--rm", image); out != "hello from a restored registry" {
		t.Fatalf("the restored function printed %q", out)
	}

	// Audit, and the passphrase nowhere.
	if a := mustCLI(t, s.Env, "audit", "--json"); !strings.Contains(a.Stdout, "registry.backup") {
		t.Errorf("the audit log has no backup entry:\n%s", a.Stdout)
	}
	if a := mustCLI(t, s2.Env, "audit", "--json"); !strings.Contains(a.Stdout, "registry.restore") || !strings.Contains(a.Stdout, "ca.restored") {
		t.Errorf("the audit log has no restore entries:\n%s", a.Stdout)
	}
	for _, home := range []string{s.Home, s2.Home} {
		filepath.Walk(home, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() && fi.Size() < 64<<20 {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), secret) {
					t.Errorf("%s holds the passphrase", p)
				}
			}
			return nil
		})
	}
	for _, o := range outputs {
		if strings.Contains(o, secret) {
			t.Errorf("an output holds the passphrase:\n%s", o)
		}
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tamper copies src to dst with one byte flipped in the middle of its
// largest blob, and returns that blob's name.
func tamper(t *testing.T, src, dst string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(src)
	defer f.Close()
	cr := &offsetReader{r: f}
	tr := tar.NewReader(cr)
	var bestName string
	var bestOff, bestSize int64
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if strings.HasPrefix(h.Name, "blobs/") && h.Size > bestSize {
			bestName, bestOff, bestSize = h.Name, cr.n, h.Size
		}
	}
	if bestName == "" {
		t.Fatal("no blob in the archive")
	}
	b[bestOff+bestSize/2] ^= 0xff
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return bestName
}

type offsetReader struct {
	r io.Reader
	n int64
}

func (o *offsetReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.n += int64(n)
	return n, err
}
