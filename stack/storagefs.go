package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"

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
	engine.FSUsage
}

// RegistryFilesystem measures the filesystem of the running registry's
// storage root, in the container: esbtui's image answers `registryd df`,
// another image its shell's `stat -f` (or `df -P`). The registry keeps
// serving.
func RegistryFilesystem(ctx context.Context, e *engine.Engine, project string) (*RegistryStorage, error) {
	reg, err := registryContainer(ctx, e, project)
	if err != nil {
		return nil, err
	}
	in, err := e.Client().ContainerInspect(ctx, reg.ID, client.ContainerInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("stack: inspect the registry container %s: %w", reg.Container, err)
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
	u, err := e.Df(ctx, reg.ID, dfCmd, root)
	if err != nil {
		return nil, fmt.Errorf("stack: measure the filesystem of %s in %s: %w", root, reg.Container, err)
	}
	return &RegistryStorage{Container: reg.Container, Root: root, FSUsage: u}, nil
}
