package tui

import (
	"context"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// Doctor runs `esbtui doctor`'s checks (env.Doctor), reporting each link to
// sink as it goes, and keeps their words.
func (b *EnvBackend) Doctor(ctx context.Context, sink progress.Sink) DoctorReport {
	r := b.env().Doctor(ctx, sink)
	out := DoctorReport{Checks: make([]DoctorCheck, 0, len(r.Checks))}
	for _, c := range r.Checks {
		out.Checks = append(out.Checks, DoctorCheck{Name: c.Name, Status: string(c.Status), Why: c.Why, Fix: c.Fix})
	}
	return out
}

// ScrapeMetrics reads the registry's /metrics once (its loopback debug
// port).
func (b *EnvBackend) ScrapeMetrics(ctx context.Context) (*flows.MetricsSample, error) {
	return b.env().ScrapeMetrics(ctx)
}

// RegistryEvents listens for the registry's notifications
// (env.WatchRegistryEvents) until ctx ends.
func (b *EnvBackend) RegistryEvents(ctx context.Context) (*flows.EventsListener, error) {
	return b.env().WatchRegistryEvents(ctx)
}
