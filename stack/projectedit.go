package stack

import (
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// ServiceImage is the image a service of the project runs ("" if the
// service is not there).
func (p *Project) ServiceImage(name string) string {
	s, err := p.p.GetService(name)
	if err != nil {
		return ""
	}
	return s.Image
}

// SetHealthcheckTest replaces the exec-form healthcheck test of a service
// (esbtui's registry image checks itself with esbtui, not wget) and, when
// interval > 0, probes that often with retries scaled so the service is
// given as long as before to become healthy. It reports whether the
// service exists.
func (p *Project) SetHealthcheckTest(name string, test []string, interval time.Duration) bool {
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
	if interval > 0 {
		if hc.Interval != nil && hc.Retries != nil && *hc.Interval > 0 {
			budget := time.Duration(*hc.Interval) * time.Duration(*hc.Retries)
			retries := uint64(max(budget/interval, 1))
			hc.Retries = &retries
		}
		d := types.Duration(interval)
		hc.Interval = &d
	}
	s.HealthCheck = &hc
	p.p.Services[name] = s
	return true
}
