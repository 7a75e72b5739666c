// Package progress defines the events long-running operations report and the
// sinks that consume them (CLI lines, JSON lines, the TUI).
package progress

import (
	"sync"
	"time"
)

// Status is the phase of a step.
type Status string

// Step phases.
const (
	Start   Status = "start"
	Update  Status = "progress"
	Done    Status = "done"
	Skipped Status = "skipped"
	Failed  Status = "failed"
	Info    Status = "info"
	Warning Status = "warning"
)

// Event is one report from a long operation. Op names the flow ("init", "push"),
// Step the stage inside it ("ca", "server-cert", "layer"), Item the object
// (a file, a layer digest, a service).
type Event struct {
	Time    time.Time `json:"time"`
	Op      string    `json:"op"`
	Step    string    `json:"step,omitempty"`
	Item    string    `json:"item,omitempty"`
	Status  Status    `json:"status"`
	Message string    `json:"message,omitempty"`
	Current int64     `json:"current,omitempty"`
	Total   int64     `json:"total,omitempty"`
	Err     string    `json:"error,omitempty"`
}

// Percent returns Current/Total in [0,100], or -1 when the total is unknown.
func (e Event) Percent() float64 {
	if e.Total <= 0 {
		return -1
	}
	p := float64(e.Current) * 100 / float64(e.Total)
	if p > 100 {
		p = 100
	}
	return p
}

// Sink receives events. Implementations must be safe for concurrent use and
// must not block for long: producers call Emit on their hot path.
type Sink interface {
	Emit(Event)
}

// Func adapts a function to a Sink.
type Func func(Event)

// Emit calls f(e).
func (f Func) Emit(e Event) { f(e) }

// Discard drops every event.
var Discard Sink = Func(func(Event) {})

// Reporter stamps events with an operation name and the time.
type Reporter struct {
	Op   string
	Sink Sink
}

// Emit sends e with Op and Time filled in.
func (r Reporter) Emit(e Event) {
	if r.Sink == nil {
		return
	}
	if e.Op == "" {
		e.Op = r.Op
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	r.Sink.Emit(e)
}

// Step reports a status for a step with a message.
func (r Reporter) Step(step string, st Status, msg string) {
	r.Emit(Event{Step: step, Status: st, Message: msg})
}

// Collector records events in memory; tests and the JSON output use it.
type Collector struct {
	mu     sync.Mutex
	events []Event
}

// Emit records e.
func (c *Collector) Emit(e Event) {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
}

// Events returns a copy of what was recorded.
func (c *Collector) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// Tee sends every event to each sink in order.
func Tee(sinks ...Sink) Sink {
	return Func(func(e Event) {
		for _, s := range sinks {
			if s != nil {
				s.Emit(e)
			}
		}
	})
}

// Coalesce forwards terminal events (anything but Update) at once and at most
// one Update per item every interval, always delivering the latest one before
// the item's next terminal event. It keeps a fast producer from flooding a UI.
func Coalesce(next Sink, interval time.Duration) Sink {
	c := &coalescer{next: next, every: interval, last: map[string]time.Time{}, held: map[string]Event{}}
	return c
}

type coalescer struct {
	mu    sync.Mutex
	next  Sink
	every time.Duration
	last  map[string]time.Time
	held  map[string]Event
}

func (c *coalescer) Emit(e Event) {
	key := e.Op + "\x00" + e.Step + "\x00" + e.Item
	c.mu.Lock()
	if e.Status == Update {
		now := e.Time
		if now.IsZero() {
			now = time.Now()
		}
		if t, ok := c.last[key]; ok && now.Sub(t) < c.every && e.Current != e.Total {
			c.held[key] = e
			c.mu.Unlock()
			return
		}
		c.last[key] = now
		delete(c.held, key)
		c.mu.Unlock()
		c.next.Emit(e)
		return
	}
	held, ok := c.held[key]
	delete(c.held, key)
	delete(c.last, key)
	c.mu.Unlock()
	if ok {
		c.next.Emit(held)
	}
	c.next.Emit(e)
}
