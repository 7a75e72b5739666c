package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/progress"
)

// doctorEnv is a fresh home (no CA), trust stores in a sandbox and an engine
// nobody listens on: every link ends at once, without the network.
func doctorEnv(t *testing.T) string {
	t.Helper()
	t.Setenv("ESB_TRUST_ROOT", t.TempDir())
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	t.Setenv("DOCKER_CONTEXT", "")
	return t.TempDir()
}

// Plain: each link's start and end go to stderr as they happen; stdout holds
// the report alone, as before; exit 3.
func TestDoctorLiveLinesOnStderr(t *testing.T) {
	code, out, errOut := runCLI(t, doctorEnv(t), "doctor", "--no-tui")
	if code != exitProblems {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitProblems, out, errOut)
	}
	if !strings.HasPrefix(out, "✗ FAIL  root CA") || !strings.Contains(out, "First broken link: root CA. Fix: esbtui init") || strings.Contains(out, " doctor ") {
		t.Errorf("stdout is not the report alone:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 26 {
		t.Fatalf("%d live lines, want a start and an end for each of 13 links:\n%s", len(lines), errOut)
	}
	for _, want := range []string{"→ doctor root CA: checking", "✗ doctor root CA: broken: no root CA in ", "(fix: esbtui init)", "= doctor server certificate: skipped: root CA is broken", "✗ doctor container engine: broken: "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.HasPrefix(lines[0], "→ doctor root CA") || !strings.HasPrefix(lines[19], "= doctor probe push → pull → run: skipped") ||
		!strings.HasPrefix(lines[21], "= doctor alerts: storage skipped") {
		t.Errorf("first/probe/last live lines: %q / %q / %q", lines[0], lines[19], lines[21])
	}
}

// --json: stdout is the report document as before; the live events are JSON
// lines on stderr.
func TestDoctorJSONEventsOnStderr(t *testing.T) {
	code, out, errOut := runCLI(t, doctorEnv(t), "doctor", "--json")
	if code != exitProblems {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var rep struct {
		Checks []struct{ Name, Status string } `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Checks) == 0 || rep.Checks[0].Name != "root CA" {
		t.Fatalf("stdout is not the report: %v\n%s", err, out)
	}
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		var e progress.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.Op != "doctor" || e.Step == "" {
			t.Fatalf("stderr line %q is not a doctor event (%v)", l, err)
		}
		n++
	}
	if n != 26 {
		t.Errorf("%d events, want 26:\n%s", n, errOut)
	}
}
