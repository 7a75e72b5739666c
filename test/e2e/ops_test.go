package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

type gcJSON struct {
	DryRun         bool     `json:"dry_run"`
	BytesBefore    int64    `json:"bytes_before"`
	BytesAfter     int64    `json:"bytes_after"`
	BytesReclaimed int64    `json:"bytes_reclaimed"`
	Manifests      []string `json:"manifests"`
	Blobs          []string `json:"blobs"`
	GC             int64    `json:"gc_ns"`
	Downtime       int64    `json:"downtime_ns"`
}

func runGC(t *testing.T, s *testStack, args ...string) gcJSON {
	t.Helper()
	res := mustCLI(t, s.Env, append([]string{"gc", "--json"}, args...)...)
	var g gcJSON
	if err := json.Unmarshal([]byte(res.Stdout), &g); err != nil {
		t.Fatalf("gc --json: %v\n%s", err, res)
	}
	return g
}

// writeImage pushes img to ref over tr.
func writeImage(t *testing.T, tr http.RoundTripper, ref string, img v1.Image, opts ...remote.Option) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]remote.Option{remote.WithTransport(tr), remote.WithContext(context.Background())}, opts...)
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

// pullValid pulls ref and reads every blob back, checking sizes and digests.
func pullValid(tr http.RoundTripper, ref string, want v1.Hash, opts ...remote.Option) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	opts = append([]remote.Option{remote.WithTransport(tr)}, opts...)
	img, err := remote.Image(r, opts...)
	if err != nil {
		return err
	}
	if d, err := img.Digest(); err != nil || d != want {
		return &digestMismatch{got: d, want: want, err: err}
	}
	return validate.Image(img)
}

type digestMismatch struct {
	got, want v1.Hash
	err       error
}

func (d *digestMismatch) Error() string {
	return "digest " + d.got.String() + ", want " + d.want.String()
}

