package tui

import (
	"errors"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// runCmd runs cmd and every Cmd of the batches it returns, and collects
// their messages.
func runCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, runCmd(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// Update writes no file: what goes to esbtui.log leaves in a Cmd, in the
// order it happened, one write Cmd at a time.
func TestUpdateLeavesLogWritesToCmds(t *testing.T) {
	f := &fake{state: freshState()}
	m := New(t.Context(), f, Options{Now: fixedNow})
	m.Update(snapshotMsg{s: freshState()})
	_, cmd := m.Update(tagsMsg{repo: "worker", err: errors.New("registry said 500")})
	_, cmd2 := m.Update(inspectMsg{err: errors.New("no such manifest")})
	if len(f.noted) != 0 {
		t.Fatalf("Update wrote esbtui.log itself: %v", f.noted)
	}
	if cmd2 != nil {
		t.Fatal("a second write Cmd started while the first one runs")
	}
	msgs := runCmd(cmd)
	if len(f.noted) != 1 || f.noted[0].Op != "tags worker" {
		t.Fatalf("the write Cmd noted %v, want the tags failure", f.noted)
	}
	var written bool
	for _, msg := range msgs {
		_, written = msg.(notesWrittenMsg)
		if written {
			break
		}
	}
	if !written {
		t.Fatalf("the write Cmd did not say it is done: %v", msgs)
	}
	_, cmd = m.Update(notesWrittenMsg{})
	runCmd(cmd)
	if len(f.noted) != 2 || f.noted[1].Op != "inspect" {
		t.Fatalf("after the first write: noted %v, want the inspect failure second", f.noted)
	}
}
