package engine

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// EnginePlatform is what the engine runs containers as: Info's OSType
// ("linux") and Architecture ("x86_64", "aarch64").
func (e *Engine) EnginePlatform(ctx context.Context) (osType, arch string, err error) {
	res, err := e.api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return "", "", fmt.Errorf("stack: ask the engine at %s for its platform: %w", e.Host, err)
	}
	return res.Info.OSType, res.Info.Architecture, nil
}
