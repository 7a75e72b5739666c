package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// userDaemonJSON is a daemon configuration written the way a person does:
// keys esbtui never writes, tabs, no final newline.
const userDaemonJSON = "{\n\t\"debug\": false,\n\t\"log-level\": \"info\",\n\t\"labels\": [\"owner=e2e\"]\n}"

// TestMirrorInstallDockerPullsThroughCache: on a separate engine whose
// daemon.json the test owns, `esbtui mirror install` adds the docker.io
// mirror and reloads that dockerd (SIGHUP, no restart); a bare-name
// `docker pull NAME:TAG` then goes through the cache to the upstream (a
// real registry with its own, unrelated CA, posing as docker.io), a second
// pull of the same image takes no content from the upstream, and `mirror
// uninstall` leaves daemon.json byte-identical.
//
// The cache here is distribution's proxy mode in the test process (the
// esbtui cache of `esbtui up` is the mirror-cache branch's part): it
// listens inside the engine's network namespace, where that engine's
// "localhost" is.
func TestMirrorInstallDockerPullsThroughCache(t *testing.T) {
	dir := t.TempDir()
	daemonJSON := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(daemonJSON, []byte(userDaemonJSON), 0o640); err != nil {
		t.Fatal(err)
	}
	fe := startEmptyEngineWith(t, "--config-file", daemonJSON)

	home := newHome(t)
	project := filepath.Join(dir, "esb.yaml")
	env := []string{"ESB_HOME=" + home, "DOCKER_HOST=" + fe.Host, "ESB_PROJECT_FILE=" + project,
		"ESB_TRUST_ROOT=" + filepath.Join(dir, "root"), "ESB_DOCKER_DAEMON_CONFIG=" + daemonJSON,
		"ESB_DOCKERD_PIDFILE=" + filepath.Join(fe.dir, "dockerd.pid")}
	if err := os.WriteFile(project, []byte("# the e2e project\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, env, "init", "--no-tui", "--skip-trust")

	// The upstream: a plain registry on the host's loopback, TLS from a CA
	// nothing else knows, seeded with library/e2emirror:v1.
	upCA, upPool := newTestCA(t)
	upstreamRequests, tagLookups := &atomic.Int64{}, &atomic.Int64{}
	upAddr := serveRegistry(t, listenTCP(t), leafFor(t, upCA, "127.0.0.1"), nil, func(r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "/manifests/") && !strings.Contains(r.URL.Path, "/manifests/sha256:"):
			tagLookups.Add(1)
		case strings.Contains(r.URL.Path, "/manifests/") || strings.Contains(r.URL.Path, "/blobs/"):
			upstreamRequests.Add(1)
		}
	})
	img, err := random.Image(512<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(upAddr + "/library/e2emirror:v1")
	upTransport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: upPool}}
	if err := remote.Write(ref, img, remote.WithTransport(upTransport)); err != nil {
		t.Fatalf("seed the upstream: %v", err)
	}
	upstreamRequests.Store(0)
	tagLookups.Store(0)

	// The cache: distribution's proxy of the upstream, with esbtui's server
	// certificate, listening in the engine's network namespace. The proxy
	// reaches the upstream with http.DefaultTransport (trusting its CA for
	// this test).
	old := http.DefaultTransport
	http.DefaultTransport = upTransport
	t.Cleanup(func() { http.DefaultTransport = old })
	leaf, err := tls.LoadX509KeyPair(filepath.Join(home, "certs", "server.crt"), filepath.Join(home, "certs", "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	mirrorLn := listenInNetns(t, fe.NetNS)
	port := mirrorLn.Addr().(*net.TCPAddr).Port
	mirrorManifests := &atomic.Int64{}
	serveRegistry(t, mirrorLn, leaf, &configuration.Proxy{RemoteURL: "https://" + upAddr}, func(r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			mirrorManifests.Add(1)
		}
	})

	if err := os.WriteFile(project, fmt.Appendf(nil, "# the e2e project\nfunctions: functions\nmirrors:\n  - upstream: docker.io\n    url: https://%s\n    port: %d\n", upAddr, port), 0o644); err != nil {
		t.Fatal(err)
	}

	pull := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := execOut(ctx, "docker", "-H", fe.Host, "pull", "e2emirror:v1")
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	// Without the mirror the engine goes to Docker Hub, which this
	// namespace cannot reach.
	if err := pull(); err == nil {
		t.Fatal("the bare-name pull worked before mirror install: the test proves nothing")
	}

	dry := mustCLI(t, env, "mirror", "install", "--engine", "docker", "--dry-run", "--json")
	if strings.Contains(dry.Stdout, `"applied": true`) {
		t.Fatalf("dry run applied: %s", dry.Stdout)
	}
	if b, _ := os.ReadFile(daemonJSON); string(b) != userDaemonJSON {
		t.Fatalf("--dry-run changed daemon.json: %q", b)
	}
	if r := runCLI(t, env, "mirror", "install", "--engine", "docker", "--no-tui"); r.Code == 0 || !strings.Contains(r.Stdout, "daemon.json") {
		t.Fatalf("headless install without --yes: want a failure showing the plan; %s", r)
	}
	inst := mustCLI(t, env, "mirror", "install", "--engine", "docker", "--yes", "--no-tui")
	if !strings.Contains(inst.Stdout, "kill -s HUP") {
		t.Errorf("the plan does not show the reload:\n%s", inst.Stdout)
	}
	if mirrors := fe.docker(t, "info", "--format", "{{json .RegistryConfig.Mirrors}}"); !strings.Contains(mirrors, fmt.Sprintf("https://localhost:%d", port)) {
		t.Fatalf("docker info mirrors after install: %s", mirrors)
	}

	if st := doctorCheckStatus(t, env, "engine uses the mirror: docker"); st != "ok" {
		t.Errorf("doctor's \"engine uses the mirror: docker\" after install: %q, want ok", st)
	}
	if err := pull(); err != nil {
		t.Fatalf("bare-name pull through the mirror: %v", err)
	}
	first := upstreamRequests.Load()
	if first == 0 {
		t.Fatal("the first pull did not reach the upstream through the cache")
	}
	fe.docker(t, "rmi", "e2emirror:v1")
	if err := pull(); err != nil {
		t.Fatalf("second bare-name pull: %v", err)
	}
	if n := upstreamRequests.Load(); n != first {
		t.Errorf("the second pull fetched %d manifests or blobs from the upstream (want 0: served from the cache)", n-first)
	}
	t.Logf("upstream content requests: first pull %d, second pull %d; tag lookups (distribution's proxy asks the upstream which digest a tag has on every pull): %d",
		first, upstreamRequests.Load()-first, tagLookups.Load())

	// esbtui build's base image (a bare Docker Hub name) comes through the
	// cache too: the engine's builder uses its registry-mirrors.
	fe.docker(t, "rmi", "e2emirror:v1")
	fn := filepath.Join(dir, "functions", "base")
	os.MkdirAll(fn, 0o755)
	os.WriteFile(filepath.Join(fn, "Dockerfile"), []byte("FROM e2emirror:v1\nLABEL e2e=mirror\n"), 0o644)
	before := mirrorManifests.Load()
	b := runCLI(t, append(env, "ESB_REGISTRY=localhost:5999"), "build", "base", "--no-push", "--no-tui")
	if b.Code != 0 {
		t.Fatalf("esbtui build FROM a Docker Hub name: %s", b)
	}
	if !strings.Contains(b.Stdout+b.Stderr, "pulled through the cache") {
		t.Errorf("build does not say its base images come through the cache:\n%s", b)
	}
	if mirrorManifests.Load() == before {
		t.Errorf("esbtui build did not fetch its base image's manifest through the mirror")
	}

	mustCLI(t, env, "mirror", "uninstall", "--engine", "docker", "--yes", "--no-tui")
	if b, _ := os.ReadFile(daemonJSON); string(b) != userDaemonJSON {
		t.Errorf("daemon.json after uninstall:\n%q\nwant the original:\n%q", b, userDaemonJSON)
	}
	if mirrors := fe.docker(t, "info", "--format", "{{json .RegistryConfig.Mirrors}}"); strings.Contains(mirrors, "localhost") {
		t.Errorf("docker info still lists the mirror after uninstall: %s", mirrors)
	}
	if st := doctorCheckStatus(t, env, "engine uses the mirror: docker"); st != "fail" {
		t.Errorf("doctor's \"engine uses the mirror: docker\" after uninstall: %q, want fail", st)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "root", "etc", "docker")); len(entries) != 0 {
		t.Errorf("uninstall left files in the sandbox's /etc/docker: %v", entries)
	}
}

