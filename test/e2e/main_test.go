// Package e2e drives the real esbtui binary against a real Docker engine and
// the real registry image. Shared helpers live in this file:
//
//   - esbtuiBin(t): the binary, built once per `go test` run into a temp dir.
//   - newHome(t): a fresh ESB_HOME temp dir.
//   - runCLI(t, env, args...) / startCLI: run the binary with only the given
//     environment on top of a minimal one (PATH, HOME, DOCKER_HOST).
//   - registryImage(t): the fixture registry image (ESB_REGISTRY_IMAGE from
//     ./test/run, or built here with test/fixtures/build, cached by tag).
//   - freePort(t): a loopback port with the next one free too (the registry
//     publishes PORT and PORT+1).
//   - newStack(t): a private stack (own ESB_HOME with certs, project name,
//     ports) that is taken down with its volumes when the test ends, even
//     when it fails.
//
// Tests use their own project names, ports and ESB_HOME, and send traffic
// only to 127.0.0.1 or to containers they created.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/testutil"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// esbtuiBin returns the esbtui binary, built once per test run into a temp
// dir readable by every user (tests may run it as nobody).
func esbtuiBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "esbtui-e2e-bin-")
		if binErr != nil {
			return
		}
		os.Chmod(binDir, 0o755)
		binPath, binErr = testutil.BuildESBTUI(binDir)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// newHome returns a fresh ESB_HOME.
func newHome(t testing.TB) string {
	t.Helper()
	return t.TempDir()
}

// cliResult is one run of the binary.
type cliResult struct {
	Stdout, Stderr string
	Code           int
	Elapsed        time.Duration
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// baseEnv is the minimal environment every run gets; extra entries
// ("K=V") are appended and win.
func baseEnv(extra []string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "NO_COLOR=1"}
	for _, k := range []string{"DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// command builds an exec.Cmd for the binary with env on top of baseEnv.
func command(t testing.TB, ctx context.Context, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := binCommand(t, ctx, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// binEnv is the environment entry naming another esbtui binary to run
// (a static build, say); it is not passed on to the binary.
const binEnv = "E2E_BIN="

// binCommand is the binary with env on top of baseEnv; an E2E_BIN=PATH
// entry runs that binary instead of the test run's build; an E2E_NETNS=NS
// entry runs it inside that network namespace (nsenter, which execs it:
// signals reach the binary itself; unlike `ip netns exec` it keeps the
// host's /sys and its cgroup mounts).
func binCommand(t testing.TB, ctx context.Context, env []string, args ...string) *exec.Cmd {
	t.Helper()
	var ns, bin string
	var rest []string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, netnsEnv); ok {
			ns = v
			continue
		}
		if v, ok := strings.CutPrefix(kv, binEnv); ok {
			bin = v
			continue
		}
		rest = append(rest, kv)
	}
	if bin == "" {
		bin = esbtuiBin(t)
	}
	name, argv := bin, args
	if ns != "" {
		name, argv = "nsenter", append([]string{"--net=/var/run/netns/" + ns, bin}, args...)
	}
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.Env = baseEnv(rest)
	return cmd
}

// runCLI runs the binary to completion (at most 5 minutes) and returns
// its output and exit code; it fails the test only if it cannot start.
func runCLI(t testing.TB, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd, stdout, stderr := command(t, ctx, env, args...)
	start := time.Now()
	err := cmd.Run()
	res := cliResult{Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run esbtui %v: %v", args, err)
	}
	return res
}

// mustCLI is runCLI that fails the test unless the exit code is 0.
func mustCLI(t testing.TB, env []string, args ...string) cliResult {
	t.Helper()
	res := runCLI(t, env, args...)
	if res.Code != 0 {
		t.Fatalf("esbtui %s failed: %s", strings.Join(args, " "), res)
	}
	return res
}

var imageOnce sync.Once
var imageTag string
var imageErr error

// registryImage is the fixture registry image: $ESB_REGISTRY_IMAGE, or
// built now by test/fixtures/build (a no-op when the tag exists).
func registryImage(t testing.TB) string {
	t.Helper()
	imageOnce.Do(func() { imageTag, imageErr = testutil.RegistryImage(os.Getenv("ESB_REGISTRY_IMAGE")) })
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return imageTag
}

var portMu sync.Mutex
var portsTaken = map[int]bool{}

// freePort returns a loopback port p such that p and p+1 are free now and
// were not handed out before in this run.
func freePort(t testing.TB) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	p, err := testutil.FreePortPair(portsTaken)
	if err != nil {
		t.Fatal(err)
	}
	portsTaken[p], portsTaken[p+1] = true, true
	return p
}

// randomName returns prefix-<8 hex>, for project and resource names.
func randomName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// testStack is a private stack: its own home (with certificates), project
// name and ports.
type testStack struct {
	Home    string
	Project string
	Port    int
	// Image is an image to push (the fixture registry image).
	Image string
	// RegistryImage is what the registry runs (ESB_REGISTRY_IMAGE); empty:
	// esbtui's own image.
	RegistryImage string
	// Env is what every esbtui run for this stack needs.
	Env []string
	// DockerHost is the engine the stack runs on when it is not the
	// machine's (a fresh engine of the test's own).
	DockerHost string
}

// dockerCmd is the docker CLI against the stack's engine.
func (s *testStack) dockerCmd(args ...string) *exec.Cmd {
	if s.DockerHost != "" {
		args = append([]string{"-H", s.DockerHost}, args...)
	}
	return exec.Command("docker", args...)
}

// With returns s.Env plus extra entries.
func (s *testStack) With(extra ...string) []string {
	return append(append([]string(nil), s.Env...), extra...)
}

// CACert is the path of the stack's root CA certificate.
func (s *testStack) CACert() string { return filepath.Join(s.Home, "certs", "rootCA.crt") }

// Addr is the registry's loopback address.
func (s *testStack) Addr() string { return fmt.Sprintf("localhost:%d", s.Port) }

// newStack prepares a private stack (runs `esbtui init`) and registers a
// cleanup that runs `esbtui down --volumes --yes` and then removes anything
// still labelled with the project, whether the test passed or not.
func newStack(t testing.TB) *testStack {
	t.Helper()
	return newStackOn(t, nil)
}

// newStackOn is newStack on an engine of the test's own (nil: the
// machine's engine).
//
// The registry runs esbtui's own image, assembled from the binary under
// test (the product's default); the fixture image (Image) is content to
// push. newStackWith(t, e, image) runs another registry image instead.
func newStackOn(t testing.TB, e *freshEngine) *testStack {
	t.Helper()
	s := newStackWith(t, e, "")
	s.Image = registryImage(t)
	return s
}

// newStackWith is a stack on e whose registry runs image
// (ESB_REGISTRY_IMAGE=image); "" leaves ESB_REGISTRY_IMAGE unset: the stack
// runs esbtui's own image. Image is set to image.
func newStackWith(t testing.TB, e *freshEngine, image string) *testStack {
	t.Helper()
	s := &testStack{Home: newHome(t), Project: randomName("esbe2e"), Port: freePort(t), Image: image, RegistryImage: image}
	if e != nil {
		s.Env, s.DockerHost = e.Env(), e.Host
	}
	s.Env = append(s.Env,
		"ESB_HOME="+s.Home,
		"ESB_PROJECT="+s.Project,
		fmt.Sprintf("ESB_REGISTRY_PORT=%d", s.Port),
	)
	if image != "" {
		s.Env = append(s.Env, "ESB_REGISTRY_IMAGE="+image)
	}
	mustCLI(t, s.Env, "init", "--skip-trust", "--no-tui")
	t.Cleanup(func() { s.cleanup(t) })
	return s
}

func (s *testStack) cleanup(t testing.TB) {
	res := runCLI(t, s.Env, "down", "--volumes", "--yes", "--no-tui")
	if res.Code != 0 {
		t.Logf("cleanup: esbtui down failed: %s", res)
	}
	// Belt and braces: whatever still carries the project label.
	label := "label=com.docker.compose.project=" + s.Project
	for _, kind := range []string{"container", "network", "volume"} {
		ls := []string{kind, "ls", "-q", "--filter", label}
		if kind == "container" {
			ls = []string{kind, "ls", "-a", "-q", "--filter", label}
		}
		out, _ := s.dockerCmd(ls...).Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			args := append([]string{kind, "rm"}, ids...)
			if kind == "container" {
				args = append([]string{kind, "rm", "-f", "-v"}, ids...)
			}
			if out, err := s.dockerCmd(args...).CombinedOutput(); err != nil {
				t.Logf("cleanup: docker %v: %v: %s", args, err, out)
			} else {
				t.Logf("cleanup removed leftover %s(s) %v", kind, ids)
			}
		}
	}
}

