package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/compose/v5/pkg/api"
	"github.com/moby/moby/client"

	"github.com/esbtui/esbtui/internal/termtext"
)

// Service is the live state of one service container.
type Service struct {
	Name      string    `json:"name"`
	Container string    `json:"container"`
	ID        string    `json:"id"`
	Image     string    `json:"image"`
	State     string    `json:"state"`            // created, running, restarting, exited, ...
	Health    string    `json:"health,omitempty"` // starting, healthy, unhealthy; empty: no healthcheck
	Ports     []string  `json:"ports,omitempty"`  // "127.0.0.1:5000->5000/tcp"
	StartedAt time.Time `json:"started_at,omitzero"`
	ExitCode  int       `json:"exit_code,omitempty"`
	// HealthOutput is the output of the last healthcheck run, on one line
	// and cleaned of control sequences.
	HealthOutput string `json:"health_output,omitempty"`
	// TrustBundle is the SHA-256 of esbtui's CA bundle mounted into the
	// container (its esb.trust.bundle label), empty when it opted out.
	TrustBundle string `json:"trust_bundle,omitempty"`
}

// OK reports whether the service is running and not unhealthy (a service
// without a healthcheck counts as healthy once running).
func (s Service) OK() bool {
	return s.State == "running" && (s.Health == "" || s.Health == "healthy")
}

// Uptime is how long the container has been running, or 0.
func (s Service) Uptime(now time.Time) time.Duration {
	if s.State != "running" || s.StartedAt.IsZero() {
		return 0
	}
	return now.Sub(s.StartedAt).Truncate(time.Second)
}

// Ps lists the project's containers (running or not) with their state,
// health, published ports, image and start time, sorted by service name.
func (e *Engine) Ps(ctx context.Context, project string) ([]Service, error) {
	svc, err := e.Compose(nil)
	if err != nil {
		return nil, err
	}
	cs, err := svc.Ps(ctx, project, api.PsOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("stack: list containers of project %s: %w", project, err)
	}
	out := make([]Service, 0, len(cs))
	for _, c := range cs {
		s := Service{
			Name: c.Service, Container: c.Name, ID: c.ID, Image: c.Image,
			State: string(c.State), Health: string(c.Health), ExitCode: c.ExitCode,
			TrustBundle: c.Labels[TrustBundleLabel],
		}
		for _, p := range c.Publishers {
			if p.PublishedPort == 0 {
				continue // exposed but not published ("5001/tcp -> :0")
			}
			s.Ports = append(s.Ports, fmt.Sprintf("%s->%d/%s", p.HostPort(), p.TargetPort, p.Protocol))
		}
		sort.Strings(s.Ports)
		s.Ports = dedupe(s.Ports)
		// Summary.Health is empty at API 1.41 and carries no output:
		// inspect for health, its last output and the start time.
		if in, err := e.api.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{}); err == nil && in.Container.State != nil {
			st := in.Container.State
			s.State = string(st.Status)
			s.ExitCode = st.ExitCode
			if t, err := time.Parse(time.RFC3339Nano, st.StartedAt); err == nil && t.Year() > 1 {
				s.StartedAt = t
			}
			if st.Health != nil {
				s.Health = string(st.Health.Status)
				if n := len(st.Health.Log); n > 0 && st.Health.Log[n-1] != nil {
					// The check's output is the container's text: one
					// line, no control sequences.
					s.HealthOutput = strings.TrimSpace(termtext.Clean(st.Health.Log[n-1].Output))
				}
			}
		}
		if s.Health == "none" {
			s.Health = ""
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Container < out[j].Container
	})
	return out, nil
}

func dedupe(in []string) []string {
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}
