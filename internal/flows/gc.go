package flows

import (
	"context"
	"fmt"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/stack"
)

// GC runs the registry's garbage collection (`registry garbage-collect
// --delete-untagged`). esbtui's own registry image collects while it
// serves (pulls go on, pushes wait for the sweep; it has no blob cache to
// go stale); another image is stopped, swept and started again healthy (so
// a re-push right after cannot hit its stale blob cache). dryRun only
// lists what would go. `esbtui prune --keep N` then GC
// is the retention policy. The real run is recorded in the audit log.
func (e *Env) GC(ctx context.Context, dryRun bool, sink progress.Sink) (*stack.GCResult, error) {
	return e.GCWith(ctx, GCOptions{DryRun: dryRun}, sink)
}

// GCOptions: DryRun lists only; Offline stops esbtui's registry for the
// sweep too (the flow other images get), instead of collecting online.
type GCOptions struct {
	DryRun, Offline bool
}

// GCWith is GC with options.
func (e *Env) GCWith(ctx context.Context, o GCOptions, sink progress.Sink) (*stack.GCResult, error) {
	dryRun := o.DryRun
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	res, err := stack.GarbageCollect(ctx, eng, e.Cfg.Project, stack.GCOptions{DryRun: dryRun, Offline: o.Offline}, sink)
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
			"online": res.Online, "reads_served": res.ReadsServed, "writes_held": res.WritesHeld,
		})
	}
	return res, nil
}
