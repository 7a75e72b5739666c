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

// waitFor polls the screen until ok holds, failing with the last screen.
func (s *tuiSession) waitFor(what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		scr := s.capture()
		if ok(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s; screen:\n%s", what, scr)
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

func buildESB(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "esbtui")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/esbtui")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestTUIDrivesTheBinary starts `esbtui` at 80x24 on a fresh ESB_HOME,
// presses i, watches the Certificates pane turn valid, resizes to 200x50
// and quits.
func TestTUIDrivesTheBinary(t *testing.T) {
	bin := buildESB(t)
	home := t.TempDir()
	s := &tuiSession{t: t, sock: fmt.Sprintf("esbtui-e2e-%d", os.Getpid())}
	t.Cleanup(func() { s.tmux("kill-server") })
	cmd := fmt.Sprintf("env ESB_HOME=%s TERM=xterm-256color %s", home, bin)
	if out, err := s.tmux("new-session", "-d", "-s", "tui", "-x", "80", "-y", "24", cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	s.waitFor("the first frame", contains("Certificates", "✗ no CA", "✗ root CA missing", "i init certs"))

	s.tmux("send-keys", "-t", "tui", "i")
	scr := s.waitFor("init to finish", contains("✓ valid", "✓ init done", "✓ root CA RSA 4096", "✓ server  ECDSA P-256"))
	if _, err := os.Stat(filepath.Join(home, "certs", "rootCA.crt")); err != nil {
		t.Fatalf("the TUI said init is done but: %v\n%s", err, scr)
	}

	if out, err := s.tmux("resize-window", "-t", "tui", "-x", "200", "-y", "50"); err != nil {
		t.Fatalf("tmux resize-window: %v: %s", err, out)
	}
	s.waitFor("three columns at 200x50", func(scr string) bool {
		for _, l := range strings.Split(scr, "\n") {
			if strings.Contains(l, "Certificates") && strings.Contains(l, "Services") && strings.Contains(l, "Jobs") {
				return true
			}
		}
		return false
	})

	s.tmux("send-keys", "-t", "tui", "q")
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
