package stack

import (
	"path"
	"sort"
	"strings"
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

// SetNeverPull sets a service's pull_policy to "never": its image was
// loaded into the engine and is published nowhere, so compose must not
// try a registry for it when it is missing (it fails with "No such image").
func (p *Project) SetNeverPull(name string) bool {
	s, ok := p.p.Services[name]
	if !ok {
		return false
	}
	s.PullPolicy = types.PullPolicyNever
	p.p.Services[name] = s
	return true
}

// UseFileVolumes replaces a service's bind mounts at or under each target
// directory with a read-only mount of a named volume (target → volume
// name), declared in the project as external (esbtui creates and fills it
// through the engine API, see engine.FillVolumes). It is how the registry's
// certificate, key and htpasswd reach an engine that does not share
// esbtui's filesystem: the same in-container paths, no host path. It
// reports whether the service exists.
func (p *Project) UseFileVolumes(name string, targets map[string]string) bool {
	s, ok := p.p.Services[name]
	if !ok {
		return false
	}
	var vols []types.ServiceVolumeConfig
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && coveredBy(v.Target, targets) {
			continue
		}
		vols = append(vols, v)
	}
	keys := make([]string, 0, len(targets))
	for target := range targets {
		keys = append(keys, target)
	}
	sort.Strings(keys)
	if p.p.Volumes == nil {
		p.p.Volumes = types.Volumes{}
	}
	for _, target := range keys {
		vol := targets[target]
		vols = append(vols, types.ServiceVolumeConfig{Type: types.VolumeTypeVolume, Source: vol, Target: target, ReadOnly: true})
		p.p.Volumes[vol] = types.VolumeConfig{Name: vol, External: true}
	}
	s.Volumes = vols
	p.p.Services[name] = s
	return true
}

func coveredBy(target string, dirs map[string]string) bool {
	t := path.Clean(target)
	for d := range dirs {
		if d = path.Clean(d); t == d || strings.HasPrefix(t, d+"/") {
			return true
		}
	}
	return false
}
