package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// bigImage builds a FROM scratch engine image of layers layers of mib MiB
// of random data each (incompressible: the push has to send all of it) and
// returns its tag and ID; the image is removed when the test ends.
func bigImage(t *testing.T, layers, mib int) (tag, id string) {
	t.Helper()
	dir := t.TempDir()
	df := "FROM scratch\n"
	for i := range layers {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("blob%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(f, rand.Reader, int64(mib)<<20); err != nil {
			t.Fatal(err)
		}
		f.Close()
		df += fmt.Sprintf("COPY blob%d /blob%d\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	tag = randomName("esbe2e-big") + ":v1"
	docker(t, "build", "-q", "-t", tag, dir)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	return tag, docker(t, "image", "inspect", "-f", "{{.Id}}", tag)
}

// waitUploading waits until the push's JSON progress (stderr) shows bytes
// of a layer upload on the wire.
func waitUploading(t *testing.T, b *bgCLI, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, line := range strings.Split(b.stderr.String(), "\n") {
			var e event
			if json.Unmarshal([]byte(line), &e) == nil && e.Op == "push" && e.Step == "upload" && e.Status == "progress" && e.Current > 0 {
				return
			}
		}
		select {
		case <-b.done:
			t.Fatalf("push ended before any upload progress (make the image bigger?): %v\nstdout:\n%s\nstderr:\n%s", b.err, b.stdout, b.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no upload progress within %v\nstderr:\n%s", timeout, b.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRegistryKilledMidPush: `docker kill` of the registry container while
// `esbtui push` uploads a 6 × 48 MiB image. The push fails with an error
// naming the registry; after `esbtui up` the tag does not exist (the
// manifest is put only after every blob is in); a retry completes and the
// image pulls back into the engine with the same ID (config digest) and the
// registry serves the digest the push reported.
func TestRegistryKilledMidPush(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	tag, id := bigImage(t, 6, 48)
	repo := strings.Split(tag, ":")[0]
	dst := s.Addr() + "/" + tag
	container := s.Project + "-registry"

	push := startCLI(t, s.Env, "push", tag, "--json")
	waitUploading(t, push, 3*time.Minute)
	docker(t, "kill", container)
	killedAt := time.Now()
	<-push.done
	t.Logf("measured: push exited %v after the registry was killed", time.Since(killedAt).Round(time.Millisecond))
	if push.err == nil {
		t.Fatalf("push succeeded although the registry was killed during the upload\nstdout:\n%s\nstderr:\n%s", push.stdout, push.stderr)
	}
	stderr := push.stderr.String()
	lastLine := stderr[strings.LastIndex(strings.TrimSpace(stderr), "\n")+1:]
	if !strings.Contains(lastLine, "the registry "+s.Addr()+" went away during the push: nothing was tagged") || strings.Contains(stderr, "panic") {
		t.Fatalf("push error does not name the registry %s:\n%s", s.Addr(), stderr)
	}
	t.Logf("push error: %s", strings.TrimSpace(lastLine))

	// The registry comes back with its volume; the half-pushed image is not
	// tagged.
	mustCLI(t, s.Env, "up", "--no-tui")
	if res := runCLI(t, s.Env, "inspect", dst, "--json"); res.Code == 0 || !strings.Contains(res.Stderr, "not found") {
		t.Fatalf("inspect of the half-pushed tag: %s", res)
	}
	if res := runCLI(t, s.Env, "tags", repo, "--json"); res.Code == 0 && strings.Contains(res.Stdout, `"v1"`) {
		t.Fatalf("the half-pushed tag is listed: %s", res)
	}

	// A retry completes.
	res := mustCLI(t, s.Env, "push", tag, "--json")
	var pushed struct {
		Ref, Digest string
		Config      string `json:"config_digest"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &pushed); err != nil || !strings.HasPrefix(pushed.Digest, "sha256:") {
		t.Fatalf("retry push --json (%v): %s", err, res)
	}
	if pushed.Config != id {
		t.Errorf("pushed config %s, engine image ID %s", pushed.Config, id)
	}
	var in struct {
		Digest string `json:"digest"`
	}
	res = mustCLI(t, s.Env, "inspect", dst, "--json")
	if err := json.Unmarshal([]byte(res.Stdout), &in); err != nil || in.Digest != pushed.Digest {
		t.Fatalf("registry serves %q (%v), push reported %s: %s", in.Digest, err, pushed.Digest, res.Stdout)
	}

	// Pulled back into the engine, it is the same image.
	docker(t, "rmi", "-f", tag)
	mustCLI(t, s.Env, "pull", dst, "--no-tui")
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", dst).Run() })
	if got := docker(t, "image", "inspect", "-f", "{{.Id}}", dst); got != id {
		t.Fatalf("pulled image ID %s, pushed %s", got, id)
	}
}

// makeRepos writes one tiny image into n repositories drop-NNN.
func makeRepos(t *testing.T, s *testStack, n int) {
	t.Helper()
	l, err := registrytest.Layer(1024, true, 7)
	if err != nil {
		t.Fatal(err)
	}
	img, err := registrytest.Image(time.Unix(1.7e9, 0), nil, nil, l)
	if err != nil {
		t.Fatal(err)
	}
	c, err := registryclient.New(registryclient.Options{CACertFile: s.CACert()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ref, err := name.ParseReference(fmt.Sprintf("%s/drop-%03d:v1", s.Addr(), i))
			if err == nil {
				err = remote.Write(ref, img, remote.WithTransport(c.Transport()))
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// pauseDuring pauses the registry container shortly after the listing
// starts and unpauses it after d; it reports whether the listing was still
// running when the pause took effect.
func pauseDuring(t *testing.T, container string, d time.Duration, listing <-chan struct{}) <-chan bool {
	hit := make(chan bool, 1)
	go func() {
		time.Sleep(30 * time.Millisecond)
		exec.Command("docker", "pause", container).Run()
		select {
		case <-listing:
			hit <- false
		default:
			hit <- true
		}
		time.Sleep(d)
		if out, err := exec.Command("docker", "unpause", container).CombinedOutput(); err != nil {
			t.Errorf("docker unpause: %v: %s", err, out)
		}
	}()
	return hit
}

// TestCatalogNetworkDrop: the registry stops answering (docker pause: the
// connection stays open, nothing comes back) during a catalog listing of
// 200 repositories in pages of one. Each page attempt ends after ~10 s
// (the response-header or TLS-handshake bound; 12 s at most), retried 4
// times with 0.2/0.4/0.8 s backoff: a 3 s drop is ridden out and the
// listing is complete; a drop longer than the ~41.4 s budget ends with an
// error naming the registry, the page and the attempts. `esbtui catalog`,
// `esbtui tags REPO` and `esbtui inspect REF` started during the long drop
// each fail (exit 1, well before a 90 s deadline) saying that the registry
// accepted the TCP connection but did not answer the TLS handshake, i.e. is
// paused, not that "TLS handshake failed"; after the drop everything lists
// again.
func TestCatalogNetworkDrop(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	container := s.Project + "-registry"
	t.Cleanup(func() { exec.Command("docker", "unpause", container).Run() })
	const repos = 200
	makeRepos(t, s, repos)
	c, err := registryclient.New(registryclient.Options{CACertFile: s.CACert(), PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	base, err := c.Catalog(ctx, s.Addr())
	if err != nil || len(base.Repositories) != repos || base.Pages < repos {
		t.Fatalf("catalog before the drop: %v %+v", err, base)
	}
	t.Logf("measured: catalog of %d repos in %d pages of 1: %v", repos, base.Pages, base.Elapsed)

	// A short drop: the listing completes, complete.
	listing := make(chan struct{})
	hit := pauseDuring(t, container, 3*time.Second, listing)
	res, err := c.Catalog(ctx, s.Addr())
	close(listing)
	if !<-hit {
		t.Fatal("the listing ended before the pause took effect: add repositories")
	}
	if err != nil {
		t.Fatalf("catalog across a 3 s drop: %v", err)
	}
	if !slices.Equal(res.Repositories, base.Repositories) {
		t.Fatalf("catalog across a 3 s drop lists %d repos, want %d", len(res.Repositories), repos)
	}
	t.Logf("measured: catalog across a 3 s drop: complete in %v", res.Elapsed.Round(time.Millisecond))

	// A long drop: a bounded failure with a clear error.
	listing = make(chan struct{})
	hit = pauseDuring(t, container, 50*time.Second, listing)
	cmds := [][]string{{"catalog"}, {"tags", "drop-000"}, {"inspect", s.Addr() + "/drop-000:v1"}}
	cli := make([]chan cliResult, len(cmds))
	for i, args := range cmds {
		cli[i] = make(chan cliResult, 1)
		go func() {
			time.Sleep(time.Second)
			cli[i] <- runCLIWithin(t, 90*time.Second, s.Env, args...)
		}()
	}
	start := time.Now()
	res, err = c.Catalog(ctx, s.Addr())
	close(listing)
	if !<-hit {
		t.Fatal("the listing ended before the pause took effect: add repositories")
	}
	if err == nil {
		t.Fatalf("catalog across a 50 s drop succeeded: %+v", res)
	}
	msg := err.Error()
	t.Logf("measured: catalog across a 50 s drop failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if !strings.Contains(msg, "catalog of "+s.Addr()+" (page ") || !strings.Contains(msg, "gave up after 4 attempts") {
		t.Fatalf("error does not name the registry, the page and the attempts: %v", err)
	}
	var r cliResult
	for i, args := range cmds {
		r = <-cli[i]
		t.Logf("measured: esbtui %s during the drop: exit %d in %v: %s", strings.Join(args, " "), r.Code, r.Elapsed.Round(time.Millisecond), strings.TrimSpace(r.Stderr))
		if r.Code != 1 || !strings.Contains(r.Stderr, "registry "+s.Addr()+" unreachable") ||
			!strings.Contains(r.Stderr, "accepted the TCP connection but did not answer the TLS handshake within") ||
			!strings.Contains(r.Stderr, "paused") || !strings.Contains(r.Stderr, "esbtui up") ||
			strings.Contains(r.Stderr, "TLS handshake failed") {
			t.Errorf("esbtui %s during the drop: %s", strings.Join(args, " "), r)
		}
	}

	// After the drop (the pauser unpauses at 50 s), it lists again.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r = runCLI(t, s.Env, "catalog", "--json")
		if r.Code == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	var after struct {
		Repositories []string `json:"repositories"`
	}
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &after) != nil || len(after.Repositories) != repos {
		t.Fatalf("catalog after the drop: %s", r)
	}
}

// runCLIWithin runs the binary like runCLI but kills it after d; a killed
// run fails the test (the command must return by itself).
func runCLIWithin(t *testing.T, d time.Duration, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd, stdout, stderr := command(t, ctx, env, args...)
	start := time.Now()
	err := cmd.Run()
	res := cliResult{Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Errorf("esbtui %s did not return within %v\n%s", strings.Join(args, " "), d, res)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	} else if err != nil {
		t.Errorf("run esbtui %v: %v", args, err)
	}
	return res
}
