package env

import (
	"context"
	"time"

	"github.com/esbtui/esbtui/stack"
)

// StackUpdate is one change of the stack's live state, for
// `esbtui status --watch` and the dashboard.
type StackUpdate struct {
	Time     time.Time       `json:"time"`
	Project  string          `json:"project"`
	State    string          `json:"state"` // up, down, degraded, unavailable
	Error    string          `json:"error,omitempty"`
	Services []stack.Service `json:"services"`
}

// WatchStatus streams the stack's state until ctx ends, surviving the
// engine: when the engine goes away it sends an "unavailable" update and
// reconnects with backoff; when it is back, the state resyncs by itself.
// Nothing is polled while the engine answers: updates follow engine events.
func (e *Env) WatchStatus(ctx context.Context) <-chan StackUpdate {
	out := make(chan StackUpdate, 1)
	send := func(u StackUpdate) bool {
		u.Project = e.Cfg.Project
		if u.Time.IsZero() {
			u.Time = time.Now()
		}
		select {
		case out <- u:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(out)
		backoff := 500 * time.Millisecond
		for ctx.Err() == nil {
			ch, err := e.WatchStack(ctx)
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
			backoff = 500 * time.Millisecond
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
