package tui

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sync"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// EnvBackend adapts *flows.Env to Backend. It is thin on purpose: every flow
// lives in internal/flows, shared with the CLI.
type EnvBackend struct {
	Env *flows.Env
	// CertOptions are used by InitCerts (names, key type).
	CertOptions flows.CertOptions
	// Stack are the compose files up, down and build use (default: the
	// embedded project plus $ESB_COMPOSE_FILE).
	Stack flows.StackOptions

	mu      sync.Mutex
	serving bool   // the in-process registry is up (Serve)
	engine  string // the engine's description from the last snapshot
	// shown is the trust plan TrustPlan last showed: InstallTrust runs
	// exactly it, never a plan the user did not see.
	shown *flows.TrustPlan
}

// env is the Env flows run with; its registry client follows rootCA.crt
// (flows.Env.Registry makes a new one when the CA file changes).
func (b *EnvBackend) env() *flows.Env { return b.Env }

var _ Backend = (*EnvBackend)(nil)

// NewEnvBackend returns the Backend the binary uses.
func NewEnvBackend(e *flows.Env) *EnvBackend { return &EnvBackend{Env: e} }

// Snapshot converts env's snapshot into the dashboard's State.
func (b *EnvBackend) Snapshot(ctx context.Context) State {
	s := b.env().Snapshot(ctx)
	st := State{
		Home:     s.Home,
		Certs:    s.Certs,
		Trust:    trustState(s.Trust),
		Stack:    stackState(s.Stack),
		Registry: b.registry(ctx, s.Registry),
	}
	if st.Registry != nil {
		st.Registry.Alerts, st.Registry.AlertThresholds = s.Alerts, b.env().Cfg.Alerts
		st.Registry.Mirrors = mirrorsState(s.Mirrors)
	}
	if fns, err := b.functions(ctx); err == nil {
		st.Functions = fns
	}
	st.RegistryRuns = registryRuns(s.Maintenance)
	b.mu.Lock()
	defer b.mu.Unlock()
	if st.Stack != nil {
		st.Stack.Serving = b.serving
		if st.Stack.Engine != "" {
			b.engine = st.Stack.Engine
		}
	}
	return st
}

