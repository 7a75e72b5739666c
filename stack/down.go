package stack

import (
	"context"
	"fmt"

	"github.com/docker/compose/v5/pkg/api"

	"github.com/esbtui/esbtui/internal/progress"
)

// Down stops and removes the project's containers and networks (like
// `docker compose down --remove-orphans`); with volumes it also removes its
// named volumes (the registry's data). p may be nil when the compose files no
// longer load: containers are then found by their project label.
func (e *Engine) Down(ctx context.Context, project string, p *Project, volumes bool, sink progress.Sink) error {
	rep := progress.Reporter{Op: "down", Sink: sink}
	svc, err := e.compose(rep, "compose")
	if err != nil {
		return err
	}
	o := api.DownOptions{RemoveOrphans: true, Volumes: volumes}
	if p != nil {
		o.Project = p.p
	}
	if err := svc.Down(ctx, project, o); err != nil {
		if ctx.Err() != nil {
			return &InterruptedError{Op: "down", Project: project, Err: ctx.Err()}
		}
		return fmt.Errorf("stack: compose down of project %s: %w", project, err)
	}
	return nil
}
