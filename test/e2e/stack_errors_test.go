package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// wantFail runs esbtui and checks it exits 1 with every sub in stderr.
func wantFail(t *testing.T, env []string, subs []string, args ...string) cliResult {
	t.Helper()
	res := runCLI(t, env, args...)
	if res.Code != 1 {
		t.Fatalf("esbtui %s: want exit 1: %s", strings.Join(args, " "), res)
	}
	for _, s := range subs {
		if !strings.Contains(res.Stderr, s) {
			t.Errorf("esbtui %s: stderr lacks %q: %s", strings.Join(args, " "), s, res.Stderr)
		}
	}
	return res
}

// TestStackEngineNotRunning points DOCKER_HOST at a socket nobody serves.
func TestStackEngineNotRunning(t *testing.T) {
	t.Parallel()
	home := newHome(t)
	env := []string{"ESB_HOME=" + home, "ESB_REGISTRY_PORT=" + itoa(freePort(t)), "DOCKER_HOST=unix://" + filepath.Join(home, "dead.sock")}
	mustCLI(t, env, "init", "--skip-trust", "--no-tui")
	wantFail(t, env, []string{"dead.sock", "not running or not reachable", "esbtui serve"}, "up", "--no-tui")
	// status reports it in the stack section instead of failing to run.
	res := runCLI(t, env, "status", "--json")
	if !strings.Contains(res.Stdout, `"state": "unavailable"`) || !strings.Contains(res.Stdout, "not running or not reachable") {
		t.Errorf("status --json without an engine: %s", res)
	}
}

// TestStackEnginePermissionDenied runs esbtui as nobody against the real
// engine socket (root:docker 0660).
func TestStackEnginePermissionDenied(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Fatal("this test switches to the nobody user: run it as root (./test/run does)")
	}
	bin := esbtuiBin(t)
	home, err := os.MkdirTemp("", "esbtui-e2e-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	if err := os.Chown(home, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) cliResult {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "ESB_HOME=" + home, "ESB_REGISTRY_PORT=" + itoa(freePort(t)), "DOCKER_HOST=unix:///var/run/docker.sock"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var so, se strings.Builder
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		res := cliResult{Stdout: so.String(), Stderr: se.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			res.Code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := run("init", "--skip-trust", "--no-tui"); res.Code != 0 {
		t.Fatalf("init as nobody: %s", res)
	}
	res := run("up", "--no-tui")
	if res.Code != 1 || !strings.Contains(res.Stderr, "permission denied on the Docker engine socket") || !strings.Contains(res.Stderr, "docker group") {
		t.Fatalf("up as nobody: want a permission-denied error naming the docker group: %s", res)
	}
}

// TestStackEngineTooOld serves an engine API that answers /_ping with API
// version 1.38 (Docker 18.06) on a unix socket.
func TestStackEngineTooOld(t *testing.T) {
	t.Parallel()
	home := newHome(t)
	sock := filepath.Join(home, "old.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.38")
		w.Header().Set("Ostype", "linux")
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			w.Write([]byte("OK"))
			return
		}
		http.Error(w, `{"message":"client version 1.56 is too new. Maximum supported API version is 1.38"}`, http.StatusBadRequest)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	env := []string{"ESB_HOME=" + home, "ESB_REGISTRY_PORT=" + itoa(freePort(t)), "DOCKER_HOST=unix://" + sock}
	mustCLI(t, env, "init", "--skip-trust", "--no-tui")
	wantFail(t, env, []string{"speaks API 1.38", "needs API 1.40", "upgrade"}, "up", "--no-tui")
}

// TestStackPortTaken occupies the registry port with a process (this test)
// and then with another container, and checks up names each.
func TestStackPortTaken(t *testing.T) {
	t.Parallel()
	s := newStack(t)

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port))
	if err != nil {
		t.Fatal(err)
	}
	wantFail(t, s.Env, []string{fmt.Sprintf("port %d", s.Port), fmt.Sprintf("process %d", os.Getpid()), "ESB_REGISTRY_PORT"}, "up", "--no-tui")
	ln.Close()

	other := randomName("esbe2e-squatter")
	docker(t, "run", "-d", "--name", other, "-p", fmt.Sprintf("127.0.0.1:%d:5000", s.Port), s.Image)
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", "-v", other).Run() })
	wantFail(t, s.Env, []string{fmt.Sprintf("port %d", s.Port), "container " + other, "docker stop " + other}, "up", "--no-tui")
	if out := docker(t, "ps", "-a", "-q", "--filter", "label=com.docker.compose.project="+s.Project); out != "" {
		t.Errorf("up created containers although the port was taken: %s", out)
	}
}

