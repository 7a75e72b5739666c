package stack

import (
	"context"
	"fmt"
	"regexp"

	"github.com/docker/compose/v5/pkg/api"
	"github.com/moby/moby/client"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/stack/engine"
)

// Down stops and removes the project's containers and networks (like
// `docker compose down --remove-orphans`); with volumes it also removes its
// named volumes (the registry's data). p may be nil when the compose files no
// longer load: containers are then found by their project label.
func Down(ctx context.Context, e *engine.Engine, project string, p *Project, volumes bool, sink progress.Sink) error {
	rep := progress.Reporter{Op: "down", Sink: sink}
	svc, err := composeService(e, rep, "compose")
	if err != nil {
		return err
	}
	o := api.DownOptions{RemoveOrphans: true, Volumes: volumes}
	if p != nil {
		o.Project = p.p
	}
	anon := anonymousVolumes(ctx, e, project)
	if err := svc.Down(ctx, project, o); err != nil {
		if ctx.Err() != nil {
			return &InterruptedError{Op: "down", Project: project, Err: ctx.Err()}
		}
		return fmt.Errorf("stack: compose down of project %s: %w", project, err)
	}
	// Anonymous volumes (an image's VOLUME with nothing mounted there) are
	// throwaway: remove them even on a plain down, or each up leaks one.
	for _, v := range anon {
		if _, err := e.Client().VolumeRemove(ctx, v, client.VolumeRemoveOptions{}); err == nil {
			rep.Emit(progress.Event{Step: "compose", Item: "Volume " + v[:12], Status: progress.Done, Message: "Removed (anonymous)"})
		}
	}
	return removeLeftovers(ctx, e, project, volumes, rep)
}

// anonymousVolumes lists the unnamed volumes mounted by the project's
// containers.
func anonymousVolumes(ctx context.Context, e *engine.Engine, project string) []string {
	f := client.Filters{}.Add("label", api.ProjectLabel+"="+project)
	res, err := e.Client().ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range res.Items {
		for _, m := range c.Mounts {
			if string(m.Type) == "volume" && anonymousName.MatchString(m.Name) {
				out = append(out, m.Name)
			}
		}
	}
	return out
}

var anonymousName = regexp.MustCompile(`^[0-9a-f]{64}$`)

// removeLeftovers removes networks (and, with volumes, volumes) that still
// carry the project's label: Compose only removes those of the model it is
// given, so a network created for a -f file that is not given now (say
// "<project>_default") would stay.
func removeLeftovers(ctx context.Context, e *engine.Engine, project string, volumes bool, rep progress.Reporter) error {
	f := client.Filters{}.Add("label", api.ProjectLabel+"="+project)
	nets, err := e.Client().NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return fmt.Errorf("stack: list networks of project %s: %w", project, err)
	}
	for _, n := range nets.Items {
		if _, err := e.Client().NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
			return fmt.Errorf("stack: remove network %s of project %s: %w", n.Name, project, err)
		}
		rep.Emit(progress.Event{Step: "compose", Item: "Network " + n.Name, Status: progress.Done, Message: "Removed"})
	}
	if !volumes {
		return nil
	}
	vols, err := e.Client().VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return fmt.Errorf("stack: list volumes of project %s: %w", project, err)
	}
	for _, v := range vols.Items {
		if _, err := e.Client().VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{}); err != nil {
			return fmt.Errorf("stack: remove volume %s of project %s: %w", v.Name, project, err)
		}
		rep.Emit(progress.Event{Step: "compose", Item: "Volume " + v.Name, Status: progress.Done, Message: "Removed"})
	}
	return nil
}
