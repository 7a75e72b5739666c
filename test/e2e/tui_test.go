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
	root := helloFunction(t, "hello from the dashboard")
	st := &testStack{Home: newHome(t), Project: randomName("esbtui"), Port: freePort(t), Image: registryImage(t)}
	st.Env = []string{
		"ESB_HOME=" + st.Home,
		"ESB_PROJECT=" + st.Project,
		fmt.Sprintf("ESB_REGISTRY_PORT=%d", st.Port),
		"ESB_REGISTRY_IMAGE=" + st.Image,
		"ESB_TRUST_ROOT=" + t.TempDir(),
	}
	image := fmt.Sprintf("%s/hello:latest", st.Addr())
	t.Cleanup(func() {
		st.cleanup(t)
		exec.Command("docker", "image", "rm", "-f", image).Run()
	})

	s := newTUISession(t)
	s.start(root, 80, 24, st.Env)
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
	// Its rates from /metrics, scraped live while the stack is up.
	s.waitFor("the registry's rates", 30*time.Second, func(scr string) bool {
		return lineWith(" req/s · 5xx ", "% · p95 ")(scr) && lineWith("in ", "/s · out ", "/s")(scr)
	})

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
	// p pushes the functions' engine images again (nothing new to send).
	s.keys("p")
	scr = s.waitFor("push all", 2*time.Minute, func(scr string) bool {
		return contains("✓ push all done")(scr) || contains("✗ push all failed")(scr)
	})
	if strings.Contains(scr, "push all failed") {
		t.Fatalf("push failed:\n%s", scr)
	}
	// The registry has the image the dashboard says it pushed.
	res := mustCLI(t, st.Env, "tags", "hello", "--no-tui")
	if !strings.Contains(res.Stdout, "latest") {
		t.Errorf("esbtui tags hello after the push: %s", res)
	}

	s.tmux("resize-window", "-t", "tui", "-x", "200", "-y", "50")
	scr = s.waitFor("three columns at 200x50", 20*time.Second, lineWith("Certificates", "Services", "Jobs"))
	// The Jobs pane keeps the push's layers and the earlier jobs; the Log
	// pane has the build's lines.
	for _, want := range []string{"✓ " + image + "@sha256:", "overall ", "100%", " upload ", "✓ build all done", "✓ up done", "✓ init done", "push all done: " + image + "@sha256:"} {
		if !strings.Contains(scr, want) {
			t.Errorf("200x50 screen lacks %q:\n%s", want, scr)
		}
	}

	// c: the doctor's report over the panes, at 80x24 where it scrolls.
	// The trust stores are a sandbox (nothing installed yet) and the system
	// bundle does not hold this test's CA, so certs.d and TLS with the
	// system roots fail and the probe is skipped: assert on the links that
	// are deterministic here.
	s.tmux("resize-window", "-t", "tui", "-x", "80", "-y", "24")
	s.waitFor("80x24 again", 20*time.Second, contains("c doctor"))
	s.keys("c")
	scr = s.waitFor("the doctor's report", 3*time.Minute, contains("Doctor ", "esc close · c run again"))
	seen := scr
	for i := 0; i < 10 && !strings.Contains(scr, "probe push → pull → run"); i++ {
		s.keys("PageDown")
		prev := scr
		scr = s.waitFor("the report scrolled", 10*time.Second, func(x string) bool { return x != prev })
		seen += scr
	}
	for _, want := range [][]string{
		// The sandbox's certs.d lacks the CA for the non-loopback names.
		{"First broken link: engine certs.d"},
		{"fix: esbtui trust install --store docker"},
		{"✗ FAIL", "engine certs.d: missing"},
		{"→ fix: esbtui trust install --store docker"},
		{"✓ ok", "root CA: RSA 4096"},
		{"✓ ok", "server certificate: signed by the CA"},
		{"✓ ok", "container engine: Docker"},
		{"✓ ok", "stack services: " + st.Project + ": registry running and healthy"},
		{"✗ FAIL", "TLS to registry (system roots):", "uses our certificate"},
		{"- skip", "probe push → pull → run: skipped"},
	} {
		if !lineWith(want...)(seen) {
			t.Errorf("the doctor's report lacks a line with %q; screens:\n%s", want, seen)
		}
	}
	s.keys("Escape")
	s.waitFor("the panes back", 10*time.Second, contains("Certificates", "doctor done"))
	s.tmux("resize-window", "-t", "tui", "-x", "200", "-y", "50")
	s.waitFor("three columns at 200x50", 20*time.Second, lineWith("Certificates", "Services", "Jobs"))

	// t: the plan first, then the install (ESB_TRUST_ROOT is a sandbox).
	s.keys("t")
	s.waitFor("the trust plan", 20*time.Second, contains("Install the CA into these trust stores?", "press y to go ahead"))
	s.keys("y")
	s.waitFor("trust installed", 60*time.Second, func(scr string) bool {
		return contains("✓ trust done")(scr) && lineWith("✓ docker", "trusted")(scr)
	})

	// l on the selected service (tab tab: Services) follows its logs.
	s.keys("Tab", "Tab", "l")
	s.waitFor("the registry's log lines", 30*time.Second, lineWith("logs registry:", " - - ["))
	s.keys("l")
	s.waitFor("logs stopped", 10*time.Second, contains("logs registry cancelled"))

	// Registry pane (tab): enter opens the tags, enter inspects one.
	s.keys("Tab", "Enter")
	s.waitFor("the tags of hello", 20*time.Second, lineWith("hello", "tags (esc: back"))
	s.keys("Enter")
	s.waitFor("the image's layers", 20*time.Second, contains(st.Addr()+"/hello:latest", "digest sha256:", "1 layer"))

	// x deletes the inspected tag after asking; g collects the garbage
	// after asking (the registry restarts: Services follows it live).
	s.keys("x")
	s.waitFor("delete asks", 10*time.Second, contains("Delete "+image+"?", "press y to go ahead"))
	s.keys("y")
	s.waitFor("the tag deleted", 30*time.Second, contains("✓ delete "+image+" done", "no tags"))
	// One Escape at a time: ESC followed at once by a key reads as alt+key.
	s.keys("Escape")
	s.waitFor("back to the repositories", 10*time.Second, lineWith("localhost", "1 repository"))
	s.keys("g")
	s.waitFor("gc asks", 10*time.Second, contains("Garbage-collect the registry?"))
	s.keys("y")
	scr = s.waitFor("gc done", 2*time.Minute, func(scr string) bool {
		return contains("✓ gc done: reclaimed")(scr) || contains("✗ gc failed")(scr)
	})
	if strings.Contains(scr, "gc failed") {
		t.Fatalf("gc failed:\n%s", scr)
	}
	s.waitFor("the registry healthy after gc", 60*time.Second, func(scr string) bool {
		return lineWith("✓ registry", "running", "healthy")(scr) && contains("Services ✓ 1/1 up")(scr)
	})

	// A push by another client (the CLI, another process) shows in the
	// Log pane as a registry event.
	mustCLI(t, st.Env, "push", image, "--to", st.Addr()+"/from-cli:v1", "--no-tui")
	s.waitFor("the CLI's push in the Log pane", 60*time.Second, lineWith("registry push from-cli:v1"))

	// Engine events, not polling: stop the registry from outside.
	id := docker(t, "ps", "-q", "--filter", "label=com.docker.compose.project="+st.Project, "--filter", "label=com.docker.compose.service=registry")
	if id == "" {
		t.Fatal("no registry container for the project")
	}
	docker(t, "stop", "-t", "5", id)
	s.waitFor("the stop seen live", 30*time.Second, func(scr string) bool {
		return lineWith("✗ registry", "exited")(scr) && contains("Services ✗ 0/1 up")(scr)
	})

	s.keys("q")
	s.waitExit()
}

