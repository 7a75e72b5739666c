package env

import (
	"context"
	"fmt"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/stack"
)

// GC runs the registry's garbage collection (`registry garbage-collect
// --delete-untagged`): the real run stops the registry, sweeps, and starts
// it again healthy (so a re-push right after cannot hit the stale blob
// cache); dryRun only lists what would go. `esbtui prune --keep N` then GC
// is the retention policy. The real run is recorded in the audit log.
func (e *Env) GC(ctx context.Context, dryRun bool, sink progress.Sink) (*stack.GCResult, error) {
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	res, err := eng.GarbageCollect(ctx, e.Cfg.Project, stack.GCOptions{DryRun: dryRun}, sink)
	if err != nil {
		e.Log.Error("registry gc", "project", e.Cfg.Project, "dry_run", dryRun, "error", err.Error())
		if !dryRun {
			e.record("registry.gc.failed", map[string]any{"project": e.Cfg.Project, "error": err.Error()})
		}
		return nil, fmt.Errorf("gc: %w", err)
	}
	if !dryRun {
		e.record("registry.gc", map[string]any{
			"project": e.Cfg.Project, "bytes_reclaimed": res.BytesReclaimed,
			"manifests": len(res.Manifests), "blobs": len(res.Blobs),
			"gc_ms": res.GC.Milliseconds(), "downtime_ms": res.Downtime.Milliseconds(),
		})
	}
	return res, nil
}

// MetricsURL is the registry's Prometheus endpoint: its debug server,
// published on loopback at the registry port + 1.
func (e *Env) MetricsURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", e.debugPort())
}

// ScrapeMetrics reads the registry's counters once. The TUI polls it and
// feeds consecutive samples to registryclient.ComputeMetrics for live
// rates.
func (e *Env) ScrapeMetrics(ctx context.Context) (*registryclient.MetricsSample, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	return c.ScrapeMetrics(ctx, e.MetricsURL())
}

// Metrics are the registry's request rate, error rate, p95 latency and
// bytes in/out: over interval (two scrapes that far apart), or since the
// registry started when interval is 0.
func (e *Env) Metrics(ctx context.Context, interval time.Duration) (*registryclient.Metrics, error) {
	first, err := e.ScrapeMetrics(ctx)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		m := registryclient.ComputeMetrics(nil, first)
		return &m, nil
	}
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("metrics: %w", ctx.Err())
	case <-time.After(interval):
	}
	second, err := e.ScrapeMetrics(ctx)
	if err != nil {
		return nil, err
	}
	m := registryclient.ComputeMetrics(first, second)
	return &m, nil
}
