package stack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/compose/v5/pkg/api"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/stack/engine"
)

// UpOptions tune Up.
type UpOptions struct {
	// WaitTimeout bounds the wait for every service to be healthy
	// (default 2 minutes).
	WaitTimeout time.Duration
}

// Up creates and starts the project (like `docker compose up -d --wait
// --remove-orphans`), reporting each resource under step "compose", then
// checks every service is running and healthy, reporting each under step
// "health". A service that never becomes healthy is an *UnhealthyError
// naming it with its last health output; a cancelled ctx is an
// *InterruptedError (what was created stays for `down` to remove).
func Up(ctx context.Context, e *engine.Engine, p *Project, o UpOptions, sink progress.Sink) ([]engine.Service, error) {
	rep := progress.Reporter{Op: "up", Sink: sink}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 2 * time.Minute
	}
	svc, err := composeService(e, rep, "compose")
	if err != nil {
		return nil, err
	}
	name := p.Name()
	err = svc.Up(ctx, p.p, api.UpOptions{
		Create: api.CreateOptions{
			RemoveOrphans:        true,
			Recreate:             api.RecreateDiverged,
			RecreateDependencies: api.RecreateDiverged,
		},
		Start: api.StartOptions{Project: p.p, Wait: true, WaitTimeout: o.WaitTimeout},
	})
	if ctx.Err() != nil {
		// Compose may return nil or its own error when interrupted.
		return nil, &InterruptedError{Op: "up", Project: name, Err: context.Cause(ctx)}
	}
	if err != nil {
		// Name the service that failed and what its healthcheck said.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if ue := unhealthy(dctx, e, name, err); ue != nil {
			return nil, ue
		}
		return nil, fmt.Errorf("stack: compose up of project %s: %w", name, err)
	}
	services, err := e.Ps(ctx, name)
	if err != nil {
		return nil, err
	}
	var bad error
	for _, s := range services {
		item := s.Name
		switch {
		case s.OK() && s.Health == "healthy":
			rep.Emit(progress.Event{Step: "health", Item: item, Status: progress.Done, Message: "healthy"})
		case s.OK():
			rep.Emit(progress.Event{Step: "health", Item: item, Status: progress.Done, Message: "running (no healthcheck)"})
		default:
			ue := describeUnhealthy(ctx, e, s, nil)
			rep.Emit(progress.Event{Step: "health", Item: item, Status: progress.Failed, Message: s.State + " " + s.Health, Err: ue.Error()})
			if bad == nil {
				bad = ue
			}
		}
	}
	return services, bad
}

// unhealthy finds the first service of the project that is not running or
// not healthy after a failed Up and describes it.
func unhealthy(ctx context.Context, e *engine.Engine, project string, cause error) *UnhealthyError {
	services, err := e.Ps(ctx, project)
	if err != nil {
		return nil
	}
	for _, s := range services {
		if s.State == "running" && s.Health == "unhealthy" {
			return describeUnhealthy(ctx, e, s, cause)
		}
	}
	for _, s := range services {
		if !s.OK() {
			return describeUnhealthy(ctx, e, s, cause)
		}
	}
	return nil
}

func describeUnhealthy(ctx context.Context, e *engine.Engine, s engine.Service, cause error) *UnhealthyError {
	ue := &UnhealthyError{Service: s.Name, Container: s.Container, State: s.State, Health: s.Health, ExitCode: s.ExitCode, Output: s.HealthOutput, Err: cause}
	if ue.Err == nil {
		ue.Err = errors.New("not healthy")
	}
	if s.State != "running" || ue.Output == "" {
		ue.Output = e.LastLogLines(ctx, s.ID, 5)
	}
	return ue
}
