package flows

import (
	"context"
	"io"

	"github.com/esbtui/esbtui/stack/engine"
)

// Logs writes a service's engine logs to w; follow streams until ctx ends.
func (e *Env) Logs(ctx context.Context, service string, follow bool, w io.Writer) error {
	eng, err := e.Engine(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	return eng.Logs(ctx, e.Cfg.Project, service, engine.LogOptions{Follow: follow}, w)
}
