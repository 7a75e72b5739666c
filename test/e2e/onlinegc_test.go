package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// onlineGCJSON is `esbtui gc --json` with the online fields.
type onlineGCJSON struct {
	gcJSON
	Online      bool  `json:"online"`
	Sweep       int64 `json:"sweep_ns"`
	ReadsServed int64 `json:"reads_served"`
	WritesHeld  int64 `json:"writes_held"`
}

// pullLoad is n clients pulling one image back to back, each with its own
// connections and no retries (a refused connection or a 5xx is a failure),
// reading every blob (ggcr verifies each digest). Each pull is booked to the
// phase current when it started.
type pullLoad struct {
	mu     sync.Mutex
	phase  string
	lat    map[string][]time.Duration
	fails  map[string][]string
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startPullLoad(t *testing.T, caFile, ref string, want v1.Hash, n int) *pullLoad {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &pullLoad{phase: "before", lat: map[string][]time.Duration{}, fails: map[string][]string{}, cancel: cancel}
	for range n {
		tr := caTransport(t, caFile)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer tr.CloseIdleConnections()
			for ctx.Err() == nil {
				l.mu.Lock()
				phase := l.phase
				l.mu.Unlock()
				start := time.Now()
				err := pullOnce(ctx, tr, r, want)
				d := time.Since(start)
				if ctx.Err() != nil {
					return
				}
				l.mu.Lock()
				if err != nil {
					l.fails[phase] = append(l.fails[phase], err.Error())
				} else {
					l.lat[phase] = append(l.lat[phase], d)
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// pullOnce pulls the manifest, the config and every layer.
func pullOnce(ctx context.Context, tr http.RoundTripper, r name.Reference, want v1.Hash) error {
	img, err := remote.Image(r, remote.WithTransport(tr), remote.WithContext(ctx), remote.WithRetryBackoff(remote.Backoff{Steps: 1}))
	if err != nil {
		return err
	}
	if d, err := img.Digest(); err != nil || d != want {
		return fmt.Errorf("digest %v (%v), want %v", d, err, want)
	}
	if _, err := img.RawConfigFile(); err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, layer := range layers {
		rc, err := layer.Compressed()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (l *pullLoad) setPhase(p string) {
	l.mu.Lock()
	l.phase = p
	l.mu.Unlock()
}

func (l *pullLoad) stop() {
	l.cancel()
	l.wg.Wait()
}

// stats: pulls done, their p95, and the failures of a phase.
func (l *pullLoad) stats(phase string) (n int, p95 time.Duration, fails []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lat := slices.Clone(l.lat[phase])
	slices.Sort(lat)
	if len(lat) > 0 {
		p95 = lat[(len(lat)*95+99)/100-1]
	}
	return len(lat), p95, slices.Clone(l.fails[phase])
}

// pushAndRemove pushes a random image to ref and deletes its tag: garbage
// for the next gc (layers+2 blobs: layers, config, manifest).
func pushAndRemove(t *testing.T, s *testStack, tr http.RoundTripper, ref string, layers int) (v1.Image, v1.Hash) {
	t.Helper()
	img, err := random.Image(128<<10, int64(layers))
	if err != nil {
		t.Fatal(err)
	}
	writeImage(t, tr, ref, img)
	mustCLI(t, s.Env, "rm", ref, "--no-tui")
	d, _ := img.Digest()
	return img, d
}

// blobStatus HEADs a blob and returns the status code.
func blobStatus(t *testing.T, tr http.RoundTripper, addr, repo string, d v1.Hash) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, "https://"+addr+"/v2/"+repo+"/blobs/"+d.String(), nil)
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("HEAD blob %s: %v", d, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// slowUpload starts a blob upload whose PATCH body stays open until
// finish is called: a write in flight at the registry (Expect:
// 100-continue, so the first body byte is only taken once the registry's
// handler reads it).
func slowUpload(t *testing.T, caFile, addr, repo string) (finish func() error) {
	t.Helper()
	tr := caTransport(t, caFile)
	tr.ExpectContinueTimeout = 5 * time.Minute
	c := &http.Client{Transport: tr}
	resp, err := c.Post("https://"+addr+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start upload: %s", resp.Status)
	}
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPatch, loc.String(), pr)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Expect", "100-continue")
	done := make(chan error, 1)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				err = fmt.Errorf("PATCH: %s", resp.Status)
			}
		}
		done <- err
	}()
	if _, err := pw.Write(make([]byte, 1024)); err != nil { // taken: the handler runs
		t.Fatal(err)
	}
	return func() error {
		pw.Close()
		err := <-done
		tr.CloseIdleConnections()
		return err
	}
}

// waitHeld polls the registry's write gate (`registryd maintenance` in
// the container, the control socket) until a sweep runs and holds writes
// of every one of repos.
func waitHeld(t *testing.T, s *testStack, repos ...string) {
	t.Helper()
	var last string
	for range 600 {
		out, err := exec.Command("docker", "exec", s.Project+"-registry", "/esbtui", "registryd", "maintenance").Output()
		if err != nil {
			t.Fatalf("registryd maintenance: %v", err)
		}
		var rep struct {
			Gate struct {
				Sweeping bool           `json:"sweeping"`
				Waiting  map[string]int `json:"waiting"`
			} `json:"gate"`
		}
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("registryd maintenance: %v: %s", err, out)
		}
		all := rep.Gate.Sweeping
		for _, r := range repos {
			all = all && rep.Gate.Waiting[r] > 0
		}
		if all {
			return
		}
		last = string(out)
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the sweep never held writes of %v; last gate state: %s", repos, last)
}

// uploadBlobsOnly uploads an image's layers and config but not its
// manifest: a push whose manifest comes later.
func uploadBlobsOnly(t *testing.T, tr http.RoundTripper, repo string, img v1.Image) {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	raw, _ := img.RawConfigFile()
	for _, l := range append(layers, static.NewLayer(raw, types.DockerConfigJSON)) {
		if err := remote.WriteLayer(r, l, remote.WithTransport(tr)); err != nil {
			t.Fatalf("upload blob: %v", err)
		}
	}
}

// TestOnlineGCUnderLoad: esbtui's registry image collects while 20 clients
// pull continuously: no pull fails, the unreferenced blobs are deleted,
// pushes made during the sweep are held and complete after it (one whose
// layers were uploaded before the sweep and whose manifest arrives during
// it keeps its layers), and re-pushing the collected image at once gives a
// pullable, digest-correct image; `docker push` during the sweep completes.
// The same load during `gc --offline` (the
// stop–sweep–start flow registry:3 gets) fails pulls: the control that the
// load detects downtime. The log line compares pull p95 and failures.
func TestOnlineGCUnderLoad(t *testing.T) {
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	tr := caTransport(t, s.CACert())
	addr := s.Addr()

	kept, err := random.Image(256<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	keptRef := addr + "/e2e/ogc:kept"
	writeImage(t, tr, keptRef, kept)
	keptDigest, _ := kept.Digest()
	gone, goneDigest := pushAndRemove(t, s, tr, addr+"/e2e/ogc:gone", 4)
	goneLayers, _ := gone.Layers()
	goneLayer0, _ := goneLayers[0].Digest()

	// A push under way: its blobs are uploaded, its manifest not yet.
	pending, err := random.Image(64<<10, 2)
	if err != nil {
		t.Fatal(err)
	}
	uploadBlobsOnly(t, tr, addr+"/e2e/ogc-pending", pending)

	dockerRef := addr + "/e2e/ogc-docker:v1"
	docker(t, "tag", s.Image, dockerRef)
	t.Cleanup(func() { exec.Command("docker", "rmi", dockerRef).Run() })

	load := startPullLoad(t, s.CACert(), keptRef, keptDigest, 20)
	defer load.stop()

	// Online: a write in flight makes the sweep wait with writes held; the
	// pushes below start then, and the upload ends only once the registry
	// holds a request of each.
	load.setPhase("online")
	finishSlow := slowUpload(t, s.CACert(), addr, "e2e/ogc-slow")
	gcDone := make(chan cliResult, 1)
	go func() { gcDone <- runCLI(t, s.Env, "gc", "--json") }()
	waitHeld(t, s) // the sweep has begun: writes are held from now on

	during, err := random.Image(64<<10, 2)
	if err != nil {
		t.Fatal(err)
	}
	pushErrs := make(chan error, 3)
	go func() { pushErrs <- pushRef(tr, addr+"/e2e/ogc:during", during) }()
	go func() { pushErrs <- pushRef(tr, addr+"/e2e/ogc-pending:v1", pending) }()
	// And docker itself (the engine treats a localhost registry as
	// insecure: no trust needed).
	var dockerOut []byte
	go func() {
		var err error
		dockerOut, err = exec.Command("docker", "push", dockerRef).CombinedOutput()
		if err != nil {
			err = fmt.Errorf("docker push: %w: %s", err, dockerOut)
		}
		pushErrs <- err
	}()
	waitHeld(t, s, "e2e/ogc", "e2e/ogc-pending", "e2e/ogc-docker")
	select {
	case err := <-pushErrs:
		t.Fatalf("a push finished while gc held writes: %v", err)
	default:
	}
	if err := finishSlow(); err != nil {
		t.Fatalf("the upload in flight when gc began: %v", err)
	}
	res := <-gcDone
	if res.Code != 0 {
		t.Fatalf("gc: %s", res)
	}
	for range 3 {
		if err := <-pushErrs; err != nil {
			t.Fatalf("a push held by the sweep failed after it: %v", err)
		}
	}

	load.setPhase("between")
	var g onlineGCJSON
	if err := json.Unmarshal([]byte(res.Stdout), &g); err != nil {
		t.Fatalf("gc --json: %v\n%s", err, res)
	}
	onN, onP95, onFails := load.stats("online")
	if !g.Online || g.Downtime != 0 {
		t.Fatalf("gc on esbtui's image did not collect online: %+v", g)
	}
	t.Logf("gc: %d manifest(s), %d blob(s)", len(g.Manifests), len(g.Blobs))
	if len(g.Manifests) != 1 || g.Manifests[0] != goneDigest.String() || len(g.Blobs) != 6 {
		t.Fatalf("gc deleted %v and %d blob(s); want the untagged manifest %s and its 6 blobs", g.Manifests, len(g.Blobs), goneDigest)
	}
	if code := blobStatus(t, tr, addr, "e2e/ogc", goneLayer0); code != http.StatusNotFound {
		t.Fatalf("a collected layer still answers %d", code)
	}
	if g.WritesHeld < 3 || g.ReadsServed == 0 {
		t.Fatalf("gc held %d write(s) and served %d read(s) during the sweep; want ≥ 3 held (three pushes) and reads served", g.WritesHeld, g.ReadsServed)
	}
	if len(onFails) > 0 {
		t.Fatalf("%d pull(s) failed during online gc (of %d), first: %s", len(onFails), onN+len(onFails), onFails[0])
	}
	duringDigest, _ := during.Digest()
	if err := pullValid(tr, addr+"/e2e/ogc:during", duringDigest); err != nil {
		t.Fatalf("the image pushed during the sweep: %v", err)
	}
	m := regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`).FindSubmatch(dockerOut)
	if m == nil {
		t.Fatalf("docker push printed no digest: %s", dockerOut)
	}
	if err := pullValid(tr, dockerRef, v1.Hash{Algorithm: "sha256", Hex: string(m[1][7:])}); err != nil {
		t.Fatalf("the image docker pushed during the sweep: %v", err)
	}
	pendingDigest, _ := pending.Digest()
	if err := pullValid(tr, addr+"/e2e/ogc-pending:v1", pendingDigest); err != nil {
		t.Fatalf("the push whose layers came before the sweep and manifest during it: %v", err)
	}
	// Re-push the collected image at once: every blob must really be there.
	writeImage(t, tr, addr+"/e2e/ogc:gone", gone)
	if err := pullValid(tr, addr+"/e2e/ogc:gone", goneDigest); err != nil {
		t.Fatalf("re-push right after online gc is not pullable: %v", err)
	}
	var audit []struct {
		Action string         `json:"action"`
		Fields map[string]any `json:"fields"`
	}
	if err := json.Unmarshal([]byte(mustCLI(t, s.Env, "audit", "--json").Stdout), &audit); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(audit, func(e struct {
		Action string         `json:"action"`
		Fields map[string]any `json:"fields"`
	}) bool {
		return e.Action == "registry.gc" && e.Fields["online"] == true
	}) {
		t.Errorf("audit has no online registry.gc entry: %+v", audit)
	}

	// The measure: a plain online gc (no pushes of the test's own during
	// it), then the stop–sweep–start flow, under the same load.
	pushAndRemove(t, s, tr, addr+"/e2e/ogc:gone3", 4)
	load.setPhase("plain")
	plain := runOnlineGC(t, s)
	load.setPhase("between2")
	plainN, plainP95, plainFails := load.stats("plain")
	if !plain.Online || len(plain.Blobs) != 6 || len(plainFails) > 0 {
		t.Fatalf("plain online gc: %+v, %d pull(s) failed: %v", plain, len(plainFails), plainFails)
	}
	pushAndRemove(t, s, tr, addr+"/e2e/ogc:gone2", 4)
	load.setPhase("offline")
	off := runGC(t, s, "--offline")
	load.setPhase("after")
	offN, offP95, offFails := load.stats("offline")
	t.Logf("pulls by 20 clients: online gc with pushes held: %d ok, %d failed, p95 %s (sweep %s, %d reads served, %d writes held)",
		onN, len(onFails), onP95.Round(time.Millisecond), time.Duration(g.Sweep).Round(time.Millisecond), g.ReadsServed, g.WritesHeld)
	beforeN, beforeP95, _ := load.stats("between")
	t.Logf("MEASURE pulls by 20 clients: no gc (between the runs) %d ok, p95 %s | during gc: online %d ok, %d failed, p95 %s (gc %s, sweep %s) | stop–start %d ok, %d failed, p95 %s (gc %s, registry down %s)",
		beforeN, beforeP95.Round(time.Millisecond),
		plainN, len(plainFails), plainP95.Round(time.Millisecond), time.Duration(plain.GC).Round(time.Millisecond), time.Duration(plain.Sweep).Round(time.Millisecond),
		offN, len(offFails), offP95.Round(time.Millisecond), time.Duration(off.GC).Round(time.Millisecond), time.Duration(off.Downtime).Round(time.Millisecond))
	if len(offFails) == 0 {
		t.Errorf("control: no pull failed while the registry was stopped for gc (%+v): the load would not see downtime", off)
	}
}

// pushRef pushes img to ref (ggcr, its default retries).
func pushRef(tr http.RoundTripper, ref string, img v1.Image) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	return remote.Write(r, img, remote.WithTransport(tr))
}

// runOnlineGC runs `esbtui gc --json`.
func runOnlineGC(t *testing.T, s *testStack) onlineGCJSON {
	t.Helper()
	res := mustCLI(t, s.Env, "gc", "--json")
	var g onlineGCJSON
	if err := json.Unmarshal([]byte(res.Stdout), &g); err != nil {
		t.Fatalf("gc --json: %v\n%s", err, res)
	}
	return g
}
