package tui

import (
	"context"
	"sync"
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
	mu     sync.Mutex
	events []progress.Event
	byKey  map[string]int // index in events of the pending Update per item
	done   bool
	result string
	err    error
	wake   chan struct{}
	last   time.Time
	cancel context.CancelFunc
}

func newStream(id int, cancel context.CancelFunc) *stream {
	return &stream{id: id, byKey: map[string]int{}, wake: make(chan struct{}, 1), cancel: cancel}
}

// Emit implements progress.Sink.
func (s *stream) Emit(e progress.Event) {
	s.mu.Lock()
	if e.Status == progress.Update {
		k := e.Step + "\x00" + e.Item
		if i, ok := s.byKey[k]; ok {
			s.events[i] = e
			s.mu.Unlock()
			return
		}
		s.byKey[k] = len(s.events)
	}
	if len(s.events) < maxPending || e.Status != progress.Info {
		s.events = append(s.events, e)
	}
	s.mu.Unlock()
	s.poke()
}

func (s *stream) finish(result string, err error) {
	s.mu.Lock()
	s.done, s.result, s.err = true, result, err
	s.mu.Unlock()
	s.poke()
}

func (s *stream) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
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
		<-s.wake
		if wait := minBatch - time.Since(s.last); wait > 0 {
			time.Sleep(wait)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.last = time.Now()
		if len(s.events) > 0 {
			batch := s.events
			s.events = nil
			clear(s.byKey)
			if s.done {
				s.poke() // its wake-up was spent on this batch
			}
			return jobEventsMsg{id: s.id, events: batch}
		}
		if s.done {
			return jobDoneMsg{id: s.id, result: s.result, err: s.err}
		}
		return jobEventsMsg{id: s.id}
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
