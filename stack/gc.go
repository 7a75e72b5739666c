package stack

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/stack/engine"
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
	// Offline forces stop–sweep–start on esbtui's image too (the
	// comparison benchmark).
	Offline bool
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
	// Online: esbtui's registry collected while serving (no downtime).
	// Sweep is how long writes were held; ReadsServed and WritesHeld the
	// requests answered and held meanwhile.
	Online      bool          `json:"online"`
	Sweep       time.Duration `json:"sweep_ns,omitempty"`
	ReadsServed int64         `json:"reads_served"`
	WritesHeld  int64         `json:"writes_held"`
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
	if out := engine.LastLines(e.Output, 5); out != "" {
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
// On esbtui's own image the real run is online (gc_online.go): the
// registry process sweeps while it serves, holding writes for the sweep;
// it has no blob descriptor cache to go stale. If it declines (a cache
// configured), or on another image, or with Offline:
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
func GarbageCollect(ctx context.Context, e *engine.Engine, project string, o GCOptions, sink progress.Sink) (*GCResult, error) {
	rep := progress.Reporter{Op: "gc", Sink: sink}
	start := time.Now()
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = 2 * time.Minute
	}
	reg, in, err := inspectRegistry(ctx, e, project)
	if err != nil {
		return nil, err
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
	if n, err := e.Du(ctx, reg.ID, duCmd, root); err == nil {
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

	j := &gcJob{e: e, reg: reg, bin: bin, from: in.Container.ID, image: in.Container.Image, env: cfg.Env, args: gcArgs, config: configFile, root: root, duCmd: duCmd, res: res, rep: rep}
	switch {
	case o.DryRun:
		err = j.dryRun(ctx)
	case isSelfImageEntrypoint(cfg.Entrypoint) && !o.Offline:
		// esbtui's own image collects while it serves; if it cannot
		// (a blob cache configured), stop–sweep–start.
		if err = j.online(ctx); errors.Is(err, errOnlineUnavailable) {
			err = j.sweep(ctx, o.HealthTimeout)
		}
	default:
		err = j.sweep(ctx, o.HealthTimeout)
	}
	if err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// gcJob is one garbage collection of a running registry container: what
// the dry run and the sweep need to know about it, and the result they
// fill in.
type gcJob struct {
	e   *engine.Engine
	reg engine.Service
	// from and image are the registry container's ID and image, env its
	// environment (the sweep's one-off container shares them).
	from, image string
	env         []string
	// bin is the registry command (its subcommands follow).
	bin []string
	// args is the garbage-collect argv, config the registry's config file
	// (args' last element).
	args   []string
	config string
	// root is the registry's storage directory inside the container.
	root string
	// duCmd measures storage where the image has no shell (esbtui's
	// image: its own du); nil: the shell's du.
	duCmd []string
	res   *GCResult
	rep   progress.Reporter
}

// registryContainer is the project's registry service container.
func registryContainer(ctx context.Context, e *engine.Engine, project string) (engine.Service, error) {
	services, err := e.Ps(ctx, project)
	if err != nil {
		return engine.Service{}, err
	}
	for _, s := range services {
		if s.Name == RegistryService {
			return s, nil
		}
	}
	return engine.Service{}, &NoRegistryError{Project: project}
}

// inspectRegistry finds the project's registry container and inspects it.
func inspectRegistry(ctx context.Context, e *engine.Engine, project string) (engine.Service, client.ContainerInspectResult, error) {
	reg, err := registryContainer(ctx, e, project)
	if err != nil {
		return reg, client.ContainerInspectResult{}, err
	}
	in, err := e.Client().ContainerInspect(ctx, reg.ID, client.ContainerInspectOptions{})
	if err != nil {
		return reg, in, fmt.Errorf("stack: inspect the registry container %s: %w", reg.Container, err)
	}
	return reg, in, nil
}

// RestartRegistry restarts the project's registry container and waits until
// it is healthy again.
func RestartRegistry(ctx context.Context, e *engine.Engine, project string) error {
	reg, err := registryContainer(ctx, e, project)
	if err != nil {
		return err
	}
	timeout := 10
	if _, err := e.Client().ContainerStop(ctx, reg.ID, client.ContainerStopOptions{Timeout: &timeout}); err != nil {
		return fmt.Errorf("stack: stop %s: %w", reg.Container, err)
	}
	return e.StartHealthy(ctx, reg.ID)
}

// registryCommand finds the registry command and its config file from the
// container's entrypoint and command (["/bin/registry"] ["serve", CONFIG],
// or esbtui's image: ["/esbtui", "registryd"] ["serve", CONFIG]).
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
