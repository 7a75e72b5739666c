// Package mirror measures a pull-through cache of `esbtui up` (esb.yaml
// mirrors) against pulling from its upstream directly, in one run:
//
//   - BenchmarkMirrorPull: an image of ESB_BENCH_MIB MiB (default 200,
//     4 layers of random bytes) pulled (manifest, config, every layer's
//     bytes, ggcr) directly from the upstream, then through the mirror cold
//     (a miss: the mirror fetches and caches while it streams), then warm
//     (a hit). Reported as seconds and MiB/s per pull.
//   - BenchmarkMirrorHit: the latency the mirror adds on a cache hit: HEAD
//     and GET of a manifest through the mirror (by tag: distribution
//     revalidates the tag with a HEAD upstream; by digest: the cache alone)
//     against the same requests to the stack's plain registry (same image,
//     same TLS, same machine). Medians of 200 requests each.
//
// The upstream is the real distribution registry in this process over TLS
// with its own CA (trusted by the mirror through `ca:`), listening on the
// engine's bridge address. Nothing is asserted.
//
//	go test -run '^$' -bench . -benchtime 1x ./test/bench/mirror/
package mirror

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/testutil"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

type setup struct {
	bin, home    string
	env          []string
	registry     string // localhost:PORT (the stack's plain registry)
	mirror       string // localhost:PORT (the mirror)
	upstream     string // bridge-ip:port
	upstreamName string // host.docker.internal:port
	upstreamCA   string
	esbCA        string
}

func (s *setup) run(args ...string) error {
	cmd := exec.Command(s.bin, args...)
	cmd.Env = s.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("esbtui %v: %v\n%s", args, err, out.String())
	}
	return nil
}

func bridgeIP(b *testing.B) string {
	out, _ := exec.Command("docker", "network", "inspect", "bridge", "--format", `{{index .Options "com.docker.network.bridge.name"}}`).Output()
	br := strings.TrimSpace(string(out))
	if br == "" {
		br = "docker0"
	}
	ifc, err := net.InterfaceByName(br)
	if err != nil {
		b.Fatal(err)
	}
	addrs, _ := ifc.Addrs()
	for _, a := range addrs {
		if ip, _, err := net.ParseCIDR(a.String()); err == nil && ip.To4() != nil {
			return ip.String()
		}
	}
	b.Fatal("no bridge address")
	return ""
}

// start runs the upstream and a stack with one mirror of it.
func start(b *testing.B) *setup {
	b.Helper()
	dir := b.TempDir()
	s := &setup{home: filepath.Join(dir, "home")}
	var err error
	if s.bin, err = testutil.BuildESBTUI(dir); err != nil {
		b.Fatal(err)
	}
	// The upstream: its own CA, host.docker.internal, the bridge address.
	upDir := filepath.Join(dir, "upstream")
	if _, err := pki.NewStore(upDir).Ensure(context.Background(), pki.Options{Names: []string{"host.docker.internal"}}, progress.Discard); err != nil {
		b.Fatal(err)
	}
	s.upstreamCA = pki.NewStore(upDir).Path(pki.CACertFile)
	tlsCfg, err := registrytest.ServerTLS(upDir)
	if err != nil {
		b.Fatal(err)
	}
	os.Setenv("OTEL_TRACES_EXPORTER", "none")
	logrus.SetOutput(io.Discard)
	cfg, err := configuration.Parse(strings.NewReader(fmt.Sprintf("version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %q}}\nhttp: {addr: \"127.0.0.1:0\", secret: up}\n", filepath.Join(dir, "updata"))))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	ln, err := net.Listen("tcp", net.JoinHostPort(bridgeIP(b), "0"))
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: handlers.NewApp(ctx, cfg), TLSConfig: tlsCfg, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.ServeTLS(ln, "", "")
	b.Cleanup(func() { srv.Close() })
	s.upstream = ln.Addr().String()
	_, upPort, _ := net.SplitHostPort(s.upstream)
	s.upstreamName = "host.docker.internal:" + upPort

	port, err := testutil.FreePortPair(nil)
	if err != nil {
		b.Fatal(err)
	}
	mport, err := testutil.FreePortPair(map[int]bool{port: true, port + 1: true})
	if err != nil {
		b.Fatal(err)
	}
	s.registry, s.mirror = fmt.Sprintf("localhost:%d", port), fmt.Sprintf("localhost:%d", mport)
	s.esbCA = filepath.Join(s.home, "certs", "rootCA.crt")
	proj := filepath.Join(dir, "esb.yaml")
	if err := os.WriteFile(proj, []byte(fmt.Sprintf("mirrors:\n  - upstream: %s\n    port: %d\n    ca: %s\n", s.upstreamName, mport, s.upstreamCA)), 0o644); err != nil {
		b.Fatal(err)
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	s.env = append(os.Environ(), "ESB_HOME="+s.home, "ESB_PROJECT=esbmirror-"+hex.EncodeToString(suffix),
		fmt.Sprintf("ESB_REGISTRY_PORT=%d", port), "ESB_PROJECT_FILE="+proj, "NO_COLOR=1", "DOCKER_CONFIG="+dir)
	s.env = slices.DeleteFunc(s.env, func(kv string) bool { return strings.HasPrefix(kv, "ESB_REGISTRY_IMAGE=") })
	for _, args := range [][]string{{"init", "--skip-trust", "--no-tui"}, {"up", "--no-tui"}} {
		if err := s.run(args...); err != nil {
			s.run("down", "--volumes", "--yes", "--no-tui")
			b.Fatal(err)
		}
	}
	b.Cleanup(func() {
		if err := s.run("down", "--volumes", "--yes", "--no-tui"); err != nil {
			b.Log(err)
		}
	})
	return s
}

func transport(b *testing.B, caFile, serverName string) *http.Transport {
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemData)
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: serverName}, MaxIdleConnsPerHost: 8}
}

