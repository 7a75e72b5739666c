package tui

import (
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/progress"
)

// notes carries the dashboard's records for esbtui.log (Backend.Note)
// out of Update, which never writes a file itself: Update queues them,
// and after it one Cmd at a time writes the queue in order, so the file
// keeps the order things happened in.
type notes struct {
	pending []progress.Event
	// inflight is the batch a write Cmd holds; the next batch waits for
	// its notesWrittenMsg.
	inflight *noteBatch
}

// noteBatch is written exactly once: by its Cmd, or by closeNotes when
// the program ended before the Cmd ran.
type noteBatch struct {
	mu      sync.Mutex
	events  []progress.Event
	written bool
}

func (nb *noteBatch) write(b Backend) {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	if nb.written {
		return
	}
	nb.written = true
	for _, e := range nb.events {
		b.Note(e)
	}
}

// notesWrittenMsg: the write Cmd returned; the next batch may go.
type notesWrittenMsg struct{}

// note queues e for esbtui.log.
func (m *Model) note(e progress.Event) {
	m.notes.pending = append(m.notes.pending, e)
}

// writeNotes runs after every Update: it hands what is queued to a Cmd
// unless one is still writing.
func (m *Model) writeNotes() tea.Cmd {
	n := &m.notes
	if n.inflight != nil || len(n.pending) == 0 {
		return nil
	}
	nb := &noteBatch{events: n.pending}
	n.pending, n.inflight = nil, nb
	b := m.b
	return func() tea.Msg {
		nb.write(b)
		return notesWrittenMsg{}
	}
}

// closeNotes writes what the last Updates queued, after the batch a Cmd
// holds (which the program may have dropped on its way out): Run calls it
// once the program has ended and no Update runs.
func (m *Model) closeNotes() {
	if nb := m.notes.inflight; nb != nil {
		nb.write(m.b)
		m.notes.inflight = nil
	}
	for _, e := range m.notes.pending {
		m.b.Note(e)
	}
	m.notes.pending = nil
}
