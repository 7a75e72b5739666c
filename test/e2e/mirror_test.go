package e2e

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient/registrytest"
	"github.com/esbtui/esbtui/registryserver"
)

// upstreamRegistry is a real distribution registry in this process playing
// a public registry: its own CA (unrelated to esbtui's), a name containers
// resolve (host.docker.internal), htpasswd auth, and counters of what the
// mirror asked it. It listens on the engine's bridge address only, so the
// mirror container reaches it and nothing off this machine does; Stop and
// Start keep the port.
type upstreamRegistry struct {
	Addr     string // bridge-ip:port
	Name     string // host.docker.internal:port (what esb.yaml says)
	CAFile   string
	User     string
	Password string

	handler http.Handler
	tlsCfg  *tls.Config
	mu      sync.Mutex
	srv     *http.Server

	ManifestGets, ManifestHeads, BlobGets, Requests atomic.Int64
}

func bridgeAddress(t testing.TB) string {
	t.Helper()
	br := docker(t, "network", "inspect", "bridge", "--format", `{{index .Options "com.docker.network.bridge.name"}}`)
	if br == "" {
		br = "docker0"
	}
	ifc, err := net.InterfaceByName(br)
	if err != nil {
		t.Fatalf("the engine's bridge %s: %v", br, err)
	}
	addrs, _ := ifc.Addrs()
	for _, a := range addrs {
		if ip, _, err := net.ParseCIDR(a.String()); err == nil && ip.To4() != nil {
			return ip.String()
		}
	}
	t.Fatalf("the engine's bridge %s has no IPv4 address", br)
	return ""
}

func startUpstream(t testing.TB) *upstreamRegistry {
	t.Helper()
	dir := t.TempDir()
	if _, err := pki.NewStore(dir).Ensure(context.Background(), pki.Options{Names: []string{"host.docker.internal"}}, progress.Discard); err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := registrytest.ServerTLS(dir)
	if err != nil {
		t.Fatal(err)
	}
	pw := make([]byte, 18)
	rand.Read(pw)
	u := &upstreamRegistry{User: "mirror-user", Password: "pw-" + hex.EncodeToString(pw), CAFile: pki.NewStore(dir).Path(pki.CACertFile), tlsCfg: tlsCfg}
	if err := registryserver.WriteHTPasswd(dir, u.User, u.Password); err != nil {
		t.Fatal(err)
	}
	os.Setenv("OTEL_TRACES_EXPORTER", "none")
	logrus.SetOutput(io.Discard) // the upstream's access log
	cfg, err := configuration.Parse(strings.NewReader(fmt.Sprintf(`version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {inmemory: {}, maintenance: {uploadpurging: {enabled: false}}}
http: {addr: "127.0.0.1:0", secret: upstream}
auth: {htpasswd: {realm: upstream, path: %q}}
`, filepath.Join(dir, registryserver.HTPasswdFile))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app := handlers.NewApp(ctx, cfg)
	u.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.Requests.Add(1)
		switch {
		case strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodGet:
			u.ManifestGets.Add(1)
		case strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodHead:
			u.ManifestHeads.Add(1)
		case strings.Contains(r.URL.Path, "/blobs/") && r.Method == http.MethodGet:
			u.BlobGets.Add(1)
		}
		app.ServeHTTP(w, r)
	})
	u.Addr = net.JoinHostPort(bridgeAddress(t), "0")
	u.Start(t)
	_, port, _ := net.SplitHostPort(u.Addr)
	u.Name = "host.docker.internal:" + port
	t.Cleanup(func() { u.Stop(); cancel() })
	return u
}

func (u *upstreamRegistry) Start(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger a moment after Stop
		if ln, err = net.Listen("tcp", u.Addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("upstream: listen on %s: %v", u.Addr, err)
	}
	u.Addr = ln.Addr().String()
	srv := &http.Server{Handler: u.handler, TLSConfig: u.tlsCfg, ErrorLog: log.New(io.Discard, "", 0)}
	u.mu.Lock()
	u.srv = srv
	u.mu.Unlock()
	go srv.ServeTLS(ln, "", "")
}

