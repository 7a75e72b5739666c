package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestLogsFollowSurvivesRestart: `esbtui logs registry -f` keeps following
// when the engine ends the stream (here: the container restarts), without
// repeating lines, until Ctrl-C.
func TestLogsFollowSurvivesRestart(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	f := startCLI(t, s.Env, "logs", "registry", "-f", "--no-tui")
	f.waitStdout("listening on", 30*time.Second)
	before := strings.Count(f.stdout.String(), "listening on")
	docker(t, "restart", s.Project+"-registry")
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(f.stdout.String(), "listening on") <= before {
		if time.Now().After(deadline) {
			t.Fatalf("logs -f stopped following after a restart:\n%s\nstderr:\n%s", f.stdout.String(), f.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(f.stdout.String()), "\n")
	seen := map[string]int{}
	for _, l := range lines {
		if strings.Contains(l, "listening on") {
			seen[l]++
		}
	}
	for l, n := range seen {
		if n > 1 {
			t.Errorf("line repeated %d times after resume: %s", n, l)
		}
	}
	if code := f.interrupt(10 * time.Second); code != 0 {
		t.Errorf("logs -f exit %d after Ctrl-C", code)
	}
}
