package tui

import (
	"context"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// Backend is everything the dashboard asks of internal/flows. Every method may
// block: the model only calls them from tea.Cmds. Long operations report to
// sink and stop when ctx is cancelled; the string they return is a one-line
// result for the Jobs and Log panes (a digest, "3 services up").
type Backend interface {
	Snapshot(ctx context.Context) State

	InitCerts(ctx context.Context, sink progress.Sink) (string, error)
	// TrustPlan says what InstallTrust would change (files, commands, sudo),
	// so the user can read it before saying yes.
	TrustPlan(ctx context.Context) (TrustPlan, error)
	InstallTrust(ctx context.Context, sink progress.Sink) (string, error)

	Up(ctx context.Context, sink progress.Sink) (string, error)
	Down(ctx context.Context, sink progress.Sink) (string, error)
	// Build builds, tags and pushes the named functions (all when empty).
	Build(ctx context.Context, names []string, sink progress.Sink) (string, error)
	// Push pushes the named functions' existing images (all when empty).
	Push(ctx context.Context, names []string, sink progress.Sink) (string, error)

	Catalog(ctx context.Context) ([]string, error)
	Tags(ctx context.Context, repo string) ([]TagRow, error)
	Inspect(ctx context.Context, ref string) (Image, error)
	Delete(ctx context.Context, ref string, sink progress.Sink) (string, error)
	GC(ctx context.Context, sink progress.Sink) (string, error)

	// Logs streams the service's log lines as Info events until ctx ends.
	Logs(ctx context.Context, service string, sink progress.Sink) error
	// Serve runs the in-process registry until ctx ends.
	Serve(ctx context.Context, sink progress.Sink) error
	// Watch calls update with the stack's state now and again on every
	// engine change (container start, stop, health) until ctx ends; it does
	// not poll. It returns at once with an error when it cannot watch (no
	// engine): the dashboard then refreshes on `r` and after jobs.
	Watch(ctx context.Context, update func(*StackState)) error

	// Doctor checks every link of the chain in order, as `esbtui doctor`
	// does (the probe image included); it stops early when ctx ends. It
	// reports each link to sink as it goes: a Start (Step = the link),
	// then one Done, Warning, Failed or Skipped with its result.
	Doctor(ctx context.Context, sink progress.Sink) DoctorReport
	// ScrapeMetrics reads the registry's Prometheus counters once; the
	// dashboard turns consecutive samples into live rates.
	ScrapeMetrics(ctx context.Context) (*flows.MetricsSample, error)
	// RegistryEvents listens for the registry's notifications (pushes,
	// pulls, deletes by any client) until ctx ends, then closes the
	// channel. It fails at once when it cannot listen (another listener
	// holds the port, no engine to find the host gateway).
	RegistryEvents(ctx context.Context) (*flows.EventsListener, error)

	// Note records a dashboard log line in esbtui's log file.
	Note(e progress.Event)
}

// DoctorReport is `esbtui doctor`'s ordered list of checks.
type DoctorReport struct {
	Checks []DoctorCheck
}

// Verdicts of a doctor check (the same words as `esbtui doctor --json`).
const (
	CheckOK      = "ok"
	CheckWarn    = "warn"
	CheckFail    = "fail"
	CheckSkipped = "skipped"
)

// DoctorCheck is one link: its verdict, one line why, one line fix.
type DoctorCheck struct {
	Name   string
	Status string // CheckOK, CheckWarn, CheckFail or CheckSkipped
	Why    string
	Fix    string
}

// FirstFailure is the first failed check, the broken link to fix first.
func (r DoctorReport) FirstFailure() (DoctorCheck, bool) {
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			return c, true
		}
	}
	return DoctorCheck{}, false
}

// TrustPlan is what installing trust would do, in words, store by store.
type TrustPlan struct {
	Lines []string
	// Empty: every applicable store already trusts the CA.
	Empty bool
	// Sudo, when set, is the command the dashboard runs in the foreground
	// (the terminal handed over) before installing, so that sudo can ask
	// for a password: the install itself then runs without a terminal.
	Sudo []string
}