// InitCerts runs the same flow as `esbtui init` (certificates part).
func (b *EnvBackend) InitCerts(ctx context.Context, sink progress.Sink) (string, error) {
	res, err := b.env().InitCerts(ctx, b.CertOptions, sink)
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

// TrustPlan plans `esbtui trust install` for every applicable store and
// words it the way the CLI prints it.
func (b *EnvBackend) TrustPlan(ctx context.Context) (TrustPlan, error) {
	p, err := b.env().PlanTrust(ctx, flows.TrustInstall, nil)
	if err != nil {
		return TrustPlan{}, fmt.Errorf("trust plan: %w", err)
	}
	b.mu.Lock()
	b.shown = p
	b.mu.Unlock()
	tp := TrustPlan{Empty: p.Empty()}
	var sudo []string
	if p.NeedsRoot() && len(p.Sudo) > 0 {
		sudo = p.Sudo
		tp.Sudo = []string{p.Sudo[0], "-v"}
	}
	for _, it := range p.Items {
		switch {
		case it.Skip != "":
			tp.Lines = append(tp.Lines, fmt.Sprintf("- %s: not applicable: %s", it.Store, it.Skip))
		case it.Error != "":
			tp.Lines = append(tp.Lines, fmt.Sprintf("✗ %s: cannot plan: %s", it.Store, it.Error))
		case it.Plan.Empty():
			tp.Lines = append(tp.Lines, fmt.Sprintf("= %s: nothing to do (%s)", it.Store, it.Status.State))
		default:
			tp.Lines = append(tp.Lines, fmt.Sprintf("→ %s (%s):", it.Store, it.Status.State))
			for _, l := range it.Plan.Lines(sudo) {
				tp.Lines = append(tp.Lines, "    "+l)
			}
			for _, n := range it.Plan.Notes {
				tp.Lines = append(tp.Lines, "    ! "+n)
			}
		}
	}
	return tp, nil
}

// InstallTrust runs `esbtui trust install` (after the user said yes to the
// plan): every applicable store, going on past a failing one.
func (b *EnvBackend) InstallTrust(ctx context.Context, sink progress.Sink) (string, error) {
	b.mu.Lock()
	shown := b.shown
	b.shown = nil
	b.mu.Unlock()
	if shown == nil {
		return "", fmt.Errorf("trust install: no plan was shown: press the trust key again to see it")
	}
	results, err := b.env().ExecuteTrust(ctx, shown, sink)
	if err != nil {
		return "", err
	}
	done, already := 0, 0
	for _, r := range results {
		switch r.Outcome {
		case flows.TrustDone:
			done++
		case flows.TrustNothingToDo:
			already++
		}
	}
	return fmt.Sprintf("%s updated, %s already trusted the CA", plural(done, "store", "stores"), plural(already, "store", "stores")), nil
}

// Up runs `esbtui up`: compose up, wait for health, verify HTTPS.
func (b *EnvBackend) Up(ctx context.Context, sink progress.Sink) (string, error) {
	services, err := b.env().Up(ctx, b.Stack, sink)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s healthy, registry on https://%s", plural(len(services), "service", "services"), b.env().RegistryAddr()), nil
}

// Down runs `esbtui down` without --volumes: the registry's data is kept.
func (b *EnvBackend) Down(ctx context.Context, sink progress.Sink) (string, error) {
	if err := b.env().Down(ctx, b.Stack, false, sink); err != nil {
		return "", err
	}
	return "stack " + b.env().Cfg.Project + " down (registry data kept)", nil
}

// Logs follows the service's engine logs, one Info event per line.
func (b *EnvBackend) Logs(ctx context.Context, service string, sink progress.Sink) error {
	w := &lineWriter{emit: func(line string) {
		sink.Emit(progress.Event{Op: "logs", Status: progress.Info, Message: line})
	}}
	err := b.env().Logs(ctx, service, true, w)
	w.Flush()
	if err != nil {
		return fmt.Errorf("logs of %s: %w", service, err)
	}
	return ctx.Err()
}

// Serve runs the registry in-process (`esbtui serve`) until ctx ends.
func (b *EnvBackend) Serve(ctx context.Context, sink progress.Sink) error {
	defer b.setServing(false)
	return b.env().Serve(ctx, sink, func(addr string) {
		b.setServing(true)
		sink.Emit(progress.Event{Op: "serve", Step: "listen", Status: progress.Done,
			Message: fmt.Sprintf("serving https://%s (data in %s)", b.env().RegistryAddr(), b.env().Cfg.RegistryDataDir())})
	})
}

func (b *EnvBackend) setServing(on bool) {
	b.mu.Lock()
	b.serving = on
	b.mu.Unlock()
}

// Watch follows the engine's events for the project (flows.WatchStatus):
// it survives the engine going away and coming back (reconnecting with
// backoff meanwhile); identical consecutive states are dropped, so a
// missing engine costs no refreshes.
func (b *EnvBackend) Watch(ctx context.Context, update func(*StackState)) error {
	var last *StackState
	for u := range b.env().WatchStatus(ctx) {
		st := &StackState{Project: u.Project, Services: convServices(u.Services)}
		b.mu.Lock()
		st.Engine, st.Serving = b.engine, b.serving
		b.mu.Unlock()
		if u.State == flows.StackUnavailable {
			st.Engine, st.EngineErr = "", u.Error
		}
		if last != nil && reflect.DeepEqual(st, last) {
			continue
		}
		last = st
		update(st)
	}
	return ctx.Err()
}

// Note writes the line to esbtui.log.
func (b *EnvBackend) Note(e progress.Event) {
	lvl := slog.LevelInfo
	if e.Status == progress.Failed {
		lvl = slog.LevelError
	}
	b.env().Log.Log(context.Background(), lvl, "tui", "op", e.Op, "step", e.Step, "item", e.Item, "status", string(e.Status), "message", e.Message, "error", e.Err)
}
