package flows

import (
	"context"

	"github.com/esbtui/esbtui/internal/termtext"
	"github.com/esbtui/esbtui/trust"
)

// MirrorsSection is what the pull-through caches save and who uses them:
// per upstream hits, misses, bytes from cache and upstream, last error; the
// engines set to pull through them; Docker Hub's remaining pull quota.
// `status`, `mirror ls` and the dashboard show it.
type MirrorsSection struct {
	Mirrors []MirrorStatus `json:"mirrors"`
	// Engines: each engine's configuration (State "trusted" = uses the
	// mirrors, "missing" = not configured, "n/a" = not installed).
	Engines []trust.Status `json:"engines"`
	// DockerHubQuota is nil when no mirror of docker.io is configured.
	DockerHubQuota *HubQuota `json:"docker_hub_quota,omitempty"`
	// Error says why part of the section could not be read.
	Error string `json:"error,omitempty"`
}

// Mirrors gathers the section; nil when esb.yaml has no mirrors.
func (e *Env) Mirrors(ctx context.Context) *MirrorsSection {
	if len(e.Cfg.Mirrors) == 0 {
		return nil
	}
	s := &MirrorsSection{Mirrors: []MirrorStatus{}, Engines: []trust.Status{}}
	ms, err := e.MirrorStatuses(ctx)
	if ms != nil {
		s.Mirrors = ms
	}
	if err != nil {
		s.Error = termtext.Clean(err.Error())
	}
	eng, err := e.EngineMirrorStatus(ctx)
	if eng != nil {
		s.Engines = eng
	}
	if err != nil && s.Error == "" {
		s.Error = termtext.Clean(err.Error())
	}
	s.DockerHubQuota = e.HubQuota(ctx)
	return s
}
