package flows

import (
	"context"
	"time"

	"github.com/esbtui/esbtui/stack/engine"
)

// StackStatus is the stack section of a Snapshot.
type StackStatus struct {
	Project  string           `json:"project"`
	Files    []string         `json:"compose_files,omitempty"`
	Engine   *EngineInfo      `json:"engine,omitempty"`
	State    string           `json:"state"`
	Services []engine.Service `json:"services,omitempty"`
	// RegistryImage is the image the registry runs and why.
	RegistryImage *RegistryImage `json:"registry_image,omitempty"`
	Error         string         `json:"error,omitempty"`
}

// EngineInfo names the engine the stack runs on.
type EngineInfo struct {
	Host       string `json:"host"`
	APIVersion string `json:"api_version"`
}

// ok: a stack that is down is a state, not a failure; no engine, or a
// service stopped or unhealthy, is.
func (s *StackStatus) ok() bool {
	return s == nil || (s.Error == "" && s.State != StackDegraded && s.State != StackUnavailable)
}

func (e *Env) stackStatus(ctx context.Context) *StackStatus {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st := &StackStatus{Project: e.Cfg.Project, Files: e.Cfg.ComposeFiles}
	eng, err := e.Engine(ctx)
	if err != nil {
		st.State, st.Error = StackUnavailable, err.Error()
		return st
	}
	defer eng.Close()
	st.Engine = &EngineInfo{Host: eng.Host, APIVersion: eng.APIVersion}
	services, err := eng.Ps(ctx, e.Cfg.Project)
	if err != nil {
		st.State, st.Error = StackUnavailable, err.Error()
		return st
	}
	st.Services = services
	st.State = stackState(services)
	st.RegistryImage = e.runningRegistryImage(services)
	return st
}

func stackState(services []engine.Service) string {
	if len(services) == 0 {
		return StackDown
	}
	for _, s := range services {
		if !s.OK() {
			return StackDegraded
		}
	}
	return StackUp
}