// waitExit waits until the program exited and tmux closed the session.
func (s *tuiSession) waitExit() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.tmux("has-session", "-t", "tui"); err != nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("q did not quit; screen:\n%s", s.capture())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// start runs the binary in a new tmux session at w x h in dir with only
// env (on top of baseEnv).
func (s *tuiSession) start(dir string, w, h int, env []string) {
	s.t.Helper()
	s.startShell(dir, w, h, s.command(env))
}

// command is the shell command that runs the binary with only env on top
// of baseEnv, inside the network namespace an E2E_NETNS= entry names.
func (s *tuiSession) command(env []string) string {
	s.t.Helper()
	var args []string
	prefix := ""
	for _, kv := range baseEnv(append(env, "TERM=xterm-256color")) {
		if ns, ok := strings.CutPrefix(kv, netnsEnv); ok {
			prefix = "nsenter --net=/var/run/netns/" + shellQuote(ns) + " "
			continue
		}
		args = append(args, shellQuote(kv))
	}
	return prefix + "env -i " + strings.Join(args, " ") + " " + shellQuote(esbtuiBin(s.t))
}

// startShell opens the tmux session running cmd at w x h in dir.
func (s *tuiSession) startShell(dir string, w, h int, cmd string) {
	s.t.Helper()
	if out, err := s.tmux("new-session", "-d", "-s", "tui", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "-c", dir, cmd); err != nil {
		s.t.Fatalf("tmux new-session: %v: %s", err, out)
	}
}

func newTUISession(t *testing.T) *tuiSession {
	s := &tuiSession{t: t, sock: randomName("esbtui-e2e")}
	t.Cleanup(func() { s.tmux("kill-server") })
	return s
}

// TestTUIEngineDown: without an engine the Services pane says so and s
// serves the registry in-process; the Registry pane then answers.
func TestTUIEngineDown(t *testing.T) {
	home := newHome(t)
	port := freePort(t)
	s := newTUISession(t)
	s.start(t.TempDir(), 80, 24, []string{"ESB_HOME=" + home, fmt.Sprintf("ESB_REGISTRY_PORT=%d", port), "DOCKER_HOST=unix://" + filepath.Join(t.TempDir(), "no-docker.sock")})
	s.waitFor("engine down", 20*time.Second, contains("Services ✗ engine down", "engine unreachable", "press s to serve"))
	s.keys("i")
	s.waitFor("init", 20*time.Second, contains("✓ init done"))
	s.keys("s")
	s.waitFor("the in-process registry", 30*time.Second, contains("Services ✓ in-process registry", "Registry ✓ 0 repos"))
	// The CLI reaches the dashboard's registry over TLS (exit 0).
	mustCLI(t, []string{"ESB_HOME=" + home, fmt.Sprintf("ESB_REGISTRY_PORT=%d", port)}, "catalog", "--no-tui")
	s.keys("s")
	s.waitFor("serve stopped", 20*time.Second, contains("serve cancelled"))
	s.keys("q")
	s.waitExit()
}
