package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// confirmation is a question the user answers with y or n.
type confirmation struct {
	title string
	lines []string
	yes   func(m *Model) tea.Cmd
}

// confirmKey answers the open question (keyMap.Yes, keyMap.No); other
// keys are ignored.
func (m *Model) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	c := m.confirm
	switch {
	case key.Matches(msg, m.keys.Yes):
		m.confirm = nil
		return c.yes(m)
	case key.Matches(msg, m.keys.No):
		m.confirm = nil
		m.logLine(m.now(), m.st.mark(lvlNone, "not confirmed: "+c.title))
	}
	return nil
}

// confirmLines fits the question in room lines: a long plan loses its
// middle, never the title or the answer keys.
func (m *Model) confirmLines(room int) []string {
	c := m.confirm
	body := c.lines
	if extra := len(body) + 4 - room; extra > 0 && len(body) > 1 {
		cut := min(extra+1, len(body))
		keep := len(body) - cut
		head := body[:keep/2+keep%2]
		tail := body[len(body)-keep/2:]
		body = append(append(append([]string(nil), head...), m.st.dim.Render(fmt.Sprintf("… %d more lines", cut))), tail...)
	}
	lines := []string{m.st.bold.Render(c.title), ""}
	lines = append(lines, body...)
	return append(lines, "", "press "+helpKeys(m.keys.Yes)+" to go ahead, "+helpKeys(m.keys.No)+" to cancel")
}

// confirmFooter is the prompt's help line: its keys in bold.
func (m *Model) confirmFooter() string {
	k := m.keys
	return hints(m.st.bold.Render(helpKeys(k.Yes))+" "+k.Yes.Help().Desc, m.st.bold.Render(helpKeys(k.No))+" "+k.No.Help().Desc)
}
