package flows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/esbtui/esbtui/stack/engine"
)

// A dockerd restart as WatchStatus sees it: the engine cannot be reached
// twice in a row (the same error), then answers; its events repeat a state
// (only the time differs), change one, break, and the state comes back.
// Every update sent must differ from the one before in more than its time.
func TestWatchStatusSendsChangesOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t0 := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	registry := func(state, health string, exit int) []engine.Service {
		return []engine.Service{{Name: "registry", Container: "esb-registry", State: state, Health: health, ExitCode: exit}}
	}
	states := []engine.State{
		{Time: t0, Services: registry("running", "healthy", 0)},
		{Time: t0.Add(time.Second), Services: registry("running", "healthy", 0)}, // a repeat
		{Time: t0.Add(2 * time.Second), Services: registry("exited", "unhealthy", 2)},
		{Time: t0.Add(3 * time.Second), Services: registry("exited", "unhealthy", 2)}, // a repeat
		{Time: t0.Add(4 * time.Second), Services: registry("exited", "unhealthy", 2), Err: errors.New("events: unexpected EOF")},
		{Time: t0.Add(5 * time.Second), Services: registry("exited", "unhealthy", 2), Err: errors.New("events: unexpected EOF")}, // a retry
		{Time: t0.Add(6 * time.Second), Services: registry("exited", "unhealthy", 2)},
	}
	calls := 0
	watch := func(ctx context.Context) (<-chan engine.State, error) {
		calls++
		if calls <= 2 {
			return nil, errors.New("stack: the Docker engine at unix:///var/run/docker.sock is not running")
		}
		ch := make(chan engine.State)
		go func() {
			defer close(ch)
			for _, s := range states {
				select {
				case ch <- s:
				case <-ctx.Done():
					return
				}
			}
			<-ctx.Done()
		}()
		return ch, nil
	}
	updates := watchStatus(ctx, "esb", watch, time.Millisecond)
	want := []struct{ state, err, svc string }{
		{StackUnavailable, "stack: the Docker engine at unix:///var/run/docker.sock is not running", ""},
		{StackUp, "", "running"},
		{StackDegraded, "", "exited"},
		{StackUnavailable, "events: unexpected EOF", "exited"},
		{StackDegraded, "", "exited"},
	}
	for i, w := range want {
		var u StackUpdate
		select {
		case u = <-updates:
		case <-time.After(10 * time.Second):
			t.Fatalf("update %d never came (want %s)", i, w.state)
		}
		svc := ""
		if len(u.Services) > 0 {
			svc = u.Services[0].State
		}
		if u.State != w.state || u.Error != w.err || svc != w.svc || u.Project != "esb" {
			t.Fatalf("update %d = %s %q %q (project %q), want %s %q %q", i, u.State, u.Error, svc, u.Project, w.state, w.err, w.svc)
		}
	}
	// Every state was read; anything still queued is a repeat.
	cancel()
	for u := range updates {
		t.Errorf("repeated update: %s %q at %s", u.State, u.Error, u.Time.Format(time.TimeOnly))
	}
	if calls != 3 {
		t.Errorf("watch called %d times, want 3 (two failures, then the engine)", calls)
	}
}
