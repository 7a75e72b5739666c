package tui

import (
	"context"
	"sync"

	tea "charm.land/bubbletea/v2"
)

// watcher carries the engine's live stack state from Backend.Watch to
// Update. Only the newest state matters: one that arrives before the last
// was delivered replaces it, so a burst of events costs one render.
type watcher struct {
	mu     sync.Mutex
	latest *StackState
	fresh  bool
	done   bool
	err    error
	wake   chan struct{}
	cancel context.CancelFunc
}

// stackMsg is a new state of the stack from the engine's events.
type stackMsg struct {
	w  *watcher
	st *StackState
}

// watchEndedMsg: the watcher stopped (no engine, or the dashboard quits).
type watchEndedMsg struct {
	w   *watcher
	err error
}

func startWatch(parent context.Context, b Backend) (*watcher, tea.Cmd) {
	ctx, cancel := context.WithCancel(parent)
	w := &watcher{wake: make(chan struct{}, 1), cancel: cancel}
	go func() {
		defer cancel()
		err := b.Watch(ctx, func(st *StackState) {
			w.mu.Lock()
			w.latest, w.fresh = st, true
			w.mu.Unlock()
			w.poke()
		})
		w.mu.Lock()
		w.done, w.err = true, err
		w.mu.Unlock()
		w.poke()
	}()
	return w, w.next()
}

func (w *watcher) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// next waits for the next state; Update re-issues it after each stackMsg.
func (w *watcher) next() tea.Cmd {
	return func() tea.Msg {
		for {
			<-w.wake
			w.mu.Lock()
			if w.fresh {
				st := w.latest
				w.fresh = false
				if w.done {
					w.poke()
				}
				w.mu.Unlock()
				return stackMsg{w, st}
			}
			if w.done {
				err := w.err
				w.mu.Unlock()
				return watchEndedMsg{w, err}
			}
			w.mu.Unlock()
		}
	}
}
