package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Minimum size of the full layout; below it every pane collapses to a line.
const (
	minW = 80
	minH = 24
	// wideW switches from two columns of three panes to three of two.
	wideW = 150
)

// View draws the frame. Static panes come from a cache keyed by their
// version, size and focus, so a progress tick re-renders only Jobs and Log.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "esbtui"
	if j := m.jobs.current(); j != nil && j.state == jobRunning && !j.bg {
		if cur, total := j.totals(); total > 0 {
			v.ProgressBar = tea.NewProgressBar(tea.ProgressBarDefault, int(cur*100/total))
		} else {
			v.ProgressBar = tea.NewProgressBar(tea.ProgressBarIndeterminate, 0)
		}
	}
	return v
}

func (m *Model) render() string {
	w, h := m.w, m.h
	if w <= 0 || h <= 0 {
		return ""
	}
	header := m.header(w)
	footer := m.footer(w)
	if w < minW || h < minH {
		return m.compact(w, h, header, footer)
	}
	bodyH := h - 2
	var body string
	switch {
	case m.confirm != nil:
		body = m.st.box("Confirm", "", m.confirmLines(bodyH-2), w, bodyH, true)
	case m.doc.open:
		status := m.doctorStatus()
		if pos := m.doctorScroll(w-2, bodyH-2); pos != "" {
			status += m.st.dim.Render(" · " + pos)
		}
		body = m.st.box("Doctor", status, m.doctorWindow(w-2, bodyH-2), w, bodyH, true)
	case m.showHelp:
		body = m.st.box("Help", "", m.helpLines(w-4), w, bodyH, true)
	default:
		body = m.grid(w, bodyH)
	}
	return header + "\n" + body + "\n" + footer
}

// grid lays the panes out column-major: 2 columns of 3 up to wideW cells,
// 3 columns of 2 beyond.
func (m *Model) grid(w, h int) string {
	cols := 2
	if w >= wideW {
		cols = 3
	}
	rows := numPanes / cols
	colStr := make([][]string, cols)
	for c := 0; c < cols; c++ {
		cw := w / cols
		if c == cols-1 {
			cw = w - cw*(cols-1)
		}
		for r := 0; r < rows; r++ {
			rh := h / rows
			if r == rows-1 {
				rh = h - rh*(rows-1)
			}
			colStr[c] = append(colStr[c], m.pane(c*rows+r, cw, rh))
		}
	}
	// Join columns line by line: every pane is exactly its size, so this
	// is plain concatenation, much cheaper than measuring each cell.
	cl := make([][]string, cols)
	for c := range colStr {
		cl[c] = strings.Split(strings.Join(colStr[c], "\n"), "\n")
	}
	var b strings.Builder
	b.Grow(w * h * 3)
	for i := 0; i < h; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		for c := range cl {
			if i < len(cl[c]) {
				b.WriteString(cl[c][i])
			}
		}
	}
	return b.String()
}

// pane renders pane i at w x h, from the cache when nothing changed.
func (m *Model) pane(i, w, h int) string {
	p := m.panes[i]
	focused := m.focus == i
	c := &m.cache[i]
	if c.s != "" && c.w == w && c.h == h && c.ver == p.version() && c.gen == m.styleGen && c.focused == focused {
		return c.s
	}
	st := m.st
	body := p.body(paneFrame{st: st, w: w - 2, h: h - 2, focused: focused, now: m.now()})
	s := st.box(p.title(), p.status(st), body, w, h, focused)
	// body() may have changed the version (log resize, registry offset).
	*c = cached{w: w, h: h, ver: p.version(), gen: m.styleGen, focused: focused, s: s}
	return s
}

// compact is the layout below 80x24: one line per pane.
func (m *Model) compact(w, h int, header, footer string) string {
	lines := []string{header}
	switch {
	case m.confirm != nil:
		lines = append(lines, m.st.bold.Render(m.confirm.title))
		lines = append(lines, m.confirm.lines...)
		lines = append(lines, hints(hint(m.keys.Yes, "yes"), hint(m.keys.No, "no")))
	case m.doc.open:
		lines = append(lines, fit(m.st.bold.Render("Doctor")+" "+m.doctorStatus(), w))
		lines = append(lines, m.doctorWindow(w, max(h-3, 1))...)
	default:
		for i, p := range m.panes {
			cur := "  "
			if i == m.focus {
				cur = "▸ "
			}
			lines = append(lines, fit(cur+m.st.sym(p.level())+" "+m.st.bold.Render(padRight(p.title(), 12))+" "+p.summary(m.st), w))
		}
	}
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	if len(lines) < h {
		lines = append(lines, footer)
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	for i := range lines {
		lines[i] = fit(lines[i], w)
	}
	return strings.Join(lines, "\n")
}

func padRight(s string, n int) string {
	if w := ansi.StringWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// overall is the worst level of every pane, in words.
func (m *Model) overall() string {
	st := m.st
	if !m.certs.loaded {
		return st.mark(lvlNone, "loading")
	}
	lvl := max(m.certs.level(), m.trust.level(), m.svc.level(), m.reg.level())
	switch lvl {
	case lvlBad:
		return st.mark(lvlBad, "broken: see the ✗ panes")
	case lvlWarn, lvlBusy:
		return st.mark(lvlWarn, "needs attention")
	}
	return st.mark(lvlOK, "healthy")
}

func (m *Model) header(w int) string {
	left := m.st.bold.Render("esbtui") + " " + m.st.dim.Render(m.state.Home)
	right := m.overall()
	if b := m.alertBadge(); b != "" {
		right = b + "  " + right
	}
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return fit(right+" "+left, w)
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *Model) footer(w int) string {
	switch {
	case m.confirm != nil:
		return fit(m.confirmFooter(), w)
	case m.reg.filtering:
		k := m.keys
		return fit("filter: "+hints("type to narrow", hint(k.FilterKeep, "keep"), hint(k.FilterClear, "clear")), w)
	case m.showHelp:
		return fit(hints(hint(m.keys.Back, "close help"), hint(m.keys.Quit, "quit")), w)
	case m.doc.open:
		return fit(m.doctorFooter(), w)
	}
	m.help.ShowAll = false
	m.help.SetWidth(w)
	return fit(m.help.View(m.keys), w)
}
