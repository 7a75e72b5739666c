package registryserver

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// storeBlob writes a blob file the way distribution's filesystem driver
// lays it out, modified at mod.
func storeBlob(t *testing.T, root string, content string, mod time.Time) digest.Digest {
	t.Helper()
	d := digest.FromString(content)
	dir := filepath.Join(root, "docker", "registry", "v2", "blobs", "sha256", d.Encoded()[:2], d.Encoded())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "data")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
	return d
}

func blobExists(root string, d digest.Digest) bool {
	_, err := os.Stat(filepath.Join(root, "docker", "registry", "v2", "blobs", "sha256", d.Encoded()[:2], d.Encoded(), "data"))
	return err == nil
}

// TestMirrorCacheEvictsLeastRecentlyUsed: over the cap, the blobs least
// recently read (or cached) go first, down to 90% of the cap; a blob read
// within the last minute stays even when it is the oldest cached.
func TestMirrorCacheEvictsLeastRecentlyUsed(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	kb := strings.Repeat("x", 1000)
	oldest := storeBlob(t, root, "a"+kb, now.Add(-5*time.Hour)) // cached first, read just now
	old := storeBlob(t, root, "b"+kb, now.Add(-4*time.Hour))    // least recently used
	mid := storeBlob(t, root, "c"+kb, now.Add(-3*time.Hour))    // next
	recent := storeBlob(t, root, "d"+kb, now.Add(-2*time.Hour)) // read an hour ago
	newest := storeBlob(t, root, "e"+kb, now.Add(-1*time.Hour)) // cached an hour ago
	c := newMirrorCache(root, 3500)
	c.now = func() time.Time { return now }
	c.access[oldest] = now.Add(-10 * time.Second)
	c.access[recent] = now.Add(-time.Hour + time.Minute)
	c.enforce()
	for d, want := range map[digest.Digest]bool{oldest: true, old: false, mid: false, recent: true, newest: true} {
		if blobExists(root, d) != want {
			t.Errorf("blob %s present = %v, want %v", d.Encoded()[:8], !want, want)
		}
	}
	size, evicted := c.usage()
	if evicted != 2 || size != 3*1001 {
		t.Errorf("usage = %d bytes, %d evicted; want 3003, 2", size, evicted)
	}
	// Under the cap: nothing more goes.
	c.enforce()
	if _, ev := c.usage(); ev != 2 {
		t.Errorf("evicted again under the cap: %d", ev)
	}
}

// TestUpstreamTransportOutage: a refused connection marks the upstream
// down, the next requests fail at once without dialling (the breaker) and
// name the upstream; a probe tries again and finds it back.
func TestUpstreamTransportOutage(t *testing.T) {
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		w.WriteHeader(http.StatusOK)
	}))
	defer up.Close()
	pool := x509.NewCertPool()
	pool.AddCert(up.Certificate())
	s := MirrorSettings{Upstream: "up.test", RemoteURL: up.URL}
	tr := newUpstreamTransport(s, pool, false)
	get := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.RemoteURL+"/v2/", nil)
		resp, err := tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(context.Background()); err != nil {
		t.Fatal(err)
	}
	if down, _ := tr.down(); down {
		t.Fatal("down after a good answer")
	}
	// A closed port: refused.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "https://" + ln.Addr().String()
	ln.Close()
	s.RemoteURL = closed
	ctx, note := withUpstreamNote(context.Background())
	err := get(ctx)
	var de *UpstreamDownError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "upstream up.test") {
		t.Fatalf("refused connection: %v", err)
	}
	if !strings.Contains(note.get(), "unreachable") {
		t.Errorf("the request's note: %q", note.get())
	}
	if down, why := tr.down(); !down || !strings.Contains(why, "refused") {
		t.Errorf("down = %v, %q", down, why)
	}
	// The breaker: the upstream is back but not tried for the cool-down.
	s.RemoteURL = up.URL
	if err := get(context.Background()); err == nil || !strings.Contains(err.Error(), "not retried") {
		t.Errorf("within the cool-down: %v", err)
	}
	tr.probe(context.Background(), up.URL)
	if down, _ := tr.down(); down {
		t.Error("still down after a probe reached the upstream")
	}
	if st := tr.state(); st.reachable == nil || !*st.reachable || st.requests < 4 {
		t.Errorf("state: %+v", st)
	}
}

func TestShortErrorRedactsURLs(t *testing.T) {
	got := shortError(errors.New("Get \"https://user:hunter2@reg.test/v2/x?token=sekrit\": dial tcp: refused\nsecond line"))
	if strings.Contains(got, "hunter2") || strings.Contains(got, "sekrit") || strings.Contains(got, "\n") || !strings.Contains(got, "https://reg.test/v2/x") {
		t.Errorf("shortError = %q", got)
	}
}

func TestLoadMirrorConfigRefusesHostileFiles(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	srv.Close()
	write := func(dir, name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, c := range map[string]struct{ settings, creds, want string }{
		"http":        {`{"upstream":"x.test","remote_url":"http://x.test"}`, "", "not https"},
		"userinfo":    {`{"upstream":"x.test","remote_url":"https://u:p@x.test"}`, "", "not https"},
		"path":        {`{"upstream":"x.test","remote_url":"https://x.test/evil"}`, "", "not https"},
		"bad creds":   {`{"upstream":"x.test","remote_url":"https://x.test"}`, `{"username":"u","password":`, "not valid JSON"},
		"no password": {`{"upstream":"x.test","remote_url":"https://x.test"}`, `{"username":"u"}`, "both needed"},
	} {
		dir := t.TempDir()
		write(dir, MirrorSettingsFile, c.settings)
		write(dir, MirrorCAFile, caPEM)
		if c.creds != "" {
			write(dir, MirrorCredentialFile, c.creds)
		}
		_, err := loadMirrorConfig(dir)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