// docker runs the docker CLI and returns its trimmed stdout, failing the
// test on error.
func docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("docker %v: %v: %s", args, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// bgCLI is a run of the binary in the background.
type bgCLI struct {
	t              testing.TB
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error
}

// startCLI starts the binary in the background; the test's cleanup kills
// it if it is still running.
func startCLI(t testing.TB, env []string, args ...string) *bgCLI {
	t.Helper()
	b := &bgCLI{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	b.cmd = binCommand(t, context.Background(), env, args...)
	b.cmd.Stdout, b.cmd.Stderr = b.stdout, b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start esbtui %v: %v", args, err)
	}
	go func() { b.err = b.cmd.Wait(); close(b.done) }()
	t.Cleanup(func() {
		select {
		case <-b.done:
		default:
			b.cmd.Process.Kill()
			<-b.done
		}
	})
	return b
}

// waitStdout waits until stdout contains sub, failing after timeout.
func (b *bgCLI) waitStdout(sub string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(b.stdout.String(), sub) {
		select {
		case <-b.done:
			b.t.Fatalf("esbtui exited before printing %q: %v\nstdout:\n%s\nstderr:\n%s", sub, b.err, b.stdout, b.stderr)
		default:
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("esbtui did not print %q within %v\nstdout:\n%s\nstderr:\n%s", sub, timeout, b.stdout, b.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// interrupt sends SIGINT (Ctrl-C) and waits for the exit; it returns the
// exit code.
func (b *bgCLI) interrupt(timeout time.Duration) int {
	b.t.Helper()
	b.cmd.Process.Signal(os.Interrupt)
	select {
	case <-b.done:
	case <-time.After(timeout):
		b.t.Fatalf("esbtui did not exit within %v of SIGINT\nstdout:\n%s\nstderr:\n%s", timeout, b.stdout, b.stderr)
	}
	if ee, ok := b.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if b.err != nil {
		b.t.Fatalf("esbtui: %v", b.err)
	}
	return 0
}

func itoa(n int) string { return fmt.Sprint(n) }
