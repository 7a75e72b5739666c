package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/esbtui/esbtui/stack/engine"
)

// RegistryStorage is the filesystem that holds the registry's storage
// inside its container (the registry-data volume, unless the user's
// compose file says otherwise).
type RegistryStorage struct {
	Container string `json:"container"`
	// Root is the storage directory inside the container.
	Root string `json:"root"`
	// Method says how it was measured: MeasuredHere or MeasuredInContainer.
	Method string `json:"method"`
	engine.FSUsage
}

// How RegistryFilesystem measured.
const (
	// MeasuredHere: statfs of the mount's source on this machine (an
	// engine that shares its filesystem), no exec.
	MeasuredHere = "statfs here"
	// MeasuredInContainer: an exec of df in the registry container.
	MeasuredInContainer = "df in the container"
)

// RegistryFSOptions tune RegistryFilesystem.
type RegistryFSOptions struct {
	// StatHere, when set (the engine shares this machine's filesystem),
	// measures the source of the mount at the storage root on this
	// machine, which is cheaper than an exec, when that mount is a plain
	// local volume (plainLocalVolume); when it fails (no permission to
	// reach it: /var/lib/docker is root's) the exec measures instead.
	StatHere func(path string) (engine.FSUsage, error)
}

// RegistryFilesystem measures the filesystem of the running registry's
// storage root: on this machine when o.StatHere can (the mount's source),
// else in the container: esbtui's image answers `registryd df`, another
// image its shell's `stat -f` (or `df -P`). The registry keeps serving.
func RegistryFilesystem(ctx context.Context, e *engine.Engine, project string, o RegistryFSOptions) (*RegistryStorage, error) {
	reg, in, err := inspectRegistry(ctx, e, project)
	if err != nil {
		return nil, err
	}
	cfg := in.Container.Config
	if cfg == nil || in.Container.State == nil || !in.Container.State.Running {
		return nil, fmt.Errorf("stack: measure the registry's storage: %w", errors.New(reg.Container+" is not running (run `esbtui up`)"))
	}
	var dfCmd []string
	if isSelfImageEntrypoint(cfg.Entrypoint) {
		dfCmd = append(slices.Clip(cfg.Entrypoint), "df")
	}
	root := storageRoot(cfg.Env)
	if o.StatHere != nil {
		for _, m := range in.Container.Mounts {
			if m.Destination != root || m.Source == "" || !plainLocalVolume(ctx, e, m) {
				continue
			}
			if u, err := o.StatHere(m.Source); err == nil {
				return &RegistryStorage{Container: reg.Container, Root: root, Method: MeasuredHere, FSUsage: u}, nil
			}
		}
	}
	u, err := e.Df(ctx, reg.ID, dfCmd, root)
	if err != nil {
		return nil, fmt.Errorf("stack: measure the filesystem of %s in %s: %w", root, reg.Container, err)
	}
	return &RegistryStorage{Container: reg.Container, Root: root, Method: MeasuredInContainer, FSUsage: u}, nil
}

// plainLocalVolume: a volume of the local driver without options, a
// directory on the engine's own disk, so its filesystem is the same seen
// from here as from the container. A volume with options is a mount the
// engine made in its own mount namespace (tmpfs, NFS, a device), which
// this machine may not see at that path (rootless Docker): only the
// container's view is sure.
func plainLocalVolume(ctx context.Context, e *engine.Engine, m container.MountPoint) bool {
	if m.Type != mount.TypeVolume || m.Driver != "local" || m.Name == "" {
		return false
	}
	v, err := e.Client().VolumeInspect(ctx, m.Name, client.VolumeInspectOptions{})
	return err == nil && len(v.Volume.Options) == 0
}
