package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/termtext"
)

// RegistryRun is one gc or retention run the registry made by itself.
type RegistryRun struct {
	Job, Trigger   string
	Finished       time.Time
	BytesReclaimed int64
	Manifests      int
	Blobs          int
	TagsDeleted    int
	Err            string
}

// registryRuns converts the snapshot's maintenance section.
func registryRuns(m *flows.MaintenanceStatus) []RegistryRun {
	if m == nil {
		return nil
	}
	out := make([]RegistryRun, 0, len(m.RecentRuns))
	for _, r := range m.RecentRuns {
		out = append(out, RegistryRun{Job: r.Job, Trigger: r.Trigger, Finished: r.Finished, BytesReclaimed: r.BytesReclaimed,
			Manifests: r.Manifests, Blobs: r.Blobs, TagsDeleted: len(r.TagsDeleted), Err: r.Error})
	}
	return out
}

// firstRegistryRuns is how many past runs the Log shows when the dashboard
// first sees them.
const firstRegistryRuns = 3

// logRegistryRuns adds the runs newer than the last one shown to the Log
// pane (on the first snapshot, the last few).
func (m *Model) logRegistryRuns(runs []RegistryRun) {
	if len(runs) == 0 {
		return
	}
	if m.registryRunsSeen.IsZero() && len(runs) > firstRegistryRuns {
		runs = runs[len(runs)-firstRegistryRuns:]
	}
	for _, r := range runs {
		if !r.Finished.After(m.registryRunsSeen) {
			continue
		}
		m.registryRunsSeen = r.Finished
		m.logLine(r.Finished.Local(), registryRunLine(m.st, r))
	}
}

func registryRunLine(st *styles, r RegistryRun) string {
	what := "registry " + r.Job
	if r.Trigger == "schedule" {
		what = "registry scheduled " + r.Job
	}
	if r.Err != "" {
		return st.mark(lvlBad, what+" failed: "+termtext.Clean(r.Err))
	}
	parts := []string{"reclaimed " + progress.Bytes(r.BytesReclaimed), plural(r.Blobs, "blob", "blobs"), plural(r.Manifests, "manifest", "manifests")}
	if r.Job == "retention" {
		parts = append(parts, plural(r.TagsDeleted, "tag", "tags"))
	}
	return st.mark(lvlOK, fmt.Sprintf("%s: %s deleted", what, strings.Join(parts, ", ")))
}
