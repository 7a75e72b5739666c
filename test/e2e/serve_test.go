package e2e

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestServePushPull: `esbtui serve` runs the registry in-process over TLS
// with our certificate; go-containerregistry pushes and pulls through it
// trusting only our CA; Ctrl-C stops it cleanly; nothing but our own lines
// reaches the terminal; the blobs are under $ESB_HOME/registry.
func TestServePushPull(t *testing.T) {
	t.Parallel()
	home := newHome(t)
	port := freePort(t)
	env := []string{"ESB_HOME=" + home, "ESB_REGISTRY_PORT=" + itoa(port)}
	mustCLI(t, env, "init", "--skip-trust", "--no-tui")

	start := time.Now()
	srv := startCLI(t, env, "serve", "--no-tui")
	srv.waitStdout("Ctrl-C to stop", 30*time.Second)
	t.Logf("serve ready after %v (process start to first line)", time.Since(start))

	addr := "localhost:" + itoa(port)
	tr := caTransport(t, filepath.Join(home, "certs", "rootCA.crt"))
	ref := addr + "/e2e/served:v1"
	want := pushRandom(t, tr, ref)

	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, remote.WithTransport(tr))
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	if d, _ := img.Digest(); d != want {
		t.Fatalf("pulled digest %v, pushed %v", d, want)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 2 {
		t.Fatalf("layers: %d %v", len(layers), err)
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n == 0 {
			t.Fatalf("read layer: %d bytes, %v", n, err)
		}
	}
	if _, err := getV2(caTransport(t, filepath.Join(home, "certs", "rootCA.crt")), addr); err != nil {
		t.Fatal(err)
	}
	// A client that does not trust our CA is refused (and the handshake
	// error must not reach the terminal).
	if _, err := getV2(nil, addr); err == nil {
		t.Fatal("a client without our CA got through")
	}

	if code := srv.interrupt(15 * time.Second); code != 0 {
		t.Fatalf("serve exit %d after Ctrl-C\nstdout:\n%s\nstderr:\n%s", code, srv.stdout, srv.stderr)
	}
	if !strings.Contains(srv.stdout.String(), "registry stopped") {
		t.Errorf("no clean-stop line:\n%s", srv.stdout)
	}
	if s := srv.stderr.String(); s != "" {
		t.Errorf("serve wrote to stderr (the registry's logger must not reach the terminal):\n%s", s)
	}
	for _, line := range strings.Split(strings.TrimSpace(srv.stdout.String()), "\n") {
		if strings.Contains(line, "level=") || strings.Contains(line, "response completed") || strings.Contains(line, "HTTP/") {
			t.Errorf("registry log line on stdout: %s", line)
		}
	}
	var found bool
	filepath.Walk(filepath.Join(home, "registry"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Name() == "data" && !fi.IsDir() {
			found = true
		}
		return nil
	})
	if !found {
		t.Errorf("no blob data under %s", filepath.Join(home, "registry"))
	}
	log, _ := os.ReadFile(filepath.Join(home, "logs", "esbtui.log"))
	if !bytes.Contains(log, []byte("response completed")) {
		t.Errorf("the registry's request log did not go to esbtui.log")
	}
}
