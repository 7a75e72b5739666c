package tui

import (
	"context"
	"errors"
	"testing"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/env"
	"github.com/esbtui/esbtui/internal/progress"
)

// The adapter over a real Env and a real certificate store in a temp dir.
func TestEnvBackendCerts(t *testing.T) {
	e := env.New(config.FromHome(t.TempDir()))
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
	if _, err := b.Up(ctx, progress.Discard); !errors.Is(err, ErrNotAvailable) {
		t.Errorf("Up: %v, want ErrNotAvailable until env has it", err)
	}
}
