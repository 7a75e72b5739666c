package registryserver

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/storage"
	"github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/factory"
)

// Maintainer is the registry's own upkeep inside esbtui's image: online
// garbage collection (the registry keeps serving; writes are held by its
// writeGate during the sweep), retention, and the schedules that run them.
// It works on the registry's storage through a second driver over the same
// storage, as distribution's garbage-collect does.
type Maintainer struct {
	gate *writeGate
	// sweepWait bounds how long a sweep waits for writes in flight.
	sweepWait time.Duration

	mu sync.Mutex // one GC or retention run at a time
	d  driver.StorageDriver
	ns distribution.Namespace
	// unavailable says why online GC cannot run ("" when it can).
	unavailable string
	log         *RunLog
	sched       *scheduler
}

// OnlineGCResult is one online garbage collection.
type OnlineGCResult struct {
	SweepResult
	DryRun   bool      `json:"dry_run"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// ReadsServed and WritesHeld count the requests during the sweep:
	// pulls answered, pushes held until it ended.
	ReadsServed int64 `json:"reads_served"`
	WritesHeld  int64 `json:"writes_held"`
}

// UnavailableError: this registry cannot collect online (the caller falls
// back to stopping it).
type UnavailableError struct{ Reason string }

func (e *UnavailableError) Error() string { return "online gc unavailable: " + e.Reason }

// newMaintainer prepares the maintainer for a registry configuration. It
// never fails: what keeps online GC from running is reported by GC.
func newMaintainer(ctx context.Context, cfg *configuration.Configuration, gate *writeGate) *Maintainer {
	m := &Maintainer{gate: gate, sweepWait: 2 * time.Minute}
	m.log = newRunLog(runLogDir(cfg))
	if cc, ok := cfg.Storage["cache"]; ok {
		if v, _ := cc["blobdescriptor"].(string); v != "" {
			// The blob descriptor cache would still claim the blobs the
			// sweep deleted: a re-push right after would upload nothing.
			m.unavailable = fmt.Sprintf("the registry runs with a %s blob descriptor cache (storage.cache), which a sweep would leave stale", v)
			return m
		}
	}
	if cfg.Proxy.RemoteURL != "" {
		m.unavailable = "the registry is a pull-through cache"
		return m
	}
	d, err := factory.Create(ctx, cfg.Storage.Type(), cfg.Storage.Parameters())
	if err != nil {
		m.unavailable = "open the storage: " + err.Error()
		return m
	}
	ns, err := storage.NewRegistry(ctx, d, storage.EnableDelete)
	if err != nil {
		m.unavailable = "open the storage: " + err.Error()
		return m
	}
	m.d, m.ns = d, ns
	return m
}

// GC runs one mark-and-sweep while the registry serves: reads go on,
// writes are held until the sweep ends. trigger says who asked (recorded
// in the run log).
func (m *Maintainer) GC(ctx context.Context, dryRun bool, trigger string) (*OnlineGCResult, error) {
	if m.unavailable != "" {
		return nil, &UnavailableError{Reason: m.unavailable}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	res, err := m.gc(ctx, dryRun)
	if !dryRun {
		rec := Run{Job: "gc", Trigger: trigger, Started: time.Now(), Finished: time.Now()}
		if res != nil {
			rec.Started, rec.Finished = res.Started, res.Finished
			rec.BytesReclaimed, rec.Manifests, rec.Blobs = res.BytesReclaimed, len(res.Manifests), len(res.Blobs)
			rec.ReadsServed, rec.WritesHeld = res.ReadsServed, res.WritesHeld
		}
		if err != nil {
			rec.Error = err.Error()
		}
		m.log.Append(rec)
	}
	return res, err
}

// gc is GC with m.mu held.
func (m *Maintainer) gc(ctx context.Context, dryRun bool) (*OnlineGCResult, error) {
	res := &OnlineGCResult{DryRun: dryRun, Started: time.Now().UTC()}
	if dryRun {
		sr, err := markAndSweep(ctx, m.d, m.ns, sweepOptions{DryRun: true})
		if err != nil {
			return nil, err
		}
		res.SweepResult, res.Finished = *sr, time.Now().UTC()
		return res, nil
	}
	end, err := m.gate.beginSweep(m.sweepWait)
	if err != nil {
		return nil, err
	}
	blobs, links := m.gate.protected()
	sr, err := markAndSweep(ctx, m.d, m.ns, sweepOptions{ProtectedBlobs: blobs, ProtectedLinks: links})
	res.ReadsServed, res.WritesHeld = end()
	res.Finished = time.Now().UTC()
	if sr != nil {
		res.SweepResult = *sr
	}
	if err != nil {
		return res, fmt.Errorf("sweep: %w", err)
	}
	return res, nil
}

// Retain applies a retention policy (untag all but the keep newest tags of
// each repository, never tags matching keepTags) and then collects.
func (m *Maintainer) Retain(ctx context.Context, p RetentionPolicy, trigger string) (*RetentionResult, error) {
	if m.unavailable != "" {
		return nil, &UnavailableError{Reason: m.unavailable}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := Run{Job: "retention", Trigger: trigger, Started: time.Now().UTC()}
	res, err := m.retain(ctx, p)
	if res != nil {
		rec.TagsDeleted = res.TagsDeleted
		if res.GC != nil {
			rec.BytesReclaimed, rec.Manifests, rec.Blobs = res.GC.BytesReclaimed, len(res.GC.Manifests), len(res.GC.Blobs)
			rec.ReadsServed, rec.WritesHeld = res.GC.ReadsServed, res.GC.WritesHeld
		}
	}
	rec.Finished = time.Now().UTC()
	if err != nil {
		rec.Error = err.Error()
	}
	m.log.Append(rec)
	return res, err
}

// Close stops the schedules.
func (m *Maintainer) Close() {
	if m.sched != nil {
		m.sched.stop()
	}
}
