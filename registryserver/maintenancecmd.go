package registryserver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/sirupsen/logrus"
)

// maxWriteHold bounds how long a write waits for a sweep; then it is
// answered 503 with Retry-After.
const maxWriteHold = 2 * time.Minute

// withMaintainer puts the write gate in front of the registry's handler
// and starts the maintainer: its control socket and its schedules. What
// fails here is logged; the registry serves anyway (online GC then
// answers unavailable and esbtui falls back to stop–sweep–start).
func withMaintainer(ctx context.Context, cfg *configuration.Configuration, next http.Handler, s Schedules, log *logrus.Logger) http.Handler {
	gate := newWriteGate(maxWriteHold)
	m := newMaintainer(ctx, cfg, gate)
	if m.unavailable != "" {
		log.Warnf("esbtui: online gc and schedules off: %s", m.unavailable)
	}
	if err := m.serveControl(ctx, ControlSocket); err != nil {
		log.Errorf("esbtui: %v", err)
	}
	if m.unavailable == "" {
		if err := m.startSchedules(ctx, s, log); err != nil {
			log.Errorf("esbtui: %v", err)
		}
	}
	go func() {
		<-ctx.Done()
		m.Close()
	}()
	return gate.Handler(next)
}

// runMaintenanceCommand answers the subcommands that talk to the
// maintainer of the registry running in this container:
//
//	gc-online [--dry-run]   collect now, print the result as JSON
//	maintenance             print the schedules and the recent runs as JSON
func runMaintenanceCommand(ctx context.Context, args []string, out io.Writer) (bool, error) {
	switch args[0] {
	case "gc-online":
		path := "/gc"
		switch {
		case len(args) == 2 && args[1] == "--dry-run":
			path += "?dry_run=1"
		case len(args) != 1:
			return true, errors.New("gc-online [--dry-run]")
		}
		return true, callControl(ctx, ControlSocket, http.MethodPost, path, out)
	case "maintenance":
		if len(args) != 1 {
			return true, errors.New("maintenance takes no arguments")
		}
		return true, callControl(ctx, ControlSocket, http.MethodGet, "/maintenance", out)
	}
	return false, nil
}