// doctorCheckStatus runs `esbtui doctor --json` and returns the status of
// the named check ("" when it is not in the report).
func doctorCheckStatus(t *testing.T, env []string, name string) string {
	t.Helper()
	r := runCLI(t, env, "doctor", "--json")
	var rep struct {
		Checks []struct{ Name, Status, Why string }
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, r)
	}
	for _, c := range rep.Checks {
		if c.Name == name {
			t.Logf("doctor: %s: %s: %s", c.Name, c.Status, c.Why)
			return c.Status
		}
	}
	return ""
}

// serveRegistry serves distribution (proxy of proxy.RemoteURL when set)
// over TLS on ln until the test ends; seen (when set) sees every request.
func serveRegistry(t *testing.T, ln net.Listener, cert tls.Certificate, proxy *configuration.Proxy, seen func(*http.Request)) string {
	t.Helper()
	cfg := &configuration.Configuration{}
	cfg.Version = configuration.MajorMinorVersion(0, 1)
	cfg.Log.Level = "error"
	cfg.Log.AccessLog.Disabled = true
	cfg.Storage = configuration.Storage{"filesystem": configuration.Parameters{"rootdirectory": t.TempDir()},
		"delete": configuration.Parameters{"enabled": true}, "maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}}}
	if proxy != nil {
		cfg.Proxy = *proxy
	}
	logrus.SetOutput(io.Discard) // distribution logs every 404 of a proxy's HEAD
	ctx, cancel := context.WithCancel(context.Background())
	app := handlers.NewApp(ctx, cfg)
	h := http.Handler(app)
	if seen != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen(r)
			app.ServeHTTP(w, r)
		})
	}
	srv := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close(); app.Shutdown(); cancel() })
	return ln.Addr().String()
}

func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// listenInNetns opens a loopback listener inside network namespace ns: a
// locked thread enters it, listens and ends with its goroutine (the
// socket stays in the namespace; the thread is never reused).
func listenInNetns(t *testing.T, ns string) net.Listener {
	t.Helper()
	type res struct {
		ln  net.Listener
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with this goroutine
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			ch <- res{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{err: fmt.Errorf("setns %s: %w", ns, err)}
			return
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		ch <- res{ln, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("listen in netns %s: %v", ns, r.err)
	}
	t.Cleanup(func() { r.ln.Close() })
	return r.ln
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newTestCA is a CA unrelated to esbtui's (a public registry's stand-in).
func newTestCA(t *testing.T) (testCA, *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "e2e upstream CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return testCA{cert, key}, pool
}

func leafFor(t *testing.T, ca testCA, ip string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: ip},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP(ip)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func execOut(ctx context.Context, argv ...string) (string, error) {
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	return string(out), err
}
