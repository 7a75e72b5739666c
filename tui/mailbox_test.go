package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// A producer that leaves contents and ends before the reader wakes costs
// one wake-up; the reader still gets the contents, then the end.
func TestMailboxDeliversContentsThenEnd(t *testing.T) {
	b := newMailbox(0)
	var buf []int
	for i := range 3 {
		b.put(func() { buf = append(buf, i) })
	}
	b.close(func() {})
	take := func(closed bool) (tea.Msg, bool) {
		if len(buf) > 0 {
			got := buf
			buf = nil
			return got, true
		}
		if closed {
			return "end", false
		}
		return nil, false
	}
	first := b.next(take)
	if got, ok := first.([]int); !ok || len(got) != 3 {
		t.Fatalf("first delivery %v, want the 3 buffered values at once", first)
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- b.next(take) }()
	if msg := <-done; msg != "end" {
		t.Fatalf("second delivery %v, want the end", msg)
	}
}
