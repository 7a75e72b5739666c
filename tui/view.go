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
		m.help.ShowAll = true
		m.help.SetWidth(w - 4)
		hl := strings.Split(m.help.View(m.keys), "\n")
		hl = append(hl, "", "Panes: Certificates · Trust · Services · Registry · Jobs · Log (tab / shift+tab).",
			"States read as words and symbols: ✓ good  ! attention  ✗ broken  … busy  · n/a.",
			"esc or ? closes this help.")
		body = m.st.box("Help", "", hl, w, bodyH, true)
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

func (m *Model) paneVersion(i int) int {
	switch i {
	case paneCerts:
		return m.certs.version
	case paneTrust:
		return m.trust.version
	case paneServices:
		return m.svc.version
	case paneRegistry:
		return m.reg.version
	case paneJobs:
		return m.jobs.version
	}
	return m.log.version
}

// pane renders pane i at w x h, from the cache when nothing changed.
func (m *Model) pane(i, w, h int) string {
	focused := m.focus == i
	ver := m.paneVersion(i)
	c := &m.cache[i]
	if c.s != "" && c.w == w && c.h == h && c.ver == ver && c.gen == m.styleGen && c.focused == focused {
		return c.s
	}
	iw, ih := w-2, h-2
	st := m.st
	var title, status string
	var body []string
	switch i {
	case paneCerts:
		title, status, body = m.certs.title(), m.certs.status(st), m.certs.body(st, iw, ih)
	case paneTrust:
		title, status, body = m.trust.title(), m.trust.status(st), m.trust.body(st, iw, ih)
	case paneServices:
		title, status, body = m.svc.title(), m.svc.status(st), m.svc.body(st, iw, ih, m.now(), focused)
	case paneRegistry:
		title, status, body = m.reg.title(), m.reg.status(st), m.reg.body(st, iw, ih+2, focused)
	case paneJobs:
		title, status, body = m.jobs.title(), m.jobs.status(st), m.jobs.body(st, iw, ih)
	default:
		title, body = m.log.title(), m.log.body(iw, ih)
	}
	s := st.box(title, status, body, w, h, focused)
	// body() may have changed the version (log resize, registry offset).
	*c = cached{w: w, h: h, ver: m.paneVersion(i), gen: m.styleGen, focused: focused, s: s}
	return s
}

func (m *Model) paneLine(i int) (string, string, int) {
	st := m.st
	switch i {
	case paneCerts:
		return m.certs.title(), m.certs.summary(st), m.certs.level()
	case paneTrust:
		return m.trust.title(), m.trust.summary(st), m.trust.level()
	case paneServices:
		return m.svc.title(), m.svc.summary(st), m.svc.level()
	case paneRegistry:
		return m.reg.title(), m.reg.summary(st), m.reg.level()
	case paneJobs:
		return m.jobs.title(), m.jobs.summary(st), m.jobs.level()
	}
	return m.log.title(), m.log.summary(), lvlNone
}

// compact is the layout below 80x24: one line per pane.
func (m *Model) compact(w, h int, header, footer string) string {
	lines := []string{header}
	switch {
	case m.confirm != nil:
		lines = append(lines, m.st.bold.Render(m.confirm.title))
		lines = append(lines, m.confirm.lines...)
		lines = append(lines, "y yes · n no")
	case m.doc.open:
		lines = append(lines, fit(m.st.bold.Render("Doctor")+" "+m.doctorStatus(), w))
		lines = append(lines, m.doctorWindow(w, max(h-3, 1))...)
	default:
		for i := 0; i < numPanes; i++ {
			title, sum, lvl := m.paneLine(i)
			cur := "  "
			if i == m.focus {
				cur = "▸ "
			}
			lines = append(lines, fit(cur+m.st.sym(lvl)+" "+m.st.bold.Render(padRight(title, 12))+" "+sum, w))
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
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return fit(right+" "+left, w)
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *Model) footer(w int) string {
	switch {
	case m.confirm != nil:
		return fit(m.st.bold.Render("y")+" yes · "+m.st.bold.Render("n")+" no", w)
	case m.reg.filtering:
		return fit("filter: type to narrow · enter keep · esc clear", w)
	case m.showHelp:
		return fit("esc close help · q quit", w)
	case m.doc.open:
		again := " · c run again"
		if m.doc.running {
			again = ""
		}
		return fit("↑/↓ pgup/pgdn scroll · esc close"+again+" · q quit", w)
	}
	m.help.ShowAll = false
	m.help.SetWidth(w)
	return fit(m.help.View(m.keys), w)
}
