package stack

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/stack/engine"
)

// dryRun execs `garbage-collect --dry-run` in the running registry and sums
// the sizes of the blobs it lists; the registry keeps serving.
func (j *gcJob) dryRun(ctx context.Context) error {
	e, reg, res, rep := j.e, j.reg, j.res, j.rep
	rep.Step("gc", progress.Start, "garbage-collect --dry-run in "+reg.Container)
	t := time.Now()
	out, code, err := e.Exec(ctx, reg.ID, j.args)
	res.GC = time.Since(t)
	if err != nil || code != 0 {
		if err == nil {
			err = fmt.Errorf("exit code %d", code)
		}
		return &GCError{Container: reg.Container, Step: "gc", Output: out, Err: err}
	}
	res.Manifests, res.Blobs = parseGCOutput(out)
	if n, err := blobBytes(ctx, e, reg.ID, j.duCmd, j.root, res.Blobs); err == nil {
		res.BytesReclaimed = n
	}
	rep.Step("gc", progress.Done, fmt.Sprintf("would delete %d manifest(s) and %d blob(s), %d bytes", len(res.Manifests), len(res.Blobs), res.BytesReclaimed))
	return nil
}

// blobBytes sums the sizes of blobs in the registry's filesystem layout.
func blobBytes(ctx context.Context, e *engine.Engine, id string, duCmd []string, root string, digests []string) (int64, error) {
	var paths []string
	for _, d := range digests {
		algo, hex, ok := strings.Cut(d, ":")
		if !ok || len(hex) < 2 {
			continue
		}
		paths = append(paths, fmt.Sprintf("%s/docker/registry/v2/blobs/%s/%s/%s/data", root, algo, hex[:2], hex))
	}
	return e.Du(ctx, id, duCmd, paths...)
}
