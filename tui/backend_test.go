package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// The adapter over a real Env and a real certificate store in a temp dir.
func TestEnvBackendCerts(t *testing.T) {
	e := flows.New(config.FromHome(t.TempDir()))
	t.Cleanup(func() { e.Close() })
	b := NewEnvBackend(e)
	ctx := context.Background()
	if s := b.Snapshot(ctx); s.Certs.CA.Present || s.Certs.OK() {
		t.Fatalf("fresh home reports a CA: %+v", s.Certs.CA)
	}
	var c progress.Collector
	res, err := b.InitCerts(ctx, &c)
	if err != nil {
		t.Fatal(err)
	}
	if res != "created the CA and the server certificate" || len(c.Events()) == 0 {
		t.Fatalf("init: %q, %d events", res, len(c.Events()))
	}
	s := b.Snapshot(ctx)
	if !s.Certs.OK() || s.Home != e.Cfg.Home {
		t.Fatalf("after init: %+v", s.Certs)
	}
	m := newStatic(s, 80, 24)
	if m.certs.level() != lvlOK {
		t.Errorf("certificates pane level %d after init", m.certs.level())
	}
	if res, _ := b.InitCerts(ctx, progress.Discard); res != "nothing to do: CA and server certificate are valid" {
		t.Errorf("second init: %q", res)
	}
}

// Trust through the adapter, in an ESB_TRUST_ROOT sandbox: the pane's
// states come from the real stores, the plan names real files, installing
// turns missing into trusted.
func TestEnvBackendTrust(t *testing.T) {
	cfg := config.FromHome(t.TempDir())
	cfg.TrustRoot = t.TempDir()
	e := flows.New(cfg)
	t.Cleanup(func() { e.Close() })
	b := NewEnvBackend(e)
	ctx := context.Background()
	if s := b.Snapshot(ctx); s.Trust == nil || s.Trust.Err == "" || !strings.Contains(s.Trust.Err, "esbtui init") {
		t.Fatalf("no CA yet: trust section %+v, want a problem saying to run init", s.Trust)
	}
	if _, err := b.TrustPlan(ctx); err == nil {
		t.Fatal("trust plan without a CA succeeded")
	}
	if _, err := b.InitCerts(ctx, progress.Discard); err != nil {
		t.Fatal(err)
	}
	before := b.Snapshot(ctx).Trust
	states := map[string]string{}
	for _, st := range before.Stores {
		states[st.Name] = st.State
	}
	if before.Err != "" || states["docker"] != Missing {
		t.Fatalf("before install: %+v", before)
	}
	plan, err := b.TrustPlan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Empty || !strings.Contains(strings.Join(plan.Lines, "\n"), "certs.d") {
		t.Fatalf("plan: %+v", plan)
	}
	var c progress.Collector
	res, err := b.InstallTrust(ctx, &c)
	t.Logf("install: %s (%v)", res, err)
	after := b.Snapshot(ctx).Trust
	for _, st := range after.Stores {
		if st.Name == "docker" && st.State != Trusted {
			t.Errorf("docker store after install: %+v", st)
		}
	}
	m := newStatic(State{Trust: after}, 80, 24)
	if ok, total := m.trust.counts(); total == 0 || ok != total {
		t.Errorf("trust pane after install: %s", ansi.Strip(m.trust.status(m.st)))
	}
}
