package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
)

// TestRegistrySchedules: esb.yaml's gc.schedule and retention.schedule run
// inside esbtui's registry by themselves (no esbtui process between `up`
// and the checks): retention deletes the older tag but never a keep_tags
// one, the scheduled runs are in `esbtui audit --json` marked as from the
// registry, and `status --json` shows each job's next and last run.
// (@every is robfig/cron's descriptor, allowed in esb.yaml beside the
// 5-field form; a short one keeps the test quick.)
func TestRegistrySchedules(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	pf := filepath.Join(t.TempDir(), "esb.yaml")
	if err := os.WriteFile(pf, []byte("gc: {schedule: \"@every 2s\"}\nretention: {keep: 1, schedule: \"@every 3s\", keep_tags: [\"v*\"]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Env = append(s.Env, "ESB_PROJECT_FILE="+pf)
	mustCLI(t, s.Env, "up", "--no-tui")
	tr := caTransport(t, s.CACert())
	for i, tag := range []string{"v1", "a", "b"} {
		img, err := random.Image(32<<10, 1)
		if err != nil {
			t.Fatal(err)
		}
		writeImage(t, tr, s.Addr()+"/e2e/sched:"+tag, img)
		_ = i
	}

	type entry struct {
		Action string         `json:"action"`
		Source string         `json:"source"`
		Fields map[string]any `json:"fields"`
	}
	var retention, gc *entry
	for range 150 {
		var entries []entry
		if err := json.Unmarshal([]byte(mustCLI(t, s.Env, "audit", "--json").Stdout), &entries); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Source != "registry" {
				continue
			}
			switch e.Action {
			case "registry.retention.scheduled":
				if tags, _ := e.Fields["tags_deleted"].([]any); slices.Contains(tags, any("e2e/sched:a")) {
					retention = &e
				}
			case "registry.gc.scheduled":
				if retention != nil {
					gc = &e
				}
			case "registry.retention.scheduled.failed", "registry.gc.scheduled.failed":
				t.Fatalf("a scheduled run failed: %+v", e)
			}
		}
		if retention != nil && gc != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if retention == nil || gc == nil {
		t.Fatalf("no scheduled retention deleting e2e/sched:a and gc after it in the audit log (retention %v, gc %v)", retention, gc)
	}
	t.Logf("scheduled retention: %v; gc: %v", retention.Fields, gc.Fields)

	var tags struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(mustCLI(t, s.Env, "tags", "e2e/sched", "--json").Stdout), &tags); err != nil {
		t.Fatal(err)
	}
	slices.Sort(tags.Tags)
	if !slices.Equal(tags.Tags, []string{"b", "v1"}) {
		t.Fatalf("tags after retention keep 1 with keep_tags v*: %v, want [b v1]", tags.Tags)
	}

	var st struct {
		Maintenance *struct {
			Jobs []struct {
				Job     string          `json:"job"`
				Next    time.Time       `json:"next"`
				LastRun json.RawMessage `json:"last_run"`
			} `json:"jobs"`
			ReclaimedBytes int64 `json:"reclaimed_bytes"`
		} `json:"maintenance"`
	}
	res := runCLI(t, s.Env, "status", "--json")
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil || st.Maintenance == nil {
		t.Fatalf("status --json has no maintenance section (%v):\n%s", err, res.Stdout)
	}
	if len(st.Maintenance.Jobs) != 2 || st.Maintenance.ReclaimedBytes <= 0 {
		t.Fatalf("status maintenance: %+v; want gc and retention, bytes reclaimed", st.Maintenance)
	}
	for _, j := range st.Maintenance.Jobs {
		if j.Next.IsZero() || len(j.LastRun) == 0 || string(j.LastRun) == "null" {
			t.Fatalf("status maintenance job %s: next %v, last run %s", j.Job, j.Next, j.LastRun)
		}
	}
}
