package stack

import (
	"context"
	"strings"
	"sync"

	"github.com/docker/compose/v5/pkg/api"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/stack/engine"
)

// composeEvents turns Compose's resource events into progress events under
// one step, one item per resource ("Container esb-registry"). Compose
// repeats events and reports Done's success flag inverted (notes): repeats
// are dropped and the flag is ignored; callers trust the returned error.
type composeEvents struct {
	rep  progress.Reporter
	step string

	mu   sync.Mutex
	last map[string]string
}

func newComposeEvents(rep progress.Reporter, step string) *composeEvents {
	return &composeEvents{rep: rep, step: step, last: map[string]string{}}
}

func (c *composeEvents) Start(context.Context, string) {}

func (c *composeEvents) Done(string, bool) {}

func (c *composeEvents) On(events ...api.Resource) {
	for _, ev := range events {
		if ev.ID == "" || ev.ID == api.ResourceCompose {
			continue
		}
		msg := strings.TrimSpace(strings.TrimSpace(ev.Text + " " + ev.Details))
		key := ev.StatusText() + "\x00" + msg
		c.mu.Lock()
		prev, seen := c.last[ev.ID]
		if prev == key {
			c.mu.Unlock()
			continue
		}
		c.last[ev.ID] = key
		c.mu.Unlock()
		st := progress.Update
		switch ev.Status {
		case api.Working:
			if !seen {
				st = progress.Start
			}
		case api.Done:
			st = progress.Done
		case api.Warning:
			st = progress.Warning
		case api.Error:
			st = progress.Failed
		}
		e := progress.Event{Step: c.step, Item: ev.ID, Status: st, Message: msg, Current: ev.Current, Total: ev.Total}
		if st == progress.Failed {
			e.Err = msg
		}
		c.rep.Emit(e)
	}
}

// composeService returns a Compose service on e whose events go to rep under step.
func composeService(e *engine.Engine, rep progress.Reporter, step string) (api.Compose, error) {
	return e.Compose(newComposeEvents(rep, step))
}
