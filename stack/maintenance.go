package stack

import (
	"context"
	"fmt"
	"slices"

	"github.com/esbtui/esbtui/internal/wire"
	"github.com/esbtui/esbtui/stack/engine"
)

// ScheduledJob is a maintenance job esbtui's registry runs by itself and
// when it runs next.
type ScheduledJob = wire.ScheduledJob

// MaintenanceRun is one garbage collection or retention run the registry
// recorded (its run log in the registry volume).
type MaintenanceRun = wire.MaintenanceRun

// Maintenance is what the registry reports about its own upkeep.
type Maintenance struct {
	Container string           `json:"container"`
	Schedules []ScheduledJob   `json:"schedules"`
	Runs      []MaintenanceRun `json:"runs"`
}

// NotSelfImageError: the registry is not esbtui's image, which alone runs
// maintenance by itself.
type NotSelfImageError struct{ Container, Image string }

func (e *NotSelfImageError) Error() string {
	return fmt.Sprintf("stack: %s runs %s: only esbtui's own registry image runs gc and retention schedules (leave `image:` out of esb.yaml and ESB_REGISTRY_IMAGE unset)", e.Container, e.Image)
}

// maxRunsRead bounds the runs taken from the registry's answer.
const maxRunsRead = 200

// RegistryMaintenance asks the project's registry (esbtui's image) for its
// schedules and recent runs, through `registryd maintenance` exec'd in
// the container. What the container answers is validated: job names
// known, counts not negative, text bounded.
func RegistryMaintenance(ctx context.Context, e *engine.Engine, project string) (*Maintenance, error) {
	reg, in, err := inspectRegistry(ctx, e, project)
	if err != nil {
		return nil, err
	}
	cfg := in.Container.Config
	if cfg == nil || !isSelfImageEntrypoint(cfg.Entrypoint) {
		img := ""
		if cfg != nil {
			img = cfg.Image
		}
		return nil, &NotSelfImageError{Container: reg.Container, Image: img}
	}
	out, code, err := e.Exec(ctx, reg.ID, append(slices.Clip(cfg.Entrypoint), "maintenance"))
	if err != nil {
		return nil, fmt.Errorf("stack: read the maintenance runs of %s: %w", reg.Container, err)
	}
	reply, err := parseControlReply(out)
	if err != nil || reply.Error != "" {
		if err == nil {
			err = fmt.Errorf("%s", reply.Error)
		}
		return nil, fmt.Errorf("stack: read the maintenance runs of %s (exit code %d): %w", reg.Container, code, err)
	}
	m := &Maintenance{Container: reg.Container, Schedules: []ScheduledJob{}, Runs: []MaintenanceRun{}}
	for _, s := range reply.Schedules {
		if validJob(s.Job) && len(s.Spec) <= 200 {
			m.Schedules = append(m.Schedules, s)
		}
	}
	runs := reply.Runs
	if len(runs) > maxRunsRead {
		runs = runs[len(runs)-maxRunsRead:]
	}
	for _, r := range runs {
		if !validJob(r.Job) || r.BytesReclaimed < 0 || r.Manifests < 0 || r.Blobs < 0 {
			continue
		}
		r.Trigger = boundText(r.Trigger, 64)
		r.Error = boundText(r.Error, 2000)
		if len(r.TagsDeleted) > 1000 {
			r.TagsDeleted = r.TagsDeleted[:1000]
		}
		m.Runs = append(m.Runs, r)
	}
	return m, nil
}

// validJob: the jobs the registry runs by itself.
func validJob(s string) bool { return s == "gc" || s == "retention" }

// boundText cuts s to n bytes (the terminal face strips control
// sequences; this only bounds).
func boundText(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