// TestGCReclaimsAndRepushIsSafe: push two images, delete one tag, gc
// --dry-run lists what gc then deletes, gc reclaims the bytes with the
// registry healthy again, and re-pushing the deleted image straight away
// gives a pullable, digest-correct image (the stale blob cache case from
// notes/registry.md). Then gc by plain `docker exec` without a restart and
// the same re-push: with registry:3's blob cache it reads back broken (the
// case is real); esbtui's image has no cache, and it must read back fine.
func TestGCReclaimsAndRepushIsSafe(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	tr := caTransport(t, s.CACert())

	gone, err := random.Image(1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := random.Image(1<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	goneRef, keptRef := s.Addr()+"/e2e/gc:old", s.Addr()+"/e2e/gc:new"
	writeImage(t, tr, goneRef, gone)
	writeImage(t, tr, keptRef, kept)
	goneDigest, _ := gone.Digest()
	keptDigest, _ := kept.Digest()

	// Nothing to collect yet: the registry is not taken down.
	if g := runGC(t, s); len(g.Blobs) != 0 || g.Downtime != 0 {
		t.Fatalf("gc with nothing to collect: %+v", g)
	}

	mustCLI(t, s.Env, "rm", goneRef, "--no-tui")

	dry := runGC(t, s, "--dry-run")
	if !dry.DryRun || len(dry.Manifests) != 1 || dry.Manifests[0] != goneDigest.String() || len(dry.Blobs) != 5 || dry.BytesReclaimed < 3<<20 {
		t.Fatalf("gc --dry-run: %+v; want manifest %s and 5 blobs (3 layers, config, manifest) ≥ 3 MiB", dry, goneDigest)
	}
	if err := pullValid(tr, goneRef[:strings.LastIndex(goneRef, ":")]+"@"+goneDigest.String(), goneDigest); err != nil {
		t.Fatalf("after a dry run the untagged manifest must still be there: %v", err)
	}

	g := runGC(t, s)
	t.Logf("gc: reclaimed %d bytes (%d → %d), sweep %d ms, registry down %d ms", g.BytesReclaimed, g.BytesBefore, g.BytesAfter, g.GC/1e6, g.Downtime/1e6)
	if g.BytesReclaimed < 3<<20 || g.BytesAfter >= g.BytesBefore || len(g.Blobs) != len(dry.Blobs) {
		t.Fatalf("gc: %+v; want ≥ 3 MiB reclaimed and the dry run's %d blobs", g, len(dry.Blobs))
	}
	if code, err := getV2(tr, s.Addr()); err != nil || code != 200 {
		t.Fatalf("registry after gc: %d %v", code, err)
	}
	if err := pullValid(tr, keptRef, keptDigest); err != nil {
		t.Fatalf("the kept image after gc: %v", err)
	}

	// Re-push the collected image at once: every blob must really be there.
	writeImage(t, tr, goneRef, gone)
	if err := pullValid(tr, goneRef, goneDigest); err != nil {
		t.Fatalf("re-push right after esbtui gc is not pullable: %v", err)
	}

	audit := mustCLI(t, s.Env, "audit", "--json").Stdout
	if !strings.Contains(audit, "registry.gc") {
		t.Errorf("audit has no registry.gc entry:\n%s", audit)
	}

	// Control: GC without a restart, then the same re-push.
	mustCLI(t, s.Env, "rm", goneRef, "--no-tui")
	registryCmd := []string{"/esbtui", "registryd"} // esbtui's own image
	if s.RegistryImage != "" {
		registryCmd = []string{"registry"}
	}
	out, err := exec.Command("docker", append(append([]string{"exec", s.Project + "-registry"}, registryCmd...), "garbage-collect", "--delete-untagged", "/etc/distribution/config.yml")...).CombinedOutput()
	if err != nil {
		t.Fatalf("control gc by docker exec: %v\n%s", err, out)
	}
	writeImage(t, tr, goneRef, gone)
	err = pullValid(tr, goneRef, goneDigest)
	switch {
	case s.RegistryImage == "" && err != nil:
		// esbtui's image runs without a blob descriptor cache (what lets
		// it collect online): nothing can go stale.
		t.Fatalf("esbtui's image: a re-push after a bare garbage-collect beside the running registry is broken (a blob cache is back?): %v", err)
	case s.RegistryImage != "" && err == nil:
		t.Fatalf("control: a re-push after GC without a restart read back fine; the restart in esbtui gc would prove nothing")
	default:
		t.Logf("control (gc without restart, re-push): %v", err)
	}
}

type metricsJSON struct {
	Since       string  `json:"since"`
	Requests    int64   `json:"requests"`
	RequestRate float64 `json:"request_rate"`
	Errors      int64   `json:"errors"`
	ErrorRate   float64 `json:"error_rate"`
	P95         int64   `json:"p95_ns"`
	BytesIn     int64   `json:"bytes_in"`
	BytesOut    int64   `json:"bytes_out"`
}

// TestMetricsAfterPushes: after pushing and pulling ~6 MiB, `esbtui
// metrics --json` (since start) and `status --json` show requests, a
// positive p95 and at least the pushed bytes in and pulled bytes out;
// --interval over a quiet second shows the window's (zero) traffic only.
func TestMetricsAfterPushes(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	tr := caTransport(t, s.CACert())
	var want v1.Hash
	for i := range 3 {
		img, err := random.Image(1<<20, 2)
		if err != nil {
			t.Fatal(err)
		}
		writeImage(t, tr, s.Addr()+"/e2e/metrics:v"+itoa(i), img)
		want, _ = img.Digest()
	}
	if err := pullValid(tr, s.Addr()+"/e2e/metrics:v2", want); err != nil {
		t.Fatal(err)
	}

	var m metricsJSON
	res := mustCLI(t, s.Env, "metrics", "--json")
	if err := json.Unmarshal([]byte(res.Stdout), &m); err != nil {
		t.Fatalf("metrics --json: %v\n%s", err, res)
	}
	t.Logf("metrics since start: %+v", m)
	if m.Since != "start" || m.Requests < 20 || m.RequestRate <= 0 || m.P95 <= 0 || m.BytesIn < 6<<20 || m.BytesOut < 2<<20 || m.Errors != 0 {
		t.Fatalf("metrics after 3 pushes and a pull: %+v", m)
	}

	st := runCLI(t, s.Env, "status", "--json")
	var snap struct {
		Registry struct {
			Metrics *metricsJSON `json:"metrics"`
		} `json:"registry"`
	}
	if err := json.Unmarshal([]byte(st.Stdout), &snap); err != nil || snap.Registry.Metrics == nil || snap.Registry.Metrics.Requests < m.Requests {
		t.Fatalf("status --json registry.metrics: %v %+v\n%s", err, snap.Registry.Metrics, st)
	}
	if plain := runCLI(t, s.Env, "status", "--no-tui").Stdout; !strings.Contains(plain, "p95") {
		t.Errorf("status has no metrics block:\n%s", plain)
	}

	res = mustCLI(t, s.Env, "metrics", "--json", "--interval", "1s")
	if err := json.Unmarshal([]byte(res.Stdout), &m); err != nil {
		t.Fatalf("metrics --interval: %v\n%s", err, res)
	}
	if m.Since != "sample" || m.BytesIn != 0 || m.Requests > 2 {
		t.Fatalf("metrics over a quiet second: %+v", m)
	}
}

// TestAuth: --bind 0.0.0.0 without --auth is refused; up --auth makes
// anonymous /v2/ and anonymous pushes 401 while pushes through the Docker
// keychain (config.json in a temp DOCKER_CONFIG) and esbtui's own client
// work; rotate refuses the old password at once and the new one works; the
// password appears in no output, log, audit or compose file.
func TestAuth(t *testing.T) {
	s := newStack(t)
	dockerCfg := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dockerCfg) // for the keychain in this process
	s.Env = append(s.Env, "DOCKER_CONFIG="+dockerCfg)
	var outputs []string
	run := func(args ...string) cliResult {
		t.Helper()
		res := runCLI(t, s.Env, args...)
		outputs = append(outputs, res.Stdout, res.Stderr)
		return res
	}

	res := run("up", "--bind", "0.0.0.0", "--no-tui")
	if res.Code != 2 || !strings.Contains(res.Stderr, "--auth") {
		t.Fatalf("up --bind 0.0.0.0 without --auth must be refused (exit 2, say --auth): %s", res)
	}
	if out := docker(t, "ps", "-a", "-q", "--filter", "label=com.docker.compose.project="+s.Project); out != "" {
		t.Fatalf("the refused up started containers: %s", out)
	}

	if res = run("up", "--auth", "--json"); res.Code != 0 {
		t.Fatalf("up --auth: %s", res)
	}
	pwFile := filepath.Join(s.Home, "auth", "password")
	for _, f := range []string{pwFile, filepath.Join(s.Home, "auth", "registry", "htpasswd")} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v; want mode 0600", f, fi, err)
		}
	}
	password := readTrim(t, pwFile)
	tr := caTransport(t, s.CACert())
	if code, err := getV2(tr, s.Addr()); err != nil || code != 401 {
		t.Fatalf("anonymous GET /v2/: %d %v; want 401", code, err)
	}
	img, _ := random.Image(1<<20, 2)
	want, _ := img.Digest()
	ref := s.Addr() + "/e2e/auth:v1"
	r, _ := name.ParseReference(ref)
	if err := remote.Write(r, img, remote.WithTransport(tr)); err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(strings.ToUpper(err.Error()), "UNAUTHORIZED") {
		t.Fatalf("anonymous push: %v; want 401 UNAUTHORIZED", err)
	}
	keychain := remote.WithAuthFromKeychain(authn.DefaultKeychain)
	writeImage(t, tr, ref, img, keychain)
	if err := pullValid(tr, ref, want, keychain); err != nil {
		t.Fatalf("pull through the keychain: %v", err)
	}
	if res = run("copy", ref, s.Addr()+"/e2e/auth:copy", "--no-tui"); res.Code != 0 {
		t.Fatalf("esbtui copy with auth on: %s", res)
	}
	if res = run("catalog", "--json"); res.Code != 0 || !strings.Contains(res.Stdout, "e2e/auth") {
		t.Fatalf("esbtui catalog with auth on: %s", res)
	}
	run("status", "--json")

	// The cost of auth: bcrypt on every request (200 with the password vs
	// 401 without, same handler).
	withPW, without := timeV2(t, tr, s.Addr(), password, 20), timeV2(t, tr, s.Addr(), "", 20)
	t.Logf("GET /v2/ with basic auth %v, anonymous (401) %v per request: auth overhead ≈ %v", withPW, without, withPW-without)

	if res = run("auth", "rotate", "--json"); res.Code != 0 || !strings.Contains(res.Stdout, `"verified": true`) {
		t.Fatalf("auth rotate: %s", res)
	}
	newPW := readTrim(t, pwFile)
	if newPW == password {
		t.Fatal("rotate kept the password")
	}
	if code := v2Status(t, tr, s.Addr(), password); code != 401 {
		t.Fatalf("old password after rotate: %d; want 401", code)
	}
	if code := v2Status(t, tr, s.Addr(), newPW); code != 200 {
		t.Fatalf("new password after rotate: %d; want 200", code)
	}
	if err := pullValid(tr, ref, want, keychain); err != nil {
		t.Fatalf("pull through the keychain after rotate: %v", err)
	}
	if res = run("inspect", ref, "--json"); res.Code != 0 {
		t.Fatalf("esbtui inspect after rotate: %s", res)
	}
	run("auth", "status", "--json")
	run("up", "--no-tui") // auth stays on
	if code, _ := getV2(tr, s.Addr()); code != 401 {
		t.Fatalf("a plain up after up --auth turned auth off: %d", code)
	}

	audit := run("audit", "--json").Stdout
	for _, a := range []string{"registry.auth.enabled", "registry.auth.rotated"} {
		if !strings.Contains(audit, a) {
			t.Errorf("audit has no %s:\n%s", a, audit)
		}
	}
	files := []string{filepath.Join(s.Home, "audit.jsonl"), filepath.Join(s.Home, "logs", "esbtui.log"), filepath.Join(s.Home, "stack", "compose.yaml")}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		outputs = append(outputs, string(b))
	}
	for i, out := range outputs {
		for _, pw := range []string{password, newPW} {
			if strings.Contains(out, pw) {
				t.Fatalf("a password leaked into output #%d:\n%s", i, out)
			}
		}
	}
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func v2Status(t *testing.T, tr http.RoundTripper, addr, password string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/v2/", nil)
	if password != "" {
		req.SetBasicAuth("esbtui", password)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func timeV2(t *testing.T, tr http.RoundTripper, addr, password string, n int) time.Duration {
	t.Helper()
	start := time.Now()
	for range n {
		v2Status(t, tr, addr, password)
	}
	return time.Since(start) / time.Duration(n)
}

// TestRegistryEvents: with the stack up and `esbtui events --json`
// running, a push by another client (ggcr, not esbtui), a pull and a
// delete show up as event lines; the listener refuses requests without the
// registry's token.
func TestRegistryEvents(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	ev, listening := startEvents(t, s.Env)
	if resp, err := http.Post("http://"+listening+"/events", "application/json", strings.NewReader(`{"events":[]}`)); err != nil || resp.StatusCode != 401 {
		t.Fatalf("a POST without the token to %s: %v %v; want 401", listening, resp, err)
	}

	tr := caTransport(t, s.CACert())
	img, _ := random.Image(4096, 1)
	want, _ := img.Digest()
	ref := s.Addr() + "/e2e/events:v1"
	writeImage(t, tr, ref, img)
	if err := pullValid(tr, ref, want); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, s.Env, "rm", ref, "--no-tui")

	type evJSON struct {
		Action, Kind, Repository, Tag, Digest string
		UserAgent                             string `json:"user_agent"`
	}
	seen := map[string]evJSON{}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < 3 {
		for _, line := range strings.Split(ev.stdout.String(), "\n") {
			var e evJSON
			if json.Unmarshal([]byte(line), &e) == nil && e.Repository == "e2e/events" && e.Kind == "manifest" {
				seen[e.Action] = e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("events seen %v; want push, pull and delete of e2e/events\nstdout:\n%s\nstderr:\n%s", seen, ev.stdout, ev.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if p := seen["push"]; p.Tag != "v1" || p.Digest != want.String() || !strings.Contains(p.UserAgent, "go-containerregistry") {
		t.Errorf("push event %+v; want tag v1, digest %s, ggcr's user agent", p, want)
	}
	if d := seen["delete"]; d.Tag != "v1" && d.Digest != want.String() {
		t.Errorf("delete event %+v", d)
	}
	if code := ev.interrupt(10 * time.Second); code != 0 {
		t.Errorf("esbtui events exit code %d after Ctrl-C", code)
	}
}

// startEvents starts `esbtui events --json` and waits until it listens;
// it returns the process and the address it listens on.
func startEvents(t *testing.T, env []string) (*bgCLI, string) {
	t.Helper()
	ev := startCLI(t, env, "events", "--json")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(ev.stderr.String(), "listening") {
		if time.Now().After(deadline) {
			t.Fatalf("esbtui events did not start listening: %s / %s", ev.stdout, ev.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var listen struct {
		Listening string `json:"listening"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(ev.stderr.String())), &listen); err != nil || listen.Listening == "" {
		t.Fatalf("esbtui events' first line %q: %v", ev.stderr.String(), err)
	}
	return ev, listen.Listening
}
