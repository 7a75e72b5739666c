package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tuiSession drives the real esbtui binary inside a private tmux server.
type tuiSession struct {
	t    *testing.T
	sock string
}

func (s *tuiSession) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.sock}, args...)...).CombinedOutput()
	return string(out), err
}

func (s *tuiSession) capture() string {
	out, err := s.tmux("capture-pane", "-p", "-t", "tui")
	if err != nil {
		s.t.Fatalf("tmux capture-pane: %v: %s", err, out)
	}
	return out
}

func (s *tuiSession) keys(keys ...string) {
	s.t.Helper()
	if out, err := s.tmux(append([]string{"send-keys", "-t", "tui"}, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys %v: %v: %s", keys, err, out)
	}
}

// waitFor polls the screen until ok holds, failing with the last screen.
func (s *tuiSession) waitFor(what string, timeout time.Duration, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		scr := s.capture()
		if ok(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out after %v waiting for %s; screen:\n%s", timeout, what, scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func contains(subs ...string) func(string) bool {
	return func(scr string) bool {
		for _, s := range subs {
			if !strings.Contains(scr, s) {
				return false
			}
		}
		return true
	}
}

// lineWith is true when one screen line holds every sub.
func lineWith(subs ...string) func(string) bool {
	return func(scr string) bool {
		for _, l := range strings.Split(scr, "\n") {
			if contains(subs...)(l) {
				return true
			}
		}
		return false
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestTUIDrivesTheBinary starts `esbtui` at 80x24 on a fresh ESB_HOME with
// its own project, port and a functions/hello, then from the keyboard: i
// (certificates), u (the stack: the Services pane turns healthy), b (build
// and push hello: the Jobs pane finishes with its digest, the Registry pane
// lists it); stops the registry container behind the dashboard's back (the
// Services pane follows the engine's events, no key pressed); resizes to
// 200x50 and quits. The stack is taken down with its volumes whatever
// happens.
func TestTUIDrivesTheBinary(t *testing.T) {
	bin := esbtuiBin(t)
	root := helloFunction(t, "hello from the dashboard")
	st := &testStack{Home: newHome(t), Project: randomName("esbtui"), Port: freePort(t), Image: registryImage(t)}
	st.Env = []string{
		"ESB_HOME=" + st.Home,
		"ESB_PROJECT=" + st.Project,
		fmt.Sprintf("ESB_REGISTRY_PORT=%d", st.Port),
		"ESB_REGISTRY_IMAGE=" + st.Image,
	}
	image := fmt.Sprintf("%s/hello:latest", st.Addr())
	t.Cleanup(func() {
		st.cleanup(t)
		exec.Command("docker", "image", "rm", "-f", image).Run()
	})

	s := &tuiSession{t: t, sock: fmt.Sprintf("esbtui-e2e-%d", os.Getpid())}
	t.Cleanup(func() { s.tmux("kill-server") })
	var envArgs []string
	for _, kv := range baseEnv(append(st.With(), "TERM=xterm-256color")) {
		envArgs = append(envArgs, shellQuote(kv))
	}
	cmd := "env -i " + strings.Join(envArgs, " ") + " " + shellQuote(bin)
	if out, err := s.tmux("new-session", "-d", "-s", "tui", "-x", "80", "-y", "24", "-c", root, cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	s.waitFor("the first frame", 20*time.Second, contains("Certificates", "✗ no CA", "✗ root CA missing", "i init certs", "Services", "stack down"))

	s.keys("i")
	scr := s.waitFor("init to finish", 20*time.Second, contains("✓ valid", "✓ init done", "✓ root CA RSA 4096", "✓ server  ECDSA P-256"))
	if _, err := os.Stat(filepath.Join(st.Home, "certs", "rootCA.crt")); err != nil {
		t.Fatalf("the TUI said init is done but: %v\n%s", err, scr)
	}

	s.keys("u")
	s.waitFor("the registry healthy in Services", 3*time.Minute, func(scr string) bool {
		return lineWith("✓ registry", "running", "healthy")(scr) && contains("✓ up done", "Services ✓ 1/1 up")(scr)
	})
	s.waitFor("the registry reachable", 30*time.Second, contains("Registry ✓ 0 repos"))

	s.keys("b")
	scr = s.waitFor("build and push of hello", 3*time.Minute, func(scr string) bool {
		return contains("✓ build all done")(scr) || contains("✗ build all failed")(scr)
	})
	if strings.Contains(scr, "build all failed") {
		t.Fatalf("build failed:\n%s", scr)
	}
	scr = s.waitFor("hello in the Registry pane", 30*time.Second, contains("Registry ✓ 1 repo", "  hello"))
	if !strings.Contains(scr, "hello:latest@sha256") {
		t.Errorf("no result digest on screen:\n%s", scr)
	}
	// The registry has the image the dashboard says it pushed.
	res := mustCLI(t, st.Env, "tags", "hello", "--no-tui")
	if !strings.Contains(res.Stdout, "latest") {
		t.Errorf("esbtui tags hello after the push: %s", res)
	}

	// Engine events, not polling: stop the registry from outside.
	id := docker(t, "ps", "-q", "--filter", "label=com.docker.compose.project="+st.Project, "--filter", "label=com.docker.compose.service=registry")
	if id == "" {
		t.Fatal("no registry container for the project")
	}
	docker(t, "stop", "-t", "5", id)
	s.waitFor("the stop seen live", 30*time.Second, func(scr string) bool {
		return lineWith("✗ registry", "exited")(scr) && contains("Services ✗ 0/1 up")(scr)
	})

	s.tmux("resize-window", "-t", "tui", "-x", "200", "-y", "50")
	scr = s.waitFor("three columns at 200x50", 20*time.Second, lineWith("Certificates", "Services", "Jobs"))
	// The Jobs pane keeps the push's layers and the earlier jobs; the Log
	// pane has the build's lines.
	for _, want := range []string{"✓ " + image + "@sha256:", "overall ", "100%", " upload ", "✓ up done", "✓ init done", "build all done: " + image + "@sha256:", "Successfully built"} {
		if !strings.Contains(scr, want) {
			t.Errorf("200x50 screen lacks %q:\n%s", want, scr)
		}
	}

	s.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.tmux("has-session", "-t", "tui"); err != nil {
			break // the program exited and tmux closed the session
		}
		if time.Now().After(deadline) {
			t.Fatalf("q did not quit; screen:\n%s", s.capture())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
