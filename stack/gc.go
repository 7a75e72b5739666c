package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/esbtui/esbtui/internal/progress"
)

// DefaultStorageRoot is where registry:3 (and the fixture image) keep blobs.
const DefaultStorageRoot = "/var/lib/registry"

// GCOptions tune GarbageCollect.
type GCOptions struct {
	// DryRun lists what would go (and how many bytes) and deletes nothing;
	// the registry keeps running.
	DryRun bool
	// HealthTimeout bounds the wait for the registry to be healthy again
	// after the real run (default 2 minutes).
	HealthTimeout time.Duration
}

// GCResult says what a garbage collection removed (or would remove).
type GCResult struct {
	DryRun    bool   `json:"dry_run"`
	Container string `json:"container"`
	// StorageRoot is the registry's filesystem storage inside the container.
	StorageRoot string `json:"storage_root"`
	// BytesBefore and BytesAfter are `du -sb` of the storage (apparent
	// sizes); -1 when they could not be measured.
	BytesBefore int64 `json:"bytes_before"`
	BytesAfter  int64 `json:"bytes_after"`
	// BytesReclaimed is BytesBefore-BytesAfter, or for a dry run the size of
	// the blobs that would be deleted.
	BytesReclaimed int64 `json:"bytes_reclaimed"`
	// Manifests and Blobs are the digests GC deleted (or would delete).
	Manifests []string `json:"manifests"`
	Blobs     []string `json:"blobs"`
	// GC is how long `registry garbage-collect` ran; Downtime how long the
	// registry was not serving (stop → healthy again); Elapsed the whole.
	GC       time.Duration `json:"gc_ns"`
	Downtime time.Duration `json:"downtime_ns"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// GCError is a garbage collection that failed; Output is what the
// registry's garbage-collect printed.
type GCError struct {
	Container string
	Step      string
	Output    string
	Err       error
}

func (e *GCError) Error() string {
	msg := fmt.Sprintf("stack: garbage collection in %s failed at %s: %v", e.Container, e.Step, e.Err)
	if out := lastLines(e.Output, 5); out != "" {
		msg += "; output: " + out
	}
	return msg + " (see `esbtui logs registry`; the data is untouched unless the step was gc)"
}

func (e *GCError) Unwrap() error { return e.Err }

// NoRegistryError means the project has no registry container to collect.
type NoRegistryError struct{ Project string }

func (e *NoRegistryError) Error() string {
	return fmt.Sprintf("stack: project %s has no %s container: start the stack with `esbtui up`", e.Project, RegistryService)
}

// GarbageCollect runs `registry garbage-collect --delete-untagged` on the
// project's registry storage.
//
// The real run stops the registry, collects in a one-off container that
// shares the registry's volumes and environment (so nothing is pushed while
// blobs are being swept), then starts the registry again and waits until it
// is healthy. The restart also empties the registry's in-memory blob
// descriptor cache: without it, a re-push right after GC uploads nothing
// (the cache still claims the deleted blobs) and the image reads back as
// 0 bytes / 404. If the collection fails the registry is still started.
//
// A dry run execs `garbage-collect --dry-run` in the running registry and
// sums the sizes of the blobs it lists. Sizes come from `du` run inside the
// registry container (busybox in registry:3 and the fixture image).
func (e *Engine) GarbageCollect(ctx context.Context, project string, o GCOptions, sink progress.Sink) (*GCResult, error) {
	rep := progress.Reporter{Op: "gc", Sink: sink}
	start := time.Now()
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = 2 * time.Minute
	}
	reg, err := e.registryContainer(ctx, project)
	if err != nil {
		return nil, err
	}
	in, err := e.api.ContainerInspect(ctx, reg.ID, client.ContainerInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("stack: inspect the registry container %s: %w", reg.Container, err)
	}
	cfg := in.Container.Config
	if cfg == nil || in.Container.State == nil || !in.Container.State.Running {
		return nil, &GCError{Container: reg.Container, Step: "inspect", Err: errors.New("the registry is not running (run `esbtui up`)")}
	}
	bin, configFile := registryCommand(cfg.Entrypoint, cfg.Cmd)
	duCmd := registryDuCommand(cfg.Entrypoint)
	root := storageRoot(cfg.Env)
	res := &GCResult{DryRun: o.DryRun, Container: reg.Container, StorageRoot: root, BytesBefore: -1, BytesAfter: -1, Manifests: []string{}, Blobs: []string{}}

	rep.Step("measure", progress.Start, "measuring "+root)
	if n, err := e.du(ctx, reg.ID, duCmd, root); err == nil {
		res.BytesBefore = n
		rep.Step("measure", progress.Done, fmt.Sprintf("%s holds %d bytes", root, n))
	} else {
		rep.Step("measure", progress.Warning, "cannot measure the storage: "+err.Error())
	}

	gcArgs := append(slices.Clip(bin), "garbage-collect", "--delete-untagged")
	if o.DryRun {
		gcArgs = append(gcArgs, "--dry-run")
	}
	gcArgs = append(gcArgs, configFile)

	if o.DryRun {
		rep.Step("gc", progress.Start, "garbage-collect --dry-run in "+reg.Container)
		t := time.Now()
		out, code, err := e.Exec(ctx, reg.ID, gcArgs)
		res.GC = time.Since(t)
		if err != nil || code != 0 {
			if err == nil {
				err = fmt.Errorf("exit code %d", code)
			}
			return nil, &GCError{Container: reg.Container, Step: "gc", Output: out, Err: err}
		}
		res.Manifests, res.Blobs = parseGCOutput(out)
		if n, err := e.blobBytes(ctx, reg.ID, duCmd, root, res.Blobs); err == nil {
			res.BytesReclaimed = n
		}
		rep.Step("gc", progress.Done, fmt.Sprintf("would delete %d manifest(s) and %d blob(s), %d bytes", len(res.Manifests), len(res.Blobs), res.BytesReclaimed))
		res.Elapsed = time.Since(start)
		return res, nil
	}

	// Nothing to collect: do not take the registry down for it.
	if out, code, err := e.Exec(ctx, reg.ID, append(gcArgs[:len(gcArgs)-1:len(gcArgs)-1], "--dry-run", configFile)); err == nil && code == 0 {
		if m, b := parseGCOutput(out); len(m) == 0 && len(b) == 0 {
			res.BytesAfter = res.BytesBefore
			rep.Step("gc", progress.Skipped, "nothing to collect: no untagged manifest, no unreferenced blob")
			res.Elapsed = time.Since(start)
			return res, nil
		}
	}

	rep.Step("stop", progress.Start, "stopping "+reg.Container+" so nothing is pushed during the sweep")
	down := time.Now()
	timeout := 10
	if _, err := e.api.ContainerStop(ctx, reg.ID, client.ContainerStopOptions{Timeout: &timeout}); err != nil {
		return nil, &GCError{Container: reg.Container, Step: "stop", Err: err}
	}
	rep.Step("stop", progress.Done, "registry stopped")

	rep.Step("gc", progress.Start, "registry garbage-collect --delete-untagged")
	t := time.Now()
	out, code, gcErr := e.runBeside(ctx, in.Container.ID, in.Container.Image, cfg.Env, gcArgs)
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
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.HealthTimeout)
	defer cancel()
	startErr := e.startHealthy(sctx, reg.ID)
	res.Downtime = time.Since(down)
	if startErr != nil {
		rep.Emit(progress.Event{Step: "restart", Status: progress.Failed, Err: startErr.Error()})
	} else {
		rep.Step("restart", progress.Done, fmt.Sprintf("registry healthy again after %s", res.Downtime.Round(time.Millisecond)))
	}
	if gcErr != nil {
		return nil, &GCError{Container: reg.Container, Step: "gc", Output: out, Err: errors.Join(gcErr, startErr)}
	}
	if startErr != nil {
		return nil, &GCError{Container: reg.Container, Step: "restart", Err: startErr}
	}

	if n, err := e.du(ctx, reg.ID, duCmd, root); err == nil {
		res.BytesAfter = n
		if res.BytesBefore >= 0 {
			res.BytesReclaimed = max(res.BytesBefore-n, 0)
		}
		rep.Step("measure", progress.Done, fmt.Sprintf("%s holds %d bytes (%d reclaimed)", root, n, res.BytesReclaimed))
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// registryContainer is the project's registry service container.
func (e *Engine) registryContainer(ctx context.Context, project string) (Service, error) {
	services, err := e.Ps(ctx, project)
	if err != nil {
		return Service{}, err
	}
	for _, s := range services {
		if s.Name == RegistryService {
			return s, nil
		}
	}
	return Service{}, &NoRegistryError{Project: project}
}

// registryCommand finds the registry command and its config file from the
// container's entrypoint and command (["/bin/registry"] ["serve", CONFIG],
// or esbtui's image: ["/esbtui", "registry-server"] ["serve", CONFIG]).
func registryCommand(entrypoint, cmd []string) (bin []string, config string) {
	bin, config = []string{"/bin/registry"}, "/etc/distribution/config.yml"
	if isSelfImageEntrypoint(entrypoint) {
		bin = entrypoint
	} else if len(entrypoint) > 0 && strings.Contains(entrypoint[len(entrypoint)-1], "registry") {
		bin = []string{entrypoint[len(entrypoint)-1]}
	}
	if len(cmd) >= 2 && cmd[0] == "serve" {
		config = cmd[len(cmd)-1]
	}
	return bin, config
}

// storageRoot is the filesystem storage directory the registry uses.
func storageRoot(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="); ok && v != "" {
			return v
		}
	}
	return DefaultStorageRoot
}

var (
	gcManifestRE = regexp.MustCompile(`manifest eligible for deletion: \{?\S*\s*(sha256:[0-9a-f]{64})`)
	gcBlobRE     = regexp.MustCompile(`blob eligible for deletion: (sha256:[0-9a-f]{64})`)
)

// parseGCOutput returns the manifest and blob digests garbage-collect
// listed as eligible for deletion.
func parseGCOutput(out string) (manifests, blobs []string) {
	manifests, blobs = []string{}, []string{}
	for _, m := range gcManifestRE.FindAllStringSubmatch(out, -1) {
		manifests = append(manifests, m[1])
	}
	for _, m := range gcBlobRE.FindAllStringSubmatch(out, -1) {
		blobs = append(blobs, m[1])
	}
	return manifests, blobs
}

// du measures paths inside a running container (`du -sb`, falling back to
// `du -sk` × 1024; duCmd instead when the image has no shell) and returns
// the sum.
func (e *Engine) du(ctx context.Context, id string, duCmd []string, paths ...string) (int64, error) {
	if len(paths) == 0 {
		return 0, nil
	}
	script := `du -sb "$@" 2>/dev/null || { du -sk "$@" | while read k p; do echo $((k*1024)) "$p"; done; }`
	argv := append([]string{"sh", "-c", script, "du"}, paths...)
	if duCmd != nil {
		argv = append(slices.Clip(duCmd), paths...)
	}
	out, code, err := e.Exec(ctx, id, argv)
	if err != nil {
		return 0, err
	}
	if code != 0 {
		return 0, fmt.Errorf("du exited %d: %s", code, lastLines(out, 2))
	}
	var total int64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("du printed %q", line)
		}
		total += n
	}
	return total, nil
}

// blobBytes sums the sizes of blobs in the registry's filesystem layout.
func (e *Engine) blobBytes(ctx context.Context, id string, duCmd []string, root string, digests []string) (int64, error) {
	var paths []string
	for _, d := range digests {
		algo, hex, ok := strings.Cut(d, ":")
		if !ok || len(hex) < 2 {
			continue
		}
		paths = append(paths, fmt.Sprintf("%s/docker/registry/v2/blobs/%s/%s/%s/data", root, algo, hex[:2], hex))
	}
	return e.du(ctx, id, duCmd, paths...)
}

// Exec runs cmd in a running container (like `docker exec`) and returns its
// combined output and exit code.
func (e *Engine) Exec(ctx context.Context, id string, cmd []string) (string, int, error) {
	cr, err := e.api.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return "", -1, fmt.Errorf("stack: exec %s in %s: %w", cmd[0], shortID(id), err)
	}
	att, err := e.api.ExecAttach(ctx, cr.ID, client.ExecAttachOptions{})
	if err != nil {
		return "", -1, fmt.Errorf("stack: exec %s in %s: attach: %w", cmd[0], shortID(id), err)
	}
	var out bytes.Buffer
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(&out, &out, att.Reader)
		copied <- err
	}()
	select {
	case err = <-copied:
		att.Close()
	case <-ctx.Done():
		att.Close()
		<-copied
		return out.String(), -1, fmt.Errorf("stack: exec %s in %s: %w", cmd[0], shortID(id), ctx.Err())
	}
	if err != nil {
		return out.String(), -1, fmt.Errorf("stack: exec %s in %s: read output: %w", cmd[0], shortID(id), err)
	}
	// The stream ends before the exit code is recorded: poll briefly.
	for range 50 {
		ins, err := e.api.ExecInspect(ctx, cr.ID, client.ExecInspectOptions{})
		if err != nil {
			return out.String(), -1, fmt.Errorf("stack: exec %s in %s: inspect: %w", cmd[0], shortID(id), err)
		}
		if !ins.Running {
			return out.String(), ins.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return out.String(), -1, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return out.String(), -1, fmt.Errorf("stack: exec %s in %s: still running after its output ended", cmd[0], shortID(id))
}

// runBeside runs cmd (entrypoint-style argv) in a one-off container of
// image that mounts every volume of container from, with its environment
// and no network, waits for it and removes it.
func (e *Engine) runBeside(ctx context.Context, from, image string, env, cmd []string) (string, int, error) {
	cr, err := e.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image: image, Entrypoint: cmd[:1], Cmd: cmd[1:], Env: env,
			Labels: map[string]string{"dev.esbtui.gc-of": from},
		},
		HostConfig: &container.HostConfig{NetworkMode: "none", VolumesFrom: []string{from}},
	})
	if err != nil {
		return "", -1, fmt.Errorf("create the gc container: %w", err)
	}
	defer e.api.ContainerRemove(context.WithoutCancel(ctx), cr.ID, client.ContainerRemoveOptions{Force: true})
	wait := e.api.ContainerWait(ctx, cr.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := e.api.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		return "", -1, fmt.Errorf("start the gc container: %w", err)
	}
	code := -1
	select {
	case w := <-wait.Result:
		code = int(w.StatusCode)
	case err := <-wait.Error:
		return "", -1, fmt.Errorf("wait for the gc container: %w", err)
	case <-ctx.Done():
		return "", -1, ctx.Err()
	}
	logs, err := e.api.ContainerLogs(ctx, cr.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return "", code, fmt.Errorf("read the gc output: %w", err)
	}
	defer logs.Close()
	var out bytes.Buffer
	if err := demux(&out, &out, logs); err != nil {
		return out.String(), code, fmt.Errorf("read the gc output: %w", err)
	}
	return out.String(), code, nil
}

// RestartRegistry restarts the project's registry container and waits until
// it is healthy again.
func (e *Engine) RestartRegistry(ctx context.Context, project string) error {
	reg, err := e.registryContainer(ctx, project)
	if err != nil {
		return err
	}
	timeout := 10
	if _, err := e.api.ContainerStop(ctx, reg.ID, client.ContainerStopOptions{Timeout: &timeout}); err != nil {
		return fmt.Errorf("stack: stop %s: %w", reg.Container, err)
	}
	return e.startHealthy(ctx, reg.ID)
}

// startHealthy starts a container and waits until its healthcheck passes
// (or it runs, when it has none).
func (e *Engine) startHealthy(ctx context.Context, id string) error {
	if _, err := e.api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start %s: %w", shortID(id), err)
	}
	for {
		in, err := e.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			return fmt.Errorf("inspect %s: %w", shortID(id), err)
		}
		st := in.Container.State
		switch {
		case st == nil:
		case !st.Running && st.Status != container.StateCreated && st.Status != container.StateRestarting:
			return fmt.Errorf("%s is %s (exit code %d): %s", shortID(id), st.Status, st.ExitCode, e.lastLogLines(ctx, id, 5))
		case st.Running && (st.Health == nil || st.Health.Status == container.Healthy || st.Health.Status == container.NoHealthcheck):
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to be healthy: %w", shortID(id), ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
