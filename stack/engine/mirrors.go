package engine

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// RegistryMirrors are the Docker Hub mirrors the engine uses now (Info's
// RegistryConfig.Mirrors): what a reload of daemon.json took effect as.
func (e *Engine) RegistryMirrors(ctx context.Context) ([]string, error) {
	res, err := e.api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, fmt.Errorf("engine: ask the engine at %s for its registry mirrors: %w", e.Host, err)
	}
	if res.Info.RegistryConfig == nil {
		return nil, nil
	}
	return res.Info.RegistryConfig.Mirrors, nil
}
