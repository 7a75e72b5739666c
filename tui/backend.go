package tui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/esbtui/esbtui/internal/env"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
)

// Backend is everything the dashboard asks of internal/env. Every method may
// block: the model only calls them from tea.Cmds. Long operations report to
// sink and stop when ctx is cancelled; the string they return is a one-line
// result for the Jobs and Log panes (a digest, "3 services up").
type Backend interface {
	Snapshot(ctx context.Context) State

	InitCerts(ctx context.Context, sink progress.Sink) (string, error)
	// TrustPlan says what InstallTrust would change (files, commands, sudo),
	// so the user can read it before saying yes.
	TrustPlan(ctx context.Context) ([]string, error)
	InstallTrust(ctx context.Context, sink progress.Sink) (string, error)

	Up(ctx context.Context, sink progress.Sink) (string, error)
	Down(ctx context.Context, sink progress.Sink) (string, error)
	// Build builds, tags and pushes the named functions (all when empty).
	Build(ctx context.Context, names []string, sink progress.Sink) (string, error)
	// Push pushes the named functions' existing images (all when empty).
	Push(ctx context.Context, names []string, sink progress.Sink) (string, error)

	Catalog(ctx context.Context) ([]string, error)
	Tags(ctx context.Context, repo string) ([]string, error)
	Inspect(ctx context.Context, ref string) (Image, error)
	Delete(ctx context.Context, ref string, sink progress.Sink) (string, error)
	GC(ctx context.Context, sink progress.Sink) (string, error)

	// Logs streams the service's log lines as Info events until ctx ends.
	Logs(ctx context.Context, service string, sink progress.Sink) error
	// Serve runs the in-process registry until ctx ends.
	Serve(ctx context.Context, sink progress.Sink) error
	// Watch emits one event per engine change (container start, stop,
	// health) until ctx ends; the dashboard refreshes on each.
	Watch(ctx context.Context, sink progress.Sink) error

	// Note records a dashboard log line in esbtui's log file.
	Note(e progress.Event)
}

// ErrNotAvailable is returned for flows this build of esbtui does not have.
var ErrNotAvailable = errors.New("not available yet in this build of esbtui")

func notYet(op string) error {
	return fmt.Errorf("%s: %w (use the CLI command when it exists, or update esbtui)", op, ErrNotAvailable)
}

// EnvBackend adapts *env.Env to Backend. It is thin on purpose: every flow
// lives in internal/env, shared with the CLI.
type EnvBackend struct {
	Env *env.Env
	// CertOptions are used by InitCerts (names, key type).
	CertOptions pki.Options
}

var _ Backend = (*EnvBackend)(nil)

// NewEnvBackend returns the Backend the binary uses.
func NewEnvBackend(e *env.Env) *EnvBackend { return &EnvBackend{Env: e} }

// Snapshot converts env's snapshot into the dashboard's State.
func (b *EnvBackend) Snapshot(ctx context.Context) State {
	s := b.Env.Snapshot(ctx)
	return State{
		Home:     s.Home,
		Certs:    s.Certs,
		Trust:    trustState(s.Trust),
		Stack:    stackState(s.Stack),
		Registry: registryState(s.Registry, b.Env.Cfg.Registry),
	}
}

// InitCerts runs the same flow as `esbtui init` (certificates part).
func (b *EnvBackend) InitCerts(ctx context.Context, sink progress.Sink) (string, error) {
	res, err := b.Env.InitCerts(ctx, b.CertOptions, sink)
	if err != nil {
		return "", err
	}
	switch {
	case res == nil:
		return "certificates checked", nil
	case res.CACreated && res.LeafIssued:
		return "created the CA and the server certificate", nil
	case res.LeafIssued:
		return "issued a new server certificate", nil
	case res.CACreated:
		return "created the CA", nil
	}
	return "nothing to do: CA and server certificate are valid", nil
}

// TrustPlan is not wired yet: trust/ has not landed.
func (b *EnvBackend) TrustPlan(ctx context.Context) ([]string, error) {
	return nil, notYet("trust plan")
}

// InstallTrust is not wired yet.
func (b *EnvBackend) InstallTrust(ctx context.Context, sink progress.Sink) (string, error) {
	return "", notYet("install trust")
}

// Up is not wired yet.
func (b *EnvBackend) Up(ctx context.Context, sink progress.Sink) (string, error) {
	return "", notYet("stack up")
}

// Down is not wired yet.
func (b *EnvBackend) Down(ctx context.Context, sink progress.Sink) (string, error) {
	return "", notYet("stack down")
}

// Build is not wired yet.
func (b *EnvBackend) Build(ctx context.Context, names []string, sink progress.Sink) (string, error) {
	return "", notYet("build")
}

// Push is not wired yet.
func (b *EnvBackend) Push(ctx context.Context, names []string, sink progress.Sink) (string, error) {
	return "", notYet("push")
}

// Catalog is not wired yet.
func (b *EnvBackend) Catalog(ctx context.Context) ([]string, error) {
	return nil, notYet("registry catalog")
}

// Tags is not wired yet.
func (b *EnvBackend) Tags(ctx context.Context, repo string) ([]string, error) {
	return nil, notYet("registry tags " + repo)
}

// Inspect is not wired yet.
func (b *EnvBackend) Inspect(ctx context.Context, ref string) (Image, error) {
	return Image{}, notYet("inspect " + ref)
}

// Delete is not wired yet.
func (b *EnvBackend) Delete(ctx context.Context, ref string, sink progress.Sink) (string, error) {
	return "", notYet("delete " + ref)
}

// GC is not wired yet.
func (b *EnvBackend) GC(ctx context.Context, sink progress.Sink) (string, error) {
	return "", notYet("registry gc")
}

// Logs is not wired yet.
func (b *EnvBackend) Logs(ctx context.Context, service string, sink progress.Sink) error {
	return notYet("logs of " + service)
}

// Serve is not wired yet.
func (b *EnvBackend) Serve(ctx context.Context, sink progress.Sink) error {
	return notYet("serve")
}

// Watch is not wired yet: the dashboard then refreshes on `r` and after jobs.
func (b *EnvBackend) Watch(ctx context.Context, sink progress.Sink) error {
	return notYet("watch the engine")
}

// Note writes the line to esbtui.log.
func (b *EnvBackend) Note(e progress.Event) {
	lvl := slog.LevelInfo
	if e.Status == progress.Failed {
		lvl = slog.LevelError
	}
	b.Env.Log.Log(context.Background(), lvl, "tui", "op", e.Op, "step", e.Step, "item", e.Item, "status", string(e.Status), "message", e.Message, "error", e.Err)
}

// The section converters below map env's types; they return nil while env's
// sections are stubs so the panes say "not available" rather than "healthy".
func trustState(s *env.TrustStatus) *TrustState                       { return nil }
func stackState(s *env.StackStatus) *StackState                       { return nil }
func registryState(s *env.RegistryStatus, addr string) *RegistryState { return nil }
