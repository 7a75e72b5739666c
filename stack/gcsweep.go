package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/esbtui/esbtui/internal/progress"
)

// sweep stops the registry, collects in a one-off container beside it,
// starts it again (even when ctx is done) and measures what was reclaimed.
// It leaves the registry running when there is nothing to collect.
func (j *gcJob) sweep(ctx context.Context, healthTimeout time.Duration) error {
	e, reg, res, rep, gcArgs, configFile := j.e, j.reg, j.res, j.rep, j.args, j.config
	// Nothing to collect: do not take the registry down for it.
	// (A registry nothing was pushed to has no repositories directory and
	// its garbage-collect fails on that: nothing to collect either.)
	if out, code, err := e.Exec(ctx, reg.ID, append(gcArgs[:len(gcArgs)-1:len(gcArgs)-1], "--dry-run", configFile)); err == nil && (code == 0 || strings.Contains(out, "Path not found: /docker/registry/v2/repositories")) {
		if m, b := parseGCOutput(out); len(m) == 0 && len(b) == 0 {
			res.BytesAfter = res.BytesBefore
			rep.Step("gc", progress.Skipped, "nothing to collect: no untagged manifest, no unreferenced blob")
			return nil
		}
	}

	rep.Step("stop", progress.Start, "stopping "+reg.Container+" so nothing is pushed during the sweep")
	down := time.Now()
	timeout := 10
	if _, err := e.Client().ContainerStop(ctx, reg.ID, client.ContainerStopOptions{Timeout: &timeout}); err != nil {
		return &GCError{Container: reg.Container, Step: "stop", Err: err}
	}
	rep.Step("stop", progress.Done, "registry stopped")

	rep.Step("gc", progress.Start, "registry garbage-collect --delete-untagged")
	t := time.Now()
	out, code, gcErr := e.RunBeside(ctx, j.from, j.image, j.env, gcArgs)
	res.GC = time.Since(t)
	if gcErr == nil && code != 0 {
		gcErr = fmt.Errorf("exit code %d", code)
	}
	if gcErr == nil {
		res.Manifests, res.Blobs = parseGCOutput(out)
		rep.Step("gc", progress.Done, fmt.Sprintf("deleted %d manifest(s) and %d blob(s) in %s", len(res.Manifests), len(res.Blobs), res.GC.Round(time.Millisecond)))
	} else {
		rep.Emit(progress.Event{Step: "gc", Status: progress.Failed, Err: gcErr.Error()})
	}

	// Start the registry whatever happened, even when ctx was cancelled.
	rep.Step("restart", progress.Start, "starting "+reg.Container+" (fresh blob cache)")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healthTimeout)
	defer cancel()
	startErr := e.StartHealthy(sctx, reg.ID)
	res.Downtime = time.Since(down)
	if startErr != nil {
		rep.Emit(progress.Event{Step: "restart", Status: progress.Failed, Err: startErr.Error()})
	} else {
		rep.Step("restart", progress.Done, fmt.Sprintf("registry healthy again after %s", res.Downtime.Round(time.Millisecond)))
	}
	if gcErr != nil {
		return &GCError{Container: reg.Container, Step: "gc", Output: out, Err: errors.Join(gcErr, startErr)}
	}
	if startErr != nil {
		return &GCError{Container: reg.Container, Step: "restart", Err: startErr}
	}

	if n, err := e.Du(ctx, reg.ID, j.duCmd, j.root); err == nil {
		res.BytesAfter = n
		if res.BytesBefore >= 0 {
			res.BytesReclaimed = max(res.BytesBefore-n, 0)
		}
		rep.Step("measure", progress.Done, fmt.Sprintf("%s holds %d bytes (%d reclaimed)", j.root, n, res.BytesReclaimed))
	}
	return nil
}
