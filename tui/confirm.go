package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// confirmation is a question the user answers with y or n.
type confirmation struct {
	title string
	lines []string
	yes   func(m *Model) tea.Cmd
}

// confirmKey answers the open question: y or enter says yes, n, esc or q
// says no; other keys are ignored.
func (m *Model) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	c := m.confirm
	switch msg.String() {
	case "y", "Y", "enter":
		m.confirm = nil
		return c.yes(m)
	case "n", "N", "esc", "q":
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
	return append(lines, "", "press y to go ahead, n or esc to cancel")
}
