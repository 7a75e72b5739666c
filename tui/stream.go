package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/progress"
)

// minBatch is the least time between two deliveries of one stream: at most
// 20 progress messages per second reach Update, whatever the producer does.
const minBatch = 50 * time.Millisecond

// maxPending bounds what a stream holds between deliveries; Update events of
// the same item replace each other, so only terminal events count against it.
const maxPending = 4096

// stream carries one job's events from its goroutine to Update. The producer
// never blocks: events are buffered (progress updates of one item merged),
// and the waiting Cmd delivers them as one batch at most every minBatch.
type stream struct {
	id     int
	cancel context.CancelFunc
	box    *mailbox
	// Under box.mu:
	events []progress.Event
	byKey  map[string]int // index in events of the pending Update per item
	result string
	err    error
}

func newStream(id int, cancel context.CancelFunc) *stream {
	return &stream{id: id, box: newMailbox(minBatch), byKey: map[string]int{}, cancel: cancel}
}

// Emit implements progress.Sink.
func (s *stream) Emit(e progress.Event) {
	s.box.put(func() {
		if e.Status == progress.Update {
			k := e.Step + "\x00" + e.Item
			if i, ok := s.byKey[k]; ok {
				s.events[i] = e
				return
			}
			s.byKey[k] = len(s.events)
		}
		if len(s.events) < maxPending || e.Status != progress.Info {
			s.events = append(s.events, e)
		}
	})
}

func (s *stream) finish(result string, err error) {
	s.box.close(func() { s.result, s.err = result, err })
}

// jobEventsMsg is a batch of a job's events.
type jobEventsMsg struct {
	id     int
	events []progress.Event
}

// jobDoneMsg ends a job.
type jobDoneMsg struct {
	id     int
	result string
	err    error
}

// next waits for the stream's next batch. Update re-issues it after each
// jobEventsMsg (channel + re-subscribe).
func (s *stream) next() tea.Cmd {
	return func() tea.Msg {
		return s.box.next(func(done bool) (tea.Msg, bool) {
			if len(s.events) > 0 {
				batch := s.events
				s.events = nil
				clear(s.byKey)
				return jobEventsMsg{id: s.id, events: batch}, true
			}
			if done {
				return jobDoneMsg{id: s.id, result: s.result, err: s.err}, false
			}
			return jobEventsMsg{id: s.id}, false
		})
	}
}

// jobFunc is the shape of every long Backend call.
type jobFunc func(ctx context.Context, sink progress.Sink) (string, error)

// start runs fn in its own goroutine under a cancellable context and
// returns the stream and the Cmd that waits for its first batch.
func start(parent context.Context, id int, fn jobFunc) (*stream, tea.Cmd) {
	ctx, cancel := context.WithCancel(parent)
	s := newStream(id, cancel)
	go func() {
		defer cancel()
		res, err := fn(ctx, s)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		s.finish(res, err)
	}()
	return s, s.next()
}