func (u *upstreamRegistry) Stop() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.srv != nil {
		u.srv.Close()
		u.srv = nil
	}
}

// transport trusts only the given CA file.
func mirrorCATransport(t testing.TB, caFile string) *http.Transport {
	t.Helper()
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemData)
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: false}
}

// seed pushes an image of layers of the given sizes to the upstream as repo:tag.
func (u *upstreamRegistry) seed(t testing.TB, repo string, sizes ...int64) v1.Image {
	t.Helper()
	var layers []v1.Layer
	for i, s := range sizes {
		l, err := registrytest.Layer(s, false, uint64(i+1)*uint64(len(repo)))
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	img, err := registrytest.Image(time.Unix(1700000000, 0), []string{"/bin/true"}, map[string]string{"repo": repo}, layers...)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(u.Addr + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	tr := mirrorCATransport(t, u.CAFile)
	tr.TLSClientConfig.ServerName = "host.docker.internal"
	if err := remote.Write(ref, img, remote.WithTransport(tr), remote.WithAuth(&authn.Basic{Username: u.User, Password: u.Password})); err != nil {
		t.Fatalf("seed the upstream with %s: %v", repo, err)
	}
	return img
}

// pullAll pulls ref (manifest, config, every layer's bytes) with a client
// trusting only caFile; it returns the layer bytes read.
func pullAll(ctx context.Context, t testing.TB, ref, caFile string) (int64, error) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	tr := mirrorCATransport(t, caFile)
	defer tr.CloseIdleConnections()
	img, err := remote.Image(r, remote.WithContext(ctx), remote.WithTransport(tr))
	if err != nil {
		return 0, err
	}
	if _, err := img.RawConfigFile(); err != nil {
		return 0, err
	}
	layers, err := img.Layers()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return n, err
		}
		k, err := io.Copy(io.Discard, rc)
		rc.Close()
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// mirrorSetup is a stack with one mirror of a fresh upstream, up.
type mirrorSetup struct {
	s            *testStack
	dockerConfig string
	up           *upstreamRegistry
	port         int
	upOutput     string
}

func startMirrorStack(t *testing.T, login bool) *mirrorSetup {
	t.Helper()
	up := startUpstream(t)
	s := newStack(t)
	mport := freePort(t)
	proj := t.TempDir()
	yml := fmt.Sprintf("mirrors:\n  - upstream: %s\n    port: %d\n    ca: %s\n    ttl: 1h\n    max_size: 1GiB\n", up.Name, mport, up.CAFile)
	if err := os.WriteFile(filepath.Join(proj, "esb.yaml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	dockerCfg := t.TempDir()
	cfg := `{"auths": {}}`
	if login {
		cfg = fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, up.Name, base64.StdEncoding.EncodeToString([]byte(up.User+":"+up.Password)))
	}
	if err := os.WriteFile(filepath.Join(dockerCfg, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Env = append(s.Env, "ESB_PROJECT_FILE="+filepath.Join(proj, "esb.yaml"), "DOCKER_CONFIG="+dockerCfg)
	res := mustCLI(t, s.Env, "up", "--no-tui")
	return &mirrorSetup{s: s, up: up, port: mport, upOutput: res.Stdout + res.Stderr, dockerConfig: dockerCfg}
}

func (m *mirrorSetup) ref(repo string) string {
	return fmt.Sprintf("localhost:%d/%s", m.port, repo)
}

// statuses reads the mirror's status through flows, as status and the
// dashboard do.
func (m *mirrorSetup) statuses(t testing.TB, probe bool) flows.MirrorStatus {
	t.Helper()
	cfg := config.FromHome(m.s.Home)
	cfg.Mirrors = []config.Mirror{{Upstream: m.up.Name, Port: m.port, CA: m.up.CAFile}}
	e := flows.New(cfg)
	defer e.Close()
	get := e.MirrorStatuses
	if probe {
		get = e.MirrorStatusesProbe
	}
	st, err := get(context.Background())
	if err != nil || len(st) != 1 {
		t.Fatalf("MirrorStatuses: %v, %v", st, err)
	}
	return st[0]
}

// TestMirrorPullThrough: `esbtui up` with esb.yaml mirrors serves an
// authenticated upstream (its own CA, trusted through `ca:`) over esbtui's
// TLS; the first pull fetches from upstream, the second reads nothing from
// it; the stats say so; with the upstream stopped the cached image still
// pulls (by tag) and an uncached one fails with a message naming the
// upstream; the upstream password appears in no output, log or inspect.
func TestMirrorPullThrough(t *testing.T) {
	t.Parallel()
	m := startMirrorStack(t, true)
	ctx := context.Background()
	m.up.seed(t, "library/small", 3<<20, 1<<20)
	m.up.seed(t, "library/never", 1<<20)

	// First pull: from upstream.
	n, err := pullAll(ctx, t, m.ref("library/small:1.0"), m.s.CACert())
	if err == nil {
		t.Fatalf("pulled a tag the upstream does not have (%d bytes)", n)
	}
	n, err = pullAll(ctx, t, m.ref("library/small:latest"), m.s.CACert())
	if err != nil {
		t.Fatalf("first pull through the mirror: %v", err)
	}
	if m.up.BlobGets.Load() < 2 || m.up.ManifestGets.Load() < 1 {
		t.Errorf("first pull: upstream saw %d blob GETs, %d manifest GETs; want the layers and the manifest", m.up.BlobGets.Load(), m.up.ManifestGets.Load())
	}
	// The cache commits a blob just after streaming it: poll for its size.
	var st1 flows.MirrorStatus
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if st1 = m.statuses(t, false); st1.CachedBytes >= n {
			break
		}
	}
	t.Logf("after the first pull (%d layer bytes): %+v", n, st1)
	if !st1.Running || st1.Misses < 3 || st1.BytesFromUpstream < uint64(n) || st1.CachedBytes < n {
		t.Errorf("stats after the first pull: %+v; want running, ≥3 misses, ≥%d bytes from upstream and cached", st1, n)
	}

	// Second pull: nothing read from upstream (a tag is revalidated with a
	// HEAD, which reads no content and costs no Docker Hub quota).
	blobs, gets, heads := m.up.BlobGets.Load(), m.up.ManifestGets.Load(), m.up.ManifestHeads.Load()
	if _, err := pullAll(ctx, t, m.ref("library/small:latest"), m.s.CACert()); err != nil {
		t.Fatalf("second pull: %v", err)
	}
	if b, g := m.up.BlobGets.Load()-blobs, m.up.ManifestGets.Load()-gets; b != 0 || g != 0 {
		t.Errorf("second pull read from upstream: %d blob GETs, %d manifest GETs", b, g)
	}
	// Right after the first pull, the tag's check is less than 30 s old:
	// the second pull sends nothing at all upstream.
	if h := m.up.ManifestHeads.Load() - heads; h != 0 {
		t.Errorf("second pull, right after the first: %d manifest HEADs upstream, want 0 (the tag was checked less than 30 s ago)", h)
	}
	st2 := m.statuses(t, false)
	t.Logf("after the second pull: %+v", st2)
	if st2.Hits < st1.Hits+3 || st2.Misses != st1.Misses || st2.BytesFromUpstream != st1.BytesFromUpstream || st2.BytesFromCache < uint64(n) {
		t.Errorf("stats after the second pull: %+v; want ≥3 more hits, no more misses, ≥%d bytes from cache", st2, n)
	}
	if st2.TTL != time.Hour || st2.MaxSize != 1<<30 {
		t.Errorf("the running cache's ttl %s and max size %d; esb.yaml says 1h and 1GiB", st2.TTL, st2.MaxSize)
	}
	if !st2.UpstreamChecked || !st2.UpstreamReachable {
		t.Errorf("upstream reachability after pulls: %+v", st2)
	}

	// The upstream stops.
	m.up.Stop()
	if _, err := pullAll(ctx, t, m.ref("library/small:latest"), m.s.CACert()); err != nil {
		t.Errorf("a cached image by tag with the upstream down: %v", err)
	}
	start := time.Now()
	_, err = pullAll(ctx, t, m.ref("library/never:latest"), m.s.CACert())
	t.Logf("uncached pull with the upstream down failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
	want := "upstream " + m.up.Name + " (https://" + m.up.Name + ") unreachable"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("uncached pull with the upstream down: %v; want an error saying %q", err, want)
	}
	down := m.statuses(t, true)
	if !down.UpstreamChecked || down.UpstreamReachable || !strings.Contains(down.LastError, "connect") {
		t.Errorf("status with the upstream down: %+v; want unreachable and the connection error", down)
	}

	// Back up: the uncached image pulls (after the status probe found it).
	m.up.Start(t)
	if st := m.statuses(t, true); !st.UpstreamReachable {
		t.Errorf("status after the upstream came back: %+v", st)
	}
	if _, err := pullAll(ctx, t, m.ref("library/never:latest"), m.s.CACert()); err != nil {
		t.Errorf("uncached pull after the upstream came back: %v", err)
	}

	// The password: nowhere but the 0600 file.
	credFile := filepath.Join(m.s.Home, "mirrors", config.Mirror{Upstream: m.up.Name}.Name(), registryserver.MirrorCredentialFile)
	if fi, err := os.Stat(credFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file %s: %v, %v; want mode 0600", credFile, fi, err)
	}
	container := m.s.Project + "-mirror-" + config.Mirror{Upstream: m.up.Name}.Name()
	logs, _ := m.s.dockerCmd("logs", container).CombinedOutput()
	places := map[string]string{
		"esbtui up output":    m.upOutput,
		"docker inspect":      docker(t, "inspect", container),
		"the container's log": string(logs),
	}
	for _, f := range []string{"logs/esbtui.log", "audit.jsonl", "stack/mirrors.yaml", "stack/compose.yaml"} {
		data, _ := os.ReadFile(filepath.Join(m.s.Home, f))
		places[f] = string(data)
	}
	status := runCLI(t, m.s.Env, "status", "--json")
	places["esbtui status --json"] = status.Stdout + status.Stderr
	for where, text := range places {
		if strings.Contains(text, m.up.Password) {
			t.Errorf("the upstream password appears in %s", where)
		}
	}
	if !strings.Contains(m.upOutput, "with the login from") {
		t.Errorf("up did not say the mirror logs in upstream:\n%s", m.upOutput)
	}

	// The login goes from the Docker config: `up` again drops the file,
	// and the cache, now anonymous, says the upstream asks for a login
	// instead of answering that the image does not exist.
	if err := os.WriteFile(filepath.Join(m.dockerConfig, "config.json"), []byte(`{"auths": {}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	res := mustCLI(t, m.s.Env, "up", "--no-tui")
	if !strings.Contains(res.Stdout+res.Stderr, "anonymous") {
		t.Errorf("up did not say the mirror has no login:\n%s", res)
	}
	if _, err := os.Stat(credFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("credentials file after the login went: %v", err)
	}
	m.up.seed(t, "library/other", 1<<20)
	_, err = pullAll(ctx, t, m.ref("library/other:latest"), m.s.CACert())
	st := m.statuses(t, false)
	t.Logf("anonymous pull: %v; status: %+v", err, st)
	if err == nil || !strings.Contains(err.Error(), "upstream "+m.up.Name) || !strings.Contains(err.Error(), "asks for a login") {
		t.Errorf("the anonymous pull error %v does not say the upstream asks for a login the cache lacks", err)
	}
	if !strings.Contains(st.LastError, "HTTP 401") || !strings.Contains(st.LastError, "docker login "+m.up.Name) {
		t.Errorf("last error %q does not say the upstream asks for a login", st.LastError)
	}
}