// TestStackCertsMissing runs up on a home without `esbtui init`.
func TestStackCertsMissing(t *testing.T) {
	t.Parallel()
	home := newHome(t)
	env := []string{"ESB_HOME=" + home, "ESB_REGISTRY_PORT=" + itoa(freePort(t)), "ESB_PROJECT=" + randomName("esbe2e")}
	wantFail(t, env, []string{"no certificates", "esbtui init"}, "up", "--no-tui")
}

// TestStackComposeFileErrors: a user compose file with a syntax error, and
// one with an undefined variable, are reported with file and line.
func TestStackComposeFileErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.yaml")
	os.WriteFile(bad, []byte("services:\n  agent:\n    image: busybox\n   command: [\n"), 0o644)
	wantFail(t, s.Env, []string{bad + ":4", "compose file"}, "up", "--no-tui", "-f", bad)

	undef := filepath.Join(dir, "undefined.yaml")
	os.WriteFile(undef, []byte("services:\n  agent:\n    image: busybox\n    environment:\n      TOKEN: ${ESB_E2E_NEVER_SET}\n"), 0o644)
	wantFail(t, s.Env, []string{undef + ":5", "ESB_E2E_NEVER_SET is not set"}, "up", "--no-tui", "-f", undef)
	if out := docker(t, "ps", "-a", "-q", "--filter", "label=com.docker.compose.project="+s.Project); out != "" {
		t.Errorf("containers created from a broken compose file: %s", out)
	}
}

// TestStackUnhealthyService: a service whose healthcheck always fails makes
// up fail naming it with its last health output.
func TestStackUnhealthyService(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	f := filepath.Join(t.TempDir(), "sick.yaml")
	os.WriteFile(f, []byte(`services:
  sick:
    image: `+s.Image+`
    entrypoint: ["/bin/busybox", "sleep", "3600"]
    healthcheck:
      test: ["CMD", "/bin/busybox", "sh", "-c", "echo database not ready; exit 1"]
      interval: 1s
      timeout: 2s
      retries: 2
`), 0o644)
	wantFail(t, s.Env, []string{"service sick", "did not become healthy", "database not ready", "esbtui logs sick"}, "up", "--no-tui", "-f", f)
}

// TestStackUpInterrupted: Ctrl-C while up waits for health leaves
// containers that `down` removes.
func TestStackUpInterrupted(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	f := filepath.Join(t.TempDir(), "slow.yaml")
	os.WriteFile(f, []byte(`services:
  slow:
    image: `+s.Image+`
    entrypoint: ["/bin/busybox", "sleep", "3600"]
    healthcheck:
      test: ["CMD", "/bin/busybox", "false"]
      interval: 60s
      retries: 3
`), 0o644)
	up := startCLI(t, s.Env, "up", "--no-tui", "-f", f)
	up.waitStdout("-slow-1: Waiting", time.Minute)
	if code := up.interrupt(30 * time.Second); code != 1 {
		t.Fatalf("up after Ctrl-C: exit %d\nstdout:\n%s\nstderr:\n%s", code, up.stdout, up.stderr)
	}
	if e := up.stderr.String(); !strings.Contains(e, "interrupted") || !strings.Contains(e, "esbtui down") {
		t.Errorf("up after Ctrl-C must say it was interrupted and what to run: %s", e)
	}
	if out := docker(t, "ps", "-a", "-q", "--filter", "label=com.docker.compose.project="+s.Project); out == "" {
		t.Fatalf("no containers left after an interrupted up: nothing to test down with")
	}
	mustCLI(t, s.Env, "down", "--no-tui", "-f", f)
	if out := docker(t, "ps", "-a", "-q", "--filter", "label=com.docker.compose.project="+s.Project); out != "" {
		t.Errorf("containers left after down: %s", out)
	}
}
