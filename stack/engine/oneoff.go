package engine

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// removeOneOff removes a one-off container esbtui created for a single run
// (RunOnce's probe, gc's sweep), even when ctx is done. The removal is best
// effort: its failure does not fail the operation that used the
// container, but it is logged with the container's ID and the command that
// removes it by hand, and returned.
func (e *Engine) removeOneOff(ctx context.Context, id, purpose string, o client.ContainerRemoveOptions) error {
	if _, err := e.api.ContainerRemove(context.WithoutCancel(ctx), id, o); err != nil {
		err = fmt.Errorf("stack: remove the %s container %s: %w (remove it by hand: `docker rm -f %s`)", purpose, id, err, id)
		e.logger().Warn("a one-off container was left behind", "container", id, "purpose", purpose, "err", err)
		return err
	}
	return nil
}
