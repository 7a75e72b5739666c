package tui

import (
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
)

// mailbox hands what a producer goroutine leaves (a job's events, the
// engine's newest stack state) to the one Cmd waiting for it in Update's
// loop (channel + re-subscribe). The producer never blocks: it fills the
// holder's buffer under mu and wakes the reader; wake-ups that arrive
// while one is pending merge into it, so a burst costs one delivery.
type mailbox struct {
	mu     sync.Mutex
	wake   chan struct{}
	closed bool
	// minGap, when set, is the least time between two deliveries.
	minGap time.Duration
	last   time.Time
}

func newMailbox(minGap time.Duration) *mailbox {
	return &mailbox{wake: make(chan struct{}, 1), minGap: minGap}
}

// put runs fill under the lock (it adds to the holder's buffer) and wakes
// the reader.
func (b *mailbox) put(fill func()) {
	b.mu.Lock()
	fill()
	b.mu.Unlock()
	b.poke()
}

// close is put for the producer's last word: after it, the reader is told
// the end once the buffer is drained.
func (b *mailbox) close(fill func()) {
	b.mu.Lock()
	fill()
	b.closed = true
	b.mu.Unlock()
	b.poke()
}

func (b *mailbox) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// next waits for a wake-up, then calls take under the lock with whether
// the producer is done. take returns the message to deliver (nil: nothing
// there, wait again) and whether it took buffered contents; when it did
// and the producer is done, the spent wake-up is re-armed so that the
// next call delivers the end.
func (b *mailbox) next(take func(closed bool) (msg tea.Msg, drained bool)) tea.Msg {
	for {
		<-b.wake
		if b.minGap > 0 {
			if wait := b.minGap - time.Since(b.last); wait > 0 {
				time.Sleep(wait)
			}
		}
		b.mu.Lock()
		b.last = time.Now()
		msg, drained := take(b.closed)
		if drained && b.closed {
			b.poke()
		}
		b.mu.Unlock()
		if msg != nil {
			return msg
		}
	}
}
