package stack

import (
	"context"
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"
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

// ServiceImage is the image a service of the project runs ("" if the
// service is not there).
func (p *Project) ServiceImage(name string) string {
	s, err := p.p.GetService(name)
	if err != nil {
		return ""
	}
	return s.Image
}

// SetHealthcheckTest replaces the exec-form healthcheck test of a service,
// keeping its interval, timeout and retries (esbtui's registry image checks
// itself with esbtui, not wget). It reports whether the service exists.
func (p *Project) SetHealthcheckTest(name string, test []string) bool {
	s, ok := p.p.Services[name]
	if !ok {
		return false
	}
	if s.HealthCheck == nil {
		s.HealthCheck = &types.HealthCheckConfig{}
	}
	hc := *s.HealthCheck
	hc.Test = append(types.HealthCheckTest(nil), test...)
	hc.Disable = false
	s.HealthCheck = &hc
	p.p.Services[name] = s
	return true
}
