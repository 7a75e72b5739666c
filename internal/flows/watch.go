package flows

import (
	"context"
	"reflect"
	"time"

	"github.com/esbtui/esbtui/stack/engine"
)

// StackUpdate is one change of the stack's live state, for
// `esbtui status --watch` and the dashboard.
type StackUpdate struct {
	Time     time.Time        `json:"time"`
	Project  string           `json:"project"`
	State    string           `json:"state"` // up, down, degraded, unavailable
	Error    string           `json:"error,omitempty"`
	Services []engine.Service `json:"services"`
}

// sameState reports whether two updates say the same thing: everything
// but the time they were read at.
func sameState(a, b StackUpdate) bool {
	a.Time, b.Time = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// WatchStatus streams the stack's state until ctx ends, surviving the
// engine: when the engine goes away it sends an "unavailable" update and
// reconnects with backoff; when it is back, the state resyncs by itself.
// Nothing is polled while the engine answers: updates follow engine events.
// Each update differs from the one before it in more than its time: a
// retry that fails the same way, or an event that changes nothing, sends
// nothing.
func (e *Env) WatchStatus(ctx context.Context) <-chan StackUpdate {
	return watchStatus(ctx, e.Cfg.Project, e.WatchStack, 500*time.Millisecond)
}

// watchStatus is WatchStatus over any source of stack states (tests feed
// their own); backoff is the first wait after watch fails.
func watchStatus(ctx context.Context, project string, watch func(context.Context) (<-chan engine.State, error), backoff time.Duration) <-chan StackUpdate {
	out := make(chan StackUpdate, 1)
	var last *StackUpdate
	send := func(u StackUpdate) bool {
		u.Project = project
		if u.Time.IsZero() {
			u.Time = time.Now()
		}
		if last != nil && sameState(*last, u) {
			return ctx.Err() == nil
		}
		select {
		case out <- u:
			last = &u
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(out)
		first := backoff
		for ctx.Err() == nil {
			ch, err := watch(ctx)
			if err != nil {
				if !send(StackUpdate{State: StackUnavailable, Error: err.Error()}) {
					return
				}
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
					return
				}
				if backoff < 5*time.Second {
					backoff *= 2
				}
				continue
			}
			backoff = first
			for s := range ch {
				u := StackUpdate{Time: s.Time, Services: s.Services, State: stackState(s.Services)}
				if s.Err != nil {
					u.State, u.Error = StackUnavailable, s.Err.Error()
				}
				if !send(u) {
					return
				}
			}
		}
	}()
	return out
}

// WatchStack streams the stack's live state (services, health, ports,
// uptime) for the TUI: a state now, then one per relevant engine event,
// re-syncing after the event stream breaks. The channel closes when ctx is
// done; the engine connection is released then.
func (e *Env) WatchStack(ctx context.Context) (<-chan engine.State, error) {
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	ch := eng.Watch(ctx, e.Cfg.Project)
	out := make(chan engine.State, 1)
	go func() {
		defer close(out)
		defer eng.Close()
		for s := range ch {
			select {
			case out <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