func randomImage(b *testing.B, mib int64) v1.Image {
	var layers []v1.Layer
	for i := 0; i < 4; i++ {
		l, err := registrytest.Layer(mib<<20/4, false, uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		layers = append(layers, l)
	}
	img, err := registrytest.Image(time.Now(), []string{"/bin/true"}, nil, layers...)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

func push(b *testing.B, ref string, img v1.Image, tr http.RoundTripper) {
	r, err := name.ParseReference(ref)
	if err != nil {
		b.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithTransport(tr)); err != nil {
		b.Fatalf("push %s: %v", ref, err)
	}
}

// pull reads the manifest, the config and every layer of ref.
func pull(b *testing.B, ref string, tr http.RoundTripper) time.Duration {
	start := time.Now()
	r, err := name.ParseReference(ref)
	if err != nil {
		b.Fatal(err)
	}
	img, err := remote.Image(r, remote.WithTransport(tr))
	if err != nil {
		b.Fatalf("pull %s: %v", ref, err)
	}
	if _, err := img.RawConfigFile(); err != nil {
		b.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatalf("pull %s: %v", ref, err)
		}
		rc.Close()
	}
	return time.Since(start)
}

func mib() int64 {
	if v, err := strconv.Atoi(os.Getenv("ESB_BENCH_MIB")); err == nil && v >= 4 {
		return int64(v)
	}
	return 200
}

func BenchmarkMirrorPull(b *testing.B) {
	s := start(b)
	upTr := transport(b, s.upstreamCA, "host.docker.internal")
	esbTr := transport(b, s.esbCA, "")
	size := mib()
	var direct, cold, warm time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		repo := fmt.Sprintf("library/big%d", i)
		push(b, s.upstream+"/"+repo+":1", randomImage(b, size), upTr)
		upTr.CloseIdleConnections()
		esbTr.CloseIdleConnections()
		b.StartTimer()
		direct += pull(b, s.upstream+"/"+repo+":1", upTr)
		cold += pull(b, s.mirror+"/"+repo+":1", esbTr)
		warm += pull(b, s.mirror+"/"+repo+":1", esbTr)
	}
	n := float64(b.N)
	mb := float64(size)
	b.ReportMetric(direct.Seconds()/n, "upstream-s")
	b.ReportMetric(cold.Seconds()/n, "mirror-cold-s")
	b.ReportMetric(warm.Seconds()/n, "mirror-warm-s")
	b.ReportMetric(mb*n/direct.Seconds(), "upstream-MiB/s")
	b.ReportMetric(mb*n/cold.Seconds(), "cold-MiB/s")
	b.ReportMetric(mb*n/warm.Seconds(), "warm-MiB/s")
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// manifestTimes sends n requests of method to url and returns the median.
func manifestTimes(b *testing.B, c *http.Client, method, url string, n int) time.Duration {
	ds := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		req, _ := http.NewRequest(method, url, nil)
		req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s %s: %s", method, url, resp.Status)
		}
		ds = append(ds, time.Since(start))
	}
	return median(ds)
}

func BenchmarkMirrorHit(b *testing.B) {
	s := start(b)
	upTr := transport(b, s.upstreamCA, "host.docker.internal")
	esbTr := transport(b, s.esbCA, "")
	img := randomImage(b, 4)
	push(b, s.upstream+"/library/small:1", img, upTr)
	push(b, s.registry+"/library/small:1", img, esbTr)
	pull(b, s.mirror+"/library/small:1", esbTr) // cached
	d, err := img.Digest()
	if err != nil {
		b.Fatal(err)
	}
	c := &http.Client{Transport: esbTr}
	const n = 200
	res := map[string]time.Duration{}
	for i := 0; i < b.N; i++ {
		for _, target := range []struct{ name, host string }{{"registry", s.registry}, {"mirror", s.mirror}} {
			for _, ref := range []string{"1", d.String()} {
				kind := "tag"
				if ref != "1" {
					kind = "digest"
				}
				for _, method := range []string{http.MethodHead, http.MethodGet} {
					url := "https://" + target.host + "/v2/library/small/manifests/" + ref
					res[target.name+"-"+method+"-"+kind] += manifestTimes(b, c, method, url, n)
				}
			}
		}
	}
	for k, v := range res {
		b.ReportMetric(float64(v.Microseconds())/float64(b.N), k+"-µs")
	}
}
