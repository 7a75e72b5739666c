package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"
)

// watcher carries the engine's live stack state from Backend.Watch to
// Update. Only the newest state matters: one that arrives before the last
// was delivered replaces it, so a burst of events costs one render.
type watcher struct {
	cancel context.CancelFunc
	box    *mailbox
	// Under box.mu:
	latest *StackState
	fresh  bool
	err    error
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
	w := &watcher{box: newMailbox(0), cancel: cancel}
	go func() {
		defer cancel()
		err := b.Watch(ctx, func(st *StackState) {
			w.box.put(func() { w.latest, w.fresh = st, true })
		})
		w.box.close(func() { w.err = err })
	}()
	return w, w.next()
}

// next waits for the next state; Update re-issues it after each stackMsg.
func (w *watcher) next() tea.Cmd {
	return func() tea.Msg {
		return w.box.next(func(done bool) (tea.Msg, bool) {
			if w.fresh {
				w.fresh = false
				return stackMsg{w, w.latest}, true
			}
			if done {
				return watchEndedMsg{w, w.err}, false
			}
			return nil, false
		})
	}
}
