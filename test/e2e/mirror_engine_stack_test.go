package e2e

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// stackDaemonJSON is the fresh engine's configuration: the user's keys,
// and the bridge range as insecure so that the direct pull (measured
// against the pull through the cache) needs no certs.d entry on the
// machine.
const stackDaemonJSON = "{\n  \"debug\": false,\n  \"insecure-registries\": [\"172.16.0.0/12\"]\n}\n"

// mirrorPullImageSize is the size of the image pulled through the cache
// (3 layers): small for the suite; the closing note's 200 MiB measurement
// ran this test with 200 << 20.
const mirrorPullImageSize = 12 << 20

// TestMirrorInstallThroughEsbtuiCache is the whole chain with esbtui's own
// cache: on a fresh engine whose daemon.json the test owns, `esbtui up`
// serves esb.yaml's docker.io mirror (its upstream a real registry with an
// unrelated CA, posing as docker.io through the mirror's url:), `esbtui
// mirror install` makes that dockerd use it (SIGHUP), a bare-name `docker
// pull` goes through the cache to the upstream, the second pull reads
// nothing from the upstream, `mirror ls --json` shows the hits, and
// `mirror uninstall` leaves daemon.json byte-identical. It logs the pull
// times through the cache (miss, hit) for the closing note.
func TestMirrorInstallThroughEsbtuiCache(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	daemonJSON := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(daemonJSON, []byte(stackDaemonJSON), 0o640); err != nil {
		t.Fatal(err)
	}
	fe := startEmptyEngineWith(t, "--config-file", daemonJSON)
	s := newStackWith(t, fe, "")

	// The upstream listens on the fresh engine's bridge address (its
	// containers reach it as host.docker.internal) and, for seeding, on
	// the host's loopback.
	bridge := strings.Fields(string(mustOutput(t, "ip", "netns", "exec", fe.NetNS, "ip", "-4", "-o", "addr", "show", "docker0")))
	var bridgeIP string
	for i, f := range bridge {
		if f == "inet" && i+1 < len(bridge) {
			bridgeIP, _, _ = strings.Cut(bridge[i+1], "/")
		}
	}
	if bridgeIP == "" {
		t.Fatalf("no IPv4 address on the fresh engine's docker0: %v", bridge)
	}
	upCA, upPool := newTestCA(t)
	caFile := filepath.Join(dir, "upstream-ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: upCA.cert.Raw}), 0o644)
	var blobGets, manifestGets, manifestHeads atomic.Int64
	upLn := listenInNetnsOn(t, fe.NetNS, bridgeIP+":0")
	seedLn := listenTCP(t)
	serveRegistry(t, seedLn, leafFor(t, upCA, "127.0.0.1", "host.docker.internal"), func(r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "/blobs/") && r.Method == http.MethodGet:
			blobGets.Add(1)
		case strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodGet:
			manifestGets.Add(1)
		case strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodHead:
			manifestHeads.Add(1)
		}
	}, upLn)
	_, upPort, _ := net.SplitHostPort(upLn.Addr().String())
	img, err := random.Image(mirrorPullImageSize/3, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(seedLn.Addr().String() + "/library/e2ecache:v1")
	if err := remote.Write(ref, img, remote.WithTransport(&http.Transport{TLSClientConfig: tlsConfigFor(upPool)})); err != nil {
		t.Fatalf("seed the upstream: %v", err)
	}
	blobGets.Store(0)
	manifestGets.Store(0)
	manifestHeads.Store(0)

	mport := freePort(t)
	project := filepath.Join(dir, "esb.yaml")
	yml := fmt.Sprintf("# e2e: Docker Hub played by a local registry\nfunctions: functions\nmirrors:\n  - upstream: docker.io\n    url: https://host.docker.internal:%s\n    ca: %s\n    port: %d\n", upPort, caFile, mport)
	if err := os.WriteFile(project, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "functions"), 0o755)
	env := s.With("ESB_PROJECT_FILE="+project, "ESB_TRUST_ROOT="+filepath.Join(dir, "root"),
		"ESB_DOCKER_DAEMON_CONFIG="+daemonJSON, "ESB_DOCKERD_PIDFILE="+filepath.Join(fe.dir, "dockerd.pid"))
	mustCLI(t, env, "up", "--no-tui")

	pull := func() (time.Duration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		start := time.Now()
		out, err := execOut(ctx, "docker", "-H", fe.Host, "pull", "e2ecache:v1")
		if err != nil {
			return 0, fmt.Errorf("%v: %s", err, out)
		}
		return time.Since(start), nil
	}
	if _, err := pull(); err == nil {
		t.Fatal("the bare-name pull worked before mirror install: the test proves nothing")
	}
	dry := mustCLI(t, env, "mirror", "install", "--engine", "docker", "--dry-run", "--json")
	if strings.Contains(dry.Stdout, `"applied": true`) || !strings.Contains(dry.Stdout, daemonJSON) {
		t.Fatalf("dry run: %s", dry.Stdout)
	}
	if b, _ := os.ReadFile(daemonJSON); string(b) != stackDaemonJSON {
		t.Fatalf("--dry-run changed daemon.json: %q", b)
	}
	if r := runCLI(t, env, "mirror", "install", "--engine", "docker", "--no-tui"); r.Code == 0 || !strings.Contains(r.Stdout, "daemon.json") || !strings.Contains(r.Stderr, "--yes") {
		t.Fatalf("headless install without --yes: want a failure showing the plan; %s", r)
	}
	// containerd (the fresh engine's own, through ctr) uses the hosts.toml
	// esbtui writes; the sandbox's /etc/containerd makes it applicable.
	os.MkdirAll(filepath.Join(dir, "root", "etc", "containerd"), 0o755)
	inst := mustCLI(t, env, "mirror", "install", "--yes", "--no-tui")
	if !strings.Contains(inst.Stdout, "kill -s HUP") {
		t.Errorf("the plan does not show the reload:\n%s", inst.Stdout)
	}
	if st := doctorCheckStatus(t, env, "engine uses the mirror: docker"); st != "ok" {
		t.Errorf("doctor's \"engine uses the mirror: docker\" after install: %q, want ok", st)
	}
	if st := doctorCheckStatus(t, env, "mirror reaches its upstream: docker.io"); st != "ok" {
		t.Errorf("doctor's \"mirror reaches its upstream: docker.io\": %q, want ok", st)
	}

	miss, err := pull()
	if err != nil {
		t.Fatalf("bare-name pull through esbtui's cache: %v", err)
	}
	if blobGets.Load() == 0 {
		t.Fatal("the first pull fetched no blob from the upstream: it did not go through the cache")
	}
	firstBlobs, firstManifests, firstHeads := blobGets.Load(), manifestGets.Load(), manifestHeads.Load()
	fe.docker(t, "rmi", "e2ecache:v1")
	hit, err := pull()
	if err != nil {
		t.Fatalf("second bare-name pull: %v", err)
	}
	// The cache revalidates a tag at most every 30 s: the second pull,
	// seconds after the first, reaches the upstream not at all.
	if blobGets.Load() != firstBlobs || manifestGets.Load() != firstManifests || manifestHeads.Load() != firstHeads {
		t.Errorf("the second pull reached the upstream: blob GETs %d→%d, manifest GETs %d→%d, HEADs %d→%d (want no change: served from the cache)",
			firstBlobs, blobGets.Load(), firstManifests, manifestGets.Load(), firstHeads, manifestHeads.Load())
	}

	// Direct from the upstream, same engine, same image, for comparison.
	fe.docker(t, "rmi", "e2ecache:v1")
	direct := net.JoinHostPort(bridgeIP, upPort) + "/library/e2ecache:v1"
	start := time.Now()
	if out, err := execOut(context.Background(), "docker", "-H", fe.Host, "pull", direct); err != nil {
		t.Logf("direct pull %s (for the measurement only): %v: %s", direct, err, out)
	} else {
		d := time.Since(start)
		fe.docker(t, "rmi", direct)
		t.Logf("docker pull of a %d MiB image: direct from the upstream %v; through esbtui's cache: miss %v, hit %v",
			mirrorPullImageSize>>20, d.Round(time.Millisecond), miss.Round(time.Millisecond), hit.Round(time.Millisecond))
	}

	ls, r := mirrorLs(t, env)
	if len(ls.Mirrors) != 1 || ls.Mirrors[0].Hits == 0 || ls.Mirrors[0].BytesFromCache == 0 {
		t.Errorf("mirror ls --json after a cache hit: %s", r.Stdout)
	}
	if !strings.Contains(r.Stdout, `"store": "docker"`) || !strings.Contains(r.Stdout, `"state": "trusted"`) {
		t.Errorf("mirror ls --json does not show docker using the mirror: %s", r.Stdout)
	}

	// ctr pulls the bare Docker Hub name through the cache with the
	// hosts.toml `mirror install` wrote (the namespace has no way to Docker
	// Hub: only the mirror can answer).
	hostsDir := filepath.Join(dir, "root", "etc", "containerd", "certs.d")
	sock := fe.containerdSocket(t)
	hitsBefore := mirrorHits(t, env)
	ctrOut, err := execOut(context.Background(), "nsenter", "--net=/var/run/netns/"+fe.NetNS, "ctr", "--address", sock, "-n", "esbtui-mirror-e2e",
		"images", "pull", "--hosts-dir", hostsDir, "docker.io/library/e2ecache:v1")
	if err != nil {
		t.Errorf("ctr pull through containerd's hosts.toml: %v\n%s", err, ctrOut)
	} else if hitsAfter := mirrorHits(t, env); hitsAfter <= hitsBefore {
		t.Errorf("ctr's pull did not come from the cache: hits %d → %d", hitsBefore, hitsAfter)
	}

	// esbtui build's base image (a bare Docker Hub name) comes through the
	// cache too: the engine's builder uses its registry-mirrors (the image
	// was removed from the engine above).
	fn := filepath.Join(dir, "functions", "base")
	os.MkdirAll(fn, 0o755)
	os.WriteFile(filepath.Join(fn, "Dockerfile"), []byte("FROM e2ecache:v1\nLABEL e2e=mirror\n"), 0o644)
	before := mirrorHits(t, env)
	b := runCLI(t, env, "build", "base", "--no-push", "--no-tui")
	if b.Code != 0 {
		t.Fatalf("esbtui build FROM a Docker Hub name: %s", b)
	}
	if !strings.Contains(b.Stdout+b.Stderr, "pulled through the cache") {
		t.Errorf("build does not say its base images come through the cache:\n%s", b)
	}
	if after := mirrorHits(t, env); after <= before {
		t.Errorf("esbtui build's base image did not come from the cache: hits %d → %d", before, after)
	}

	mustCLI(t, env, "mirror", "uninstall", "--yes", "--no-tui")
	if _, err := os.Stat(filepath.Join(hostsDir, "docker.io")); !os.IsNotExist(err) {
		t.Errorf("uninstall left containerd's certs.d/docker.io: %v", err)
	}
	if st := doctorCheckStatus(t, env, "engine uses the mirror: docker"); st != "fail" {
		t.Errorf("doctor's \"engine uses the mirror: docker\" after uninstall: %q, want fail", st)
	}
	if b, _ := os.ReadFile(daemonJSON); string(b) != stackDaemonJSON {
		t.Errorf("daemon.json after uninstall:\n%q\nwant the original:\n%q", b, stackDaemonJSON)
	}
	if mirrors := fe.docker(t, "info", "--format", "{{json .RegistryConfig.Mirrors}}"); strings.Contains(mirrors, "localhost") {
		t.Errorf("docker info still lists the mirror after uninstall: %s", mirrors)
	}
}

