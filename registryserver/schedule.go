package registryserver

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"

	"github.com/esbtui/esbtui/internal/wire"
)

// Schedules are the maintenance jobs the registry runs by itself (esb.yaml
// gc.schedule and retention.schedule, handed to the container by `esbtui
// up`). A spec is a standard 5-field cron expression or a descriptor
// (@daily, @every 1h), in the container's clock (UTC); "" is no job.
type Schedules struct {
	GC        string          `json:"gc,omitempty"`
	Retention string          `json:"retention,omitempty"`
	Policy    RetentionPolicy `json:"policy"`
}

// ParseSchedule parses a spec the way the registry will: robfig/cron's
// standard parser (5 fields, or @yearly/@monthly/@weekly/@daily/@hourly/
// @every DURATION).
func ParseSchedule(spec string) (cron.Schedule, error) {
	return cron.ParseStandard(spec)
}

// ScheduledJob is a job's spec and its next run.
type ScheduledJob = wire.ScheduledJob

type scheduler struct {
	c    *cron.Cron
	jobs map[string]cron.EntryID
	spec map[string]string
}

// startSchedules starts the cron jobs of s on m (a run waits for the one
// before it: the maintainer runs one at a time).
func (m *Maintainer) startSchedules(ctx context.Context, s Schedules, log *logrus.Logger) error {
	sc := &scheduler{c: cron.New(cron.WithLocation(time.UTC)), jobs: map[string]cron.EntryID{}, spec: map[string]string{}}
	add := func(job, spec string, run func()) error {
		if spec == "" {
			return nil
		}
		id, err := sc.c.AddFunc(spec, run)
		if err != nil {
			return fmt.Errorf("schedule %s %q: %w", job, spec, err)
		}
		sc.jobs[job], sc.spec[job] = id, spec
		return nil
	}
	if err := add("gc", s.GC, func() {
		if _, err := m.GC(ctx, false, "schedule"); err != nil {
			log.Errorf("esbtui: scheduled gc: %v", err)
		}
	}); err != nil {
		return err
	}
	if err := add("retention", s.Retention, func() {
		if _, err := m.Retain(ctx, s.Policy, "schedule"); err != nil {
			log.Errorf("esbtui: scheduled retention: %v", err)
		}
	}); err != nil {
		return err
	}
	m.sched = sc
	sc.c.Start()
	return nil
}

func (sc *scheduler) stop() { <-sc.c.Stop().Done() }

// Scheduled lists the jobs and their next runs.
func (m *Maintainer) Scheduled() []ScheduledJob {
	out := []ScheduledJob{}
	if m.sched == nil {
		return out
	}
	for _, job := range []string{"gc", "retention"} {
		id, ok := m.sched.jobs[job]
		if !ok {
			continue
		}
		out = append(out, ScheduledJob{Job: job, Spec: m.sched.spec[job], Next: m.sched.c.Entry(id).Next.UTC()})
	}
	return out
}
