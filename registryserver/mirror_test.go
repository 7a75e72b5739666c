package registryserver

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
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
	if st := tr.state(); st.reachable == nil || !*st.reachable || st.requests != 3 { // the breaker sent nothing
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

// TestTagChecksWindow: a repeated HEAD of the same tag within the window is
// answered from the upstream's last answer (no request upstream); after
// the window, with another Accept, or for a digest, it goes upstream.
func TestTagChecksWindow(t *testing.T) {
	heads := 0
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		heads++
		w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("a", 64))
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.Header().Set("Content-Length", "123")
	}))
	defer up.Close()
	pool := x509.NewCertPool()
	pool.AddCert(up.Certificate())
	tr := newUpstreamTransport(MirrorSettings{Upstream: "up.test", RemoteURL: up.URL}, pool, false)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr.now = func() time.Time { return now }
	head := func(path, accept string) *http.Response {
		req, _ := http.NewRequest(http.MethodHead, up.URL+path, nil)
		req.Header.Set("Accept", accept)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	head("/v2/library/a/manifests/latest", "x, z")
	resp := head("/v2/library/a/manifests/latest", "z,x")
	if heads != 1 || resp.Header.Get("Docker-Content-Digest") == "" || resp.ContentLength != 123 {
		t.Errorf("repeat within the window: %d upstream HEADs, answer %v", heads, resp.Header)
	}
	head("/v2/library/a/manifests/latest", "y")
	head("/v2/library/a/manifests/sha256:"+strings.Repeat("b", 64), "x")
	if heads != 3 {
		t.Errorf("another Accept and a digest: %d upstream HEADs, want 3", heads)
	}
	now = now.Add(tagCheckWindow + time.Second)
	head("/v2/library/a/manifests/latest", "x,z")
	if heads != 4 {
		t.Errorf("after the window: %d upstream HEADs, want 4", heads)
	}
}

// TestPingAnsweredWithinWindow: distribution's ping of an upstream without
// auth is answered from the last 200 within the window.
func TestPingAnsweredWithinWindow(t *testing.T) {
	pings := 0
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pings++
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		w.Write([]byte("{}"))
	}))
	defer up.Close()
	pool := x509.NewCertPool()
	pool.AddCert(up.Certificate())
	tr := newUpstreamTransport(MirrorSettings{Upstream: "up.test", RemoteURL: up.URL}, pool, false)
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest(http.MethodGet, up.URL+"/v2/", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "{}" || resp.Header.Get("Docker-Distribution-Api-Version") == "" {
			t.Errorf("ping %d: %d %q %v", i, resp.StatusCode, body, resp.Header)
		}
	}
	if pings != 1 {
		t.Errorf("%d pings reached the upstream, want 1", pings)
	}
}

// TestCheckedTagServedByDigest: a tag request is turned into a request by
// digest only when the upstream confirmed the tag within the window, the
// cache's tag points at that digest, and the client accepts its type.
func TestCheckedTagServedByDigest(t *testing.T) {
	root := t.TempDir()
	d := digest.FromString("manifest")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := newUpstreamTransport(MirrorSettings{Upstream: "up.test", RemoteURL: "https://up.test"}, x509.NewCertPool(), false)
	tr.now = func() time.Time { return now }
	h := &mirrorHandler{tr: tr, cache: newMirrorCache(root, 0)}
	const mt = "application/vnd.oci.image.index.v1+json"
	check := func(accept string) bool {
		r := httptest.NewRequest(http.MethodGet, "https://localhost/v2/library/a/manifests/latest", nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		got, ok := h.checkedTag(r, "library/a", "latest")
		return ok && got == d
	}
	if check(mt) {
		t.Fatal("rewritten with no upstream check")
	}
	up := httptest.NewRequest(http.MethodHead, "https://up.test/v2/library/a/manifests/latest", nil)
	tr.tags.store(up, &http.Response{StatusCode: 200, Header: http.Header{"Docker-Content-Digest": {d.String()}, "Content-Type": {mt}}}, now)
	if check(mt) {
		t.Error("rewritten while the cache has no such tag")
	}
	link := filepath.Join(root, "docker/registry/v2/repositories/library/a/_manifests/tags/latest/current")
	if err := os.MkdirAll(link, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(link, "link"), []byte(d.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if !check("application/vnd.docker.distribution.manifest.v2+json, " + mt) {
		t.Error("not rewritten though everything matches")
	}
	if check("application/vnd.docker.distribution.manifest.v2+json") || check("") {
		t.Error("rewritten for a client that does not accept the manifest's type")
	}
	now = now.Add(tagCheckWindow + time.Second)
	if check(mt) {
		t.Error("rewritten after the window")
	}
	for p, want := range map[string]bool{"/v2/library/a/blobs/sha256:ab": true, "/v2/a/manifests/x": true, "/v2/../x/manifests/y": false, "/v2/a/tags/list": false} {
		if _, _, _, ok := splitMirrorPath(p); ok != want {
			t.Errorf("splitMirrorPath(%q) ok = %v", p, ok)
		}
	}
}

// TestUpstreamTransportBoundsSilentUpstream: an upstream that accepts the
// connection and then says nothing (a black hole behind a proxy, a hung
// server) fails on the TLS handshake bound, naming the upstream, instead
// of hanging the pull.
func TestUpstreamTransportBoundsSilentUpstream(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	s := MirrorSettings{Upstream: "silent.test", RemoteURL: "https://" + ln.Addr().String()}
	tr := newUpstreamTransport(s, x509.NewCertPool(), false)
	req, _ := http.NewRequest(http.MethodGet, s.RemoteURL+"/v2/", nil)
	_, err = tr.RoundTrip(req)
	if err == nil || !strings.Contains(err.Error(), "upstream silent.test") || !strings.Contains(err.Error(), "handshake timeout") {
		t.Fatalf("silent upstream: %v", err)
	}
	if down, _ := tr.down(); !down {
		t.Error("a handshake timeout did not mark the upstream down")
	}
}
