package engine

import (
	"context"
	"reflect"
	"time"

	"github.com/docker/compose/v5/pkg/api"
	"github.com/moby/moby/client"
)

// State is one picture of a project's services, sent by Watch.
type State struct {
	Time     time.Time `json:"time"`
	Services []Service `json:"services"`
	// Err is set when the engine could not be asked (the event stream
	// broke, the engine went away); Services then holds the last known
	// state and Watch keeps retrying.
	Err error `json:"-"`
}

// Watch sends the project's state now and again whenever an engine event
// concerns one of its containers (create, start, die, health_status, ...).
// It does not poll: it re-reads the state (Ps) only on events, and after the
// event stream breaks it re-subscribes with backoff and re-syncs. The
// channel is closed when ctx is done. Receivers should keep up: a state
// that cannot be delivered is replaced by the next one.
func (e *Engine) Watch(ctx context.Context, project string) <-chan State {
	out := make(chan State, 1)
	go func() {
		defer close(out)
		var last []Service
		// failed: the last state sent carried an error, so the next good
		// read is sent even when the services look the same (a dockerd
		// restart with the stack down changes nothing else).
		failed := false
		send := func(s State) {
			failed = s.Err != nil
			// Keep only the newest undelivered state.
			select {
			case <-out:
			default:
			}
			select {
			case out <- s:
			case <-ctx.Done():
			}
		}
		sync := func() bool {
			services, err := e.Ps(ctx, project)
			if ctx.Err() != nil {
				return false
			}
			if err != nil {
				send(State{Time: time.Now(), Services: last, Err: err})
				return false
			}
			if last == nil || failed || !reflect.DeepEqual(services, last) {
				last = services
				if last == nil {
					last = []Service{}
				}
				send(State{Time: time.Now(), Services: services})
			}
			return true
		}
		backoff := time.Second
		for ctx.Err() == nil {
			sctx, cancel := context.WithCancel(ctx)
			f := client.Filters{}.Add("type", "container").Add("label", api.ProjectLabel+"="+project)
			ev := e.api.Events(sctx, client.EventsListOptions{Filters: f})
			// Subscribe first, then read the state: nothing is missed in
			// between.
			ok := sync()
			err := e.follow(sctx, ev, sync)
			cancel()
			if ctx.Err() != nil {
				return
			}
			if ok && err == nil {
				backoff = time.Second
			}
			send(State{Time: time.Now(), Services: last, Err: err})
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			if backoff < 15*time.Second {
				backoff *= 2
			}
		}
	}()
	return out
}

// follow re-syncs on each event (coalescing bursts: one Ps per 100 ms at
// most) until the stream ends; it returns the stream's error.
func (e *Engine) follow(ctx context.Context, ev client.EventsResult, sync func() bool) error {
	var pending <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-ev.Err:
			return err
		case _, ok := <-ev.Messages:
			if !ok {
				return nil
			}
			if pending == nil {
				pending = time.After(100 * time.Millisecond)
			}
		case <-pending:
			pending = nil
			sync()
		}
	}
}
