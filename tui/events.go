package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// maxEventBatch bounds how many registry events one message carries: a
// burst (a backlog the registry queued while nothing listened) costs a
// few renders, not one per event.
const maxEventBatch = 64

// registryEvents is the dashboard's listener for the registry's
// notifications; at most one runs.
type registryEvents struct {
	ch <-chan flows.RegistryEvent
	// stopped says why the running listener's channel closed early.
	stopped  func() error
	starting bool
}

type (
	eventsStartedMsg struct {
		l   *flows.EventsListener
		err error
	}
	registryEventsMsg struct {
		ch     <-chan flows.RegistryEvent
		events []flows.RegistryEvent
		closed bool
	}
)

// startEvents starts listening unless that runs or is being started. It
// is tried at start, on `r` and after `u`.
func (m *Model) startEvents() tea.Cmd {
	if m.events.ch != nil || m.events.starting || m.ctx.Err() != nil {
		return nil
	}
	m.events.starting = true
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		l, err := b.RegistryEvents(ctx)
		return eventsStartedMsg{l, err}
	}
}

func waitEvents(ch <-chan flows.RegistryEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return registryEventsMsg{ch: ch, closed: true}
		}
		msg := registryEventsMsg{ch: ch, events: []flows.RegistryEvent{ev}}
		for len(msg.events) < maxEventBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					msg.closed = true
					return msg
				}
				msg.events = append(msg.events, ev)
			default:
				return msg
			}
		}
		return msg
	}
}

func (m *Model) onEventsStarted(msg eventsStartedMsg) tea.Cmd {
	m.events.starting = false
	if msg.err != nil {
		text := "registry events: not listening, pushes/pulls/deletes by other clients will not show here: " + msg.err.Error()
		m.logLine(m.now(), m.st.mark(lvlWarn, text))
		m.note(progress.Event{Op: "events", Status: progress.Warning, Err: msg.err.Error()})
		m.reg.setEventsOff(msg.err.Error())
		return nil
	}
	m.reg.setEventsOff("")
	m.events.ch, m.events.stopped = msg.l.Events, msg.l.Stopped
	m.note(progress.Event{Op: "events", Status: progress.Start, Message: "listening for registry events on " + msg.l.Addr})
	return waitEvents(msg.l.Events)
}

func (m *Model) onRegistryEvents(msg registryEventsMsg) tea.Cmd {
	if msg.ch != m.events.ch {
		return nil
	}
	loc := m.now().Location()
	changed := false
	for _, ev := range msg.events {
		// A tag pushed or deleted by any client changes the catalog.
		changed = changed || (ev.Kind == "manifest" && (ev.Action == "push" || ev.Action == "delete"))
		t := ev.Time
		if t.IsZero() {
			t = m.now()
		}
		line := registryEventLine(ev)
		m.logLine(t.In(loc), line)
		m.note(progress.Event{Time: t, Op: "registry", Step: ev.Action, Item: ev.Ref(), Status: progress.Info, Message: line})
	}
	if msg.closed {
		stopped := m.events.stopped
		m.events.ch, m.events.stopped = nil, nil
		if m.ctx.Err() == nil {
			why := ""
			if stopped != nil {
				if err := stopped(); err != nil {
					why = ": " + err.Error()
					m.reg.setEventsOff("the listener stopped" + why + " (r starts it again)")
				}
			}
			m.logLine(m.now(), m.st.mark(lvlWarn, "registry events: the listener stopped"+why+" (r starts it again)"))
		}
		return nil
	}
	if changed {
		return tea.Batch(waitEvents(msg.ch), m.refresh())
	}
	return waitEvents(msg.ch)
}

// registryEventLine is one registry event for the Log pane: the action,
// the reference, the size and who did it (`esbtui events`' words).
func registryEventLine(ev flows.RegistryEvent) string {
	ref := ev.Ref()
	if ev.Tag == "" && ev.Digest != "" {
		ref = ev.Repository + "@" + shortDigest(ev.Digest)
	}
	line := "registry " + ev.Action + " " + ref
	if ev.Kind == "blob" {
		line += " (blob)"
	}
	if ev.Size > 0 {
		line += " " + progress.Bytes(ev.Size)
	}
	return line + ev.Who()
}
