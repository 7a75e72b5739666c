package flows

import (
	"context"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
)

type progressSink = progress.Sink

// Snapshot is one picture of the whole chain; `esbtui status --json` prints it
// and the TUI renders it. Each section is gathered by its own file
// (trust.go, stack.go, registry.go); a nil section was not gathered.
type Snapshot struct {
	Home     string          `json:"home"`
	Certs    pki.Report      `json:"certs"`
	Trust    *TrustStatus    `json:"trust,omitempty"`
	Stack    *StackStatus    `json:"stack,omitempty"`
	Registry *RegistryStatus `json:"registry,omitempty"`
	// Alerts are the registry's alerts (alerts.go): storage, push and
	// pull success, API p95, each ok, warn, fail or unknown.
	Alerts []Alert `json:"alerts"`
	// Maintenance: the registry's own gc and retention schedules.
	Maintenance *MaintenanceStatus `json:"maintenance,omitempty"`
	// Mirrors is the pull-through caches (nil: esb.yaml has none); it does
	// not count towards OK.
	Mirrors *MirrorsSection `json:"mirrors,omitempty"`
}

// OK reports whether every gathered section is healthy.
func (s Snapshot) OK() bool {
	return s.Certs.OK() && s.Trust.ok() && s.Stack.ok() && s.Registry.ok() && WorstAlert(s.Alerts) != AlertFail
}

// Snapshot gathers the state of every section. It never changes anything.
func (e *Env) Snapshot(ctx context.Context) Snapshot {
	s := Snapshot{
		Home:        e.Cfg.Home,
		Certs:       e.Certs.Inspect(e.Now()),
		Trust:       e.trustStatus(ctx),
		Stack:       e.stackStatus(ctx),
		Registry:    e.registryStatus(ctx),
		Maintenance: e.maintenanceStatus(ctx),
		Mirrors:     e.Mirrors(ctx),
	}
	s.Alerts = EvaluateAlerts(e.Cfg.Alerts, e.alertInputs(ctx, s.Stack, s.Registry))
	return s
}
