package stack

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// LogOptions tune Logs.
type LogOptions struct {
	Follow bool
	// Tail is how many lines from the end to show first ("all" or a number);
	// empty means all.
	Tail       string
	Timestamps bool
}

// Logs copies the logs of a service's container to w (stdout and stderr
// interleaved as the engine stored them); with Follow it keeps streaming
// until ctx is done, which is not an error.
func (e *Engine) Logs(ctx context.Context, project, service string, o LogOptions, w io.Writer) error {
	services, err := e.Ps(ctx, project)
	if err != nil {
		return err
	}
	var names []string
	for _, s := range services {
		names = append(names, s.Name)
		if s.Name != service {
			continue
		}
		tail := o.Tail
		if tail == "" {
			tail = "all"
		}
		rc, err := e.api.ContainerLogs(ctx, s.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: o.Follow, Tail: tail, Timestamps: o.Timestamps})
		if err != nil {
			return fmt.Errorf("stack: logs of %s (container %s): %w", service, s.Container, err)
		}
		defer rc.Close()
		if err := demux(w, w, rc); err != nil && ctx.Err() == nil {
			return fmt.Errorf("stack: logs of %s (container %s): %w", service, s.Container, err)
		}
		return nil
	}
	if len(names) == 0 {
		return fmt.Errorf("stack: no containers in project %s: run `esbtui up` first", project)
	}
	return fmt.Errorf("stack: project %s has no service %q (services: %s)", project, service, strings.Join(names, ", "))
}

// demux splits the engine's multiplexed log stream (containers without a
// TTY) into stdout and stderr.
func demux(stdout, stderr io.Writer, r io.Reader) error {
	_, err := stdcopy.StdCopy(stdout, stderr, r)
	return err
}
