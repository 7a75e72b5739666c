package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Symbols say the state in every terminal; colour only repeats them.
const (
	symOK   = "✓"
	symBad  = "✗"
	symWarn = "!"
	symBusy = "…"
	symOff  = "·"
)

// styles adapt to the terminal background (tea.BackgroundColorMsg).
type styles struct {
	dark                 bool
	ok, bad, warn, dim   lipgloss.Style
	bold, title, focused lipgloss.Style
	border, focusBorder  lipgloss.Style
	sel                  lipgloss.Style
	help                 help.Styles
}

func newStyles(dark bool) *styles {
	c := lipgloss.LightDark(dark)
	green := c(lipgloss.Color("#1a7f37"), lipgloss.Color("#3fb950"))
	red := c(lipgloss.Color("#cf222e"), lipgloss.Color("#f85149"))
	yellow := c(lipgloss.Color("#9a6700"), lipgloss.Color("#d29922"))
	grey := c(lipgloss.Color("#6e7781"), lipgloss.Color("#8b949e"))
	accent := c(lipgloss.Color("#6639ba"), lipgloss.Color("#a371f7"))
	base := lipgloss.NewStyle()
	return &styles{
		dark:        dark,
		ok:          base.Foreground(green),
		bad:         base.Foreground(red).Bold(true),
		warn:        base.Foreground(yellow),
		dim:         base.Foreground(grey),
		bold:        base.Bold(true),
		title:       base.Bold(true),
		focused:     base.Bold(true).Foreground(accent),
		border:      base.Foreground(grey),
		focusBorder: base.Foreground(accent),
		sel:         base.Bold(true),
		help:        help.DefaultStyles(dark),
	}
}

// mark renders a state symbol followed by its word(s).
func (s *styles) mark(level int, text string) string {
	switch level {
	case lvlOK:
		return s.ok.Render(symOK + " " + text)
	case lvlWarn:
		return s.warn.Render(symWarn + " " + text)
	case lvlBad:
		return s.bad.Render(symBad + " " + text)
	case lvlBusy:
		return s.warn.Render(symBusy + " " + text)
	}
	return s.dim.Render(symOff + " " + text)
}

// Health levels of a pane or a row; worst wins.
const (
	lvlNone = iota
	lvlOK
	lvlBusy
	lvlWarn
	lvlBad
)

func (s *styles) sym(level int) string {
	switch level {
	case lvlOK:
		return s.ok.Render(symOK)
	case lvlWarn:
		return s.warn.Render(symWarn)
	case lvlBad:
		return s.bad.Render(symBad)
	case lvlBusy:
		return s.warn.Render(symBusy)
	}
	return s.dim.Render(symOff)
}

// fit truncates a (styled) line to w cells and pads it with spaces.
func fit(line string, w int) string {
	if w <= 0 {
		return ""
	}
	lw := ansi.StringWidth(line)
	if lw > w {
		line = ansi.Truncate(line, w, "…")
		lw = ansi.StringWidth(line)
	}
	if lw < w {
		line += strings.Repeat(" ", w-lw)
	}
	return line
}

// box draws a pane of exactly w x h cells with its title in the top border.
// The focused pane gets a heavy border and a ▸, so focus shows without colour.
func (s *styles) box(title, status string, body []string, w, h int, focused bool) string {
	if w < 4 || h < 2 {
		return ""
	}
	tl, tr, bl, br, hz, vt := "╭", "╮", "╰", "╯", "─", "│"
	bst, tst := s.border, s.title
	if focused {
		tl, tr, bl, br, hz, vt = "┏", "┓", "┗", "┛", "━", "┃"
		bst, tst = s.focusBorder, s.focused
		title = "▸ " + title
	}
	head := tst.Render(" " + title + " ")
	if status != "" {
		head += status + " "
	}
	head = ansi.Truncate(head, w-3, "…")
	fill := w - 3 - ansi.StringWidth(head)
	var b strings.Builder
	b.Grow((w + 8) * h * 2)
	b.WriteString(bst.Render(tl + hz))
	b.WriteString(head)
	b.WriteString(bst.Render(strings.Repeat(hz, max(fill, 0)) + tr))
	side := bst.Render(vt)
	for i := 0; i < h-2; i++ {
		b.WriteByte('\n')
		b.WriteString(side)
		line := ""
		if i < len(body) {
			line = body[i]
		}
		b.WriteString(fit(line, w-2))
		b.WriteString(side)
	}
	b.WriteByte('\n')
	b.WriteString(bst.Render(bl + strings.Repeat(hz, w-2) + br))
	return b.String()
}
