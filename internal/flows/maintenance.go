package flows

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/stack/engine"
)

// MaintenanceStatus is what esbtui's registry did by itself (gc.schedule,
// retention.schedule in esb.yaml): the section `status` shows.
type MaintenanceStatus struct {
	Container string                `json:"container,omitempty"`
	Jobs      []MaintenanceJobState `json:"jobs"`
	// ReclaimedBytes is the total of the runs the registry recorded.
	ReclaimedBytes int64 `json:"reclaimed_bytes"`
	// RecentRuns are the last runs the registry recorded, oldest first
	// (the dashboard's Log pane shows new ones).
	RecentRuns []stack.MaintenanceRun `json:"recent_runs,omitempty"`
	Error      string                 `json:"error,omitempty"`
}

// maxRecentRuns bounds MaintenanceStatus.RecentRuns.
const maxRecentRuns = 20

// MaintenanceJobState is one scheduled job: its spec, next run and last run.
type MaintenanceJobState struct {
	Job     string                `json:"job"`
	Spec    string                `json:"spec"`
	Next    time.Time             `json:"next"`
	LastRun *stack.MaintenanceRun `json:"last_run,omitempty"`
}

// RegistryMaintenance reads the registry's schedules and recent runs.
func (e *Env) RegistryMaintenance(ctx context.Context) (*stack.Maintenance, error) {
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	return stack.RegistryMaintenance(ctx, eng, e.Cfg.Project)
}

// maintenanceStatus is the Snapshot section: nil when no schedule is
// configured and the registry recorded no run.
func (e *Env) maintenanceStatus(ctx context.Context) *MaintenanceStatus {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	m, err := e.RegistryMaintenance(ctx)
	if err != nil {
		if e.Cfg.Schedules.Empty() || errors.As(err, new(*stack.NoRegistryError)) {
			return nil
		}
		return &MaintenanceStatus{Jobs: []MaintenanceJobState{}, Error: err.Error()}
	}
	if len(m.Schedules) == 0 && len(m.Runs) == 0 {
		return nil
	}
	st := &MaintenanceStatus{Container: m.Container, Jobs: []MaintenanceJobState{}}
	for _, s := range m.Schedules {
		js := MaintenanceJobState{Job: s.Job, Spec: s.Spec, Next: s.Next}
		for i := len(m.Runs) - 1; i >= 0; i-- {
			if m.Runs[i].Job == s.Job && m.Runs[i].Trigger == "schedule" {
				js.LastRun = &m.Runs[i]
				break
			}
		}
		st.Jobs = append(st.Jobs, js)
	}
	for _, r := range m.Runs {
		st.ReclaimedBytes += r.BytesReclaimed
	}
	st.RecentRuns = m.Runs[max(len(m.Runs)-maxRecentRuns, 0):]
	return st
}

// AuditSourceRegistry marks audit entries the registry recorded itself.
const AuditSourceRegistry = "registry"

// AuditWithRegistry is the audit log merged with the runs esbtui's
// registry made on its own schedule (recorded in the registry's volume),
// oldest first. When the registry cannot be asked (the stack is down, or
// another image), the local log alone is returned and regErr says why.
func (e *Env) AuditWithRegistry(ctx context.Context, since time.Time) (entries []AuditEntry, regErr error, err error) {
	entries, err = e.Audit.Read(since)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m, regErr := e.RegistryMaintenance(ctx)
	if regErr != nil {
		return entries, regErr, nil
	}
	for _, r := range m.Runs {
		if r.Trigger != "schedule" || (!since.IsZero() && r.Finished.Before(since)) {
			continue // `esbtui gc` runs are in the local log already
		}
		entries = append(entries, registryRunEntry(m.Container, r))
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Time.Before(entries[j].Time) })
	return entries, nil, nil
}

// registryRunEntry is a registry run as an audit entry.
func registryRunEntry(container string, r stack.MaintenanceRun) AuditEntry {
	action := "registry." + r.Job + ".scheduled"
	if r.Error != "" {
		action = "registry." + r.Job + ".scheduled.failed"
	}
	f := map[string]any{
		"container": container, "started": r.Started.UTC().Format(time.RFC3339Nano),
		"bytes_reclaimed": r.BytesReclaimed, "manifests": r.Manifests, "blobs": r.Blobs,
		"reads_served": r.ReadsServed, "writes_held": r.WritesHeld,
	}
	if len(r.TagsDeleted) > 0 {
		f["tags_deleted"] = r.TagsDeleted
	}
	if r.Error != "" {
		f["error"] = r.Error
	}
	return AuditEntry{Time: r.Finished.UTC(), Action: action, User: "", Source: AuditSourceRegistry, Fields: f}
}

// warnSchedulesIgnored: esb.yaml has gc or retention schedules but the
// registry is not esbtui's image, which alone runs them.
func (e *Env) warnSchedulesIgnored(services []engine.Service, rep progress.Reporter) {
	if e.Cfg.Schedules.Empty() {
		return
	}
	ri := e.runningRegistryImage(services)
	if ri == nil || ri.Source == ImageSourceSelf {
		return
	}
	rep.Step("schedules", progress.Warning, "gc.schedule and retention.schedule in "+e.Cfg.ProjectFile+
		" run only in esbtui's own registry image, not in "+ri.Ref+" (leave image: out of esb.yaml and ESB_REGISTRY_IMAGE unset)")
}
