package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// helpTitleW is the width of the group titles' column on the `?` screen.
const helpTitleW = 16

// helpLines is the `?` screen, generated from keyMap.FullHelp: each group
// under its title, its bindings ("key words") wrapped to w cells, then how
// to read the panes.
func (m *Model) helpLines(w int) []string {
	hs := m.help.Styles
	sep := hs.ShortSeparator.Render(" · ")
	indent := strings.Repeat(" ", helpTitleW)
	var lines []string
	titles := m.keys.fullHelpTitles()
	for i, group := range m.keys.FullHelp() {
		line := padRight(m.st.bold.Render(titles[i]), helpTitleW)
		first := true
		for _, b := range group {
			if !b.Enabled() {
				continue
			}
			item := hs.ShortKey.Render(b.Help().Key) + " " + hs.ShortDesc.Render(b.Help().Desc)
			switch {
			case first:
				line += item
			case ansi.StringWidth(line)+ansi.StringWidth(sep+item) > w:
				lines = append(lines, line)
				line = indent + item
			default:
				line += sep + item
			}
			first = false
		}
		lines = append(lines, line)
	}
	k := m.keys
	lines = append(lines, "")
	for _, text := range []string{
		"Panes: Certificates · Trust · Services · Registry · Jobs · Log (" + helpKeys(k.Next) + " / " + helpKeys(k.Prev) + ").",
		"States read as words and symbols: ✓ good  ! attention  ✗ broken  … busy  · n/a.",
		helpKeys(k.Back) + " or " + helpKeys(k.Help) + " closes this help.",
	} {
		lines = append(lines, wrapIndent("", text, w, "  ", nil)...)
	}
	return lines
}
