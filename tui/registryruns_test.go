package tui

import (
	"strings"
	"testing"
	"time"
)

// TestRegistryRunsReachTheLog: the registry's scheduled runs in a snapshot
// show in the Log pane once each (a refresh repeating them adds nothing),
// with what they reclaimed or why they failed, control sequences stripped.
func TestRegistryRunsReachTheLog(t *testing.T) {
	f := &fake{state: healthyState()}
	f.state.RegistryRuns = []RegistryRun{
		{Job: "gc", Trigger: "schedule", Finished: t0.Add(-2 * time.Hour), BytesReclaimed: 3 << 20, Blobs: 5, Manifests: 1},
		{Job: "retention", Trigger: "schedule", Finished: t0.Add(-time.Hour), Err: "disk \x1b[31mfull"},
	}
	h := newHarness(t, f, 120, 40)
	logHas := func(sub string) func(*Model) bool {
		return func(m *Model) bool { return strings.Contains(strings.Join(m.log.lines, "\n"), sub) }
	}
	h.until("scheduled gc logged", logHas("registry scheduled gc: reclaimed 3.0 MiB, 5 blobs, 1 manifest deleted"))
	h.until("failed retention logged", logHas("registry scheduled retention failed: disk full"))

	f.mu.Lock()
	f.state.RegistryRuns = append(f.state.RegistryRuns, RegistryRun{Job: "gc", Trigger: "schedule", Finished: t0, Blobs: 2})
	f.mu.Unlock()
	h.keys("r")
	h.until("new run logged", logHas("2 blobs"))
	m := h.final()
	if n := strings.Count(strings.Join(m.log.lines, "\n"), "registry scheduled gc"); n != 2 {
		t.Fatalf("the Log shows %d scheduled gc line(s), want 2 (each run once):\n%s", n, strings.Join(m.log.lines, "\n"))
	}
}