type mirrorListing struct {
	Mirrors []struct {
		Upstream       string `json:"upstream"`
		Hits           uint64 `json:"hits"`
		BytesFromCache uint64 `json:"bytes_from_cache"`
	} `json:"mirrors"`
}

func mirrorLs(t *testing.T, env []string) (mirrorListing, cliResult) {
	t.Helper()
	var ls mirrorListing
	r := mustCLI(t, env, "mirror", "ls", "--json")
	if err := json.Unmarshal([]byte(r.Stdout), &ls); err != nil {
		t.Fatalf("mirror ls --json: %v\n%s", err, r)
	}
	return ls, r
}

func mirrorHits(t *testing.T, env []string) uint64 {
	t.Helper()
	ls, r := mirrorLs(t, env)
	if len(ls.Mirrors) != 1 {
		t.Fatalf("mirror ls --json: %s", r)
	}
	return ls.Mirrors[0].Hits
}

// containerdSocket finds the socket of the containerd the fresh dockerd
// started under its exec root.
func (e *freshEngine) containerdSocket(t *testing.T) string {
	t.Helper()
	var found string
	filepath.WalkDir(e.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && found == "" && d.Name() == "containerd.sock" && d.Type()&os.ModeSocket != 0 {
			found = p
		}
		if err == nil && d.IsDir() && d.Name() == "data" {
			return filepath.SkipDir
		}
		return nil
	})
	if found == "" {
		t.Fatalf("no containerd.sock under the fresh engine's %s", e.dir)
	}
	return found
}
