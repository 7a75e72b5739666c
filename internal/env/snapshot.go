package env

import (
	"context"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
)

type progressSink = progress.Sink

// Snapshot is one picture of the whole chain; `esbtui status --json` prints it
// and the TUI renders it. Later sections (trust, stack, registry) are added by
// their flows.
type Snapshot struct {
	Home  string     `json:"home"`
	Certs pki.Report `json:"certs"`
}

// OK reports whether every section is healthy.
func (s Snapshot) OK() bool {
	return s.Certs.OK()
}

// Snapshot gathers the state of every section. It never changes anything.
func (e *Env) Snapshot(ctx context.Context) Snapshot {
	return Snapshot{
		Home:  e.Cfg.Home,
		Certs: e.Certs.Inspect(e.Now()),
	}
}
