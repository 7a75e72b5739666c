package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// doctorView is the doctor overlay: `esbtui doctor`'s report over the
// panes, scrollable, closed with esc.
type doctorView struct {
	open    bool
	running bool
	report  *DoctorReport
	offset  int
	// job is the running doctor job's id; live are the links it has
	// reported so far, in order, the last one still running when its
	// status is "" (progress events, see Backend.Doctor).
	job  int
	live []doctorLive
}

// doctorLive is one link as the running doctor reported it.
type doctorLive struct {
	name   string
	status string // CheckOK… as in the report; "" while it runs
	text   string // its one-line result
}

// doctorAction is what a key in the overlay asks of the dashboard.
type doctorAction int

const (
	doctorStay  doctorAction = iota // scrolled, closed, or nothing
	doctorRerun                     // run the checks again
	doctorQuit                      // quit (asks when jobs run)
)

// key handles a key while the overlay is open: scrolling by line, page
// (page lines) or to either end, Back closes, Doctor runs it again once
// it has ended, Quit quits.
func (d *doctorView) key(k *keyMap, msg tea.KeyPressMsg, page int) doctorAction {
	switch {
	case key.Matches(msg, k.Back):
		d.open = false
	case key.Matches(msg, k.Doctor):
		if !d.running {
			return doctorRerun
		}
	case key.Matches(msg, k.Quit):
		return doctorQuit
	case key.Matches(msg, k.LineUp):
		d.offset--
	case key.Matches(msg, k.LineDown):
		d.offset++
	case key.Matches(msg, k.PageUp):
		d.offset -= page
	case key.Matches(msg, k.PageDown):
		d.offset += page
	case key.Matches(msg, k.Top):
		d.offset = 0
	case key.Matches(msg, k.Bottom):
		d.offset = 1 << 20
	}
	return doctorStay
}

// doctorKey routes a key to the overlay and does what it asks.
func (m *Model) doctorKey(msg tea.KeyPressMsg) tea.Cmd {
	switch m.doc.key(&m.keys, msg, max(m.doctorRoom()-1, 1)) {
	case doctorRerun:
		return m.runDoctor()
	case doctorQuit:
		return m.askQuit()
	}
	return nil
}

// doctorFooter is the overlay's help line.
func (m *Model) doctorFooter() string {
	k := m.keys
	again := k.Doctor
	again.SetEnabled(!m.doc.running)
	return hints(helpKeys(k.LineUp, k.LineDown)+" "+helpKeys(k.PageUp, k.PageDown)+" scroll",
		hint(k.Back, "close"), hint(again, "run again"), hint(k.Quit, "quit"))
}

// doctorRoom is how many report lines fit on the screen.
func (m *Model) doctorRoom() int {
	if m.w < minW || m.h < minH {
		return max(m.h-3, 1)
	}
	return max(m.h-4, 1)
}

// doctorStatus is the overlay's title status: the verdict in words.
func (m *Model) doctorStatus() string {
	st := m.st
	r := m.doc.report
	switch {
	case m.doc.running:
		if n := m.doctorChecked(); n > 0 {
			return st.mark(lvlBusy, fmt.Sprintf("running (%d checked)", n))
		}
		return st.mark(lvlBusy, "running")
	case r == nil:
		return ""
	}
	fails, warns := 0, 0
	for _, c := range r.Checks {
		switch c.Status {
		case CheckFail:
			fails++
		case CheckWarn:
			warns++
		}
	}
	switch {
	case fails > 0:
		return st.mark(lvlBad, fmt.Sprintf("%d failed", fails))
	case warns > 0:
		return st.mark(lvlWarn, plural(warns, "warning", "warnings"))
	}
	return st.mark(lvlOK, "all ok")
}

// doctorLines lays the report out for w cells: the verdict first (the
// first broken link and its fix, highlighted), then every check as
// `esbtui doctor` prints it, with its why wrapped under it.
func (m *Model) doctorLines(w int) []string {
	st := m.st
	var lines []string
	if m.doc.running {
		lines = append(lines, st.mark(lvlBusy, "checking every link: CA, server certificate, trust stores, engine,"),
			"  certs.d, stack, TLS with the system roots, /v2/, then a probe image",
			"  pushed, pulled back, run and deleted (up to 2 minutes).", "")
		if len(m.doc.live) > 0 {
			lines = append(append(lines, m.doctorLiveLines(w)...), "")
		}
		if m.doc.report == nil {
			return append(lines, st.dim.Render("esc hides this; the report opens when the checks end."))
		}
		lines = append(lines, st.dim.Render("The previous report:"), "")
	}
	r := m.doc.report
	if r == nil {
		return lines
	}
	first, failed := r.FirstFailure()
	bad := func(s string) string { return st.bad.Render(s) }
	switch {
	case failed:
		lines = append(lines, bad(symBad+" First broken link: "+first.Name))
		lines = append(lines, wrapIndent("  ", "fix: "+first.Fix, w, "       ", bad)...)
	case len(r.Checks) == 0:
		lines = append(lines, st.mark(lvlNone, "no checks ran"))
	default:
		lines = append(lines, st.mark(lvlOK, fmt.Sprintf("All %d checks passed.", len(r.Checks))))
	}
	lines = append(lines, "")
	nameW := 0
	if w >= 100 {
		nameW = 32
	}
	indent := strings.Repeat(" ", 8)
	if nameW > 0 {
		indent += strings.Repeat(" ", nameW+1)
	}
	for _, c := range r.Checks {
		prefix := doctorMark(st, c.Status) + "  "
		if nameW > 0 {
			prefix += padRight(c.Name, nameW) + " "
		} else {
			prefix += st.bold.Render(c.Name) + ": "
		}
		lines = append(lines, wrapIndent(prefix, c.Why, w, indent, nil)...)
		if c.Fix == "" || c.Status == CheckOK {
			continue
		}
		if failed && c.Name == first.Name && c.Status == CheckFail {
			lines = append(lines, wrapIndent(indent[:len(indent)-2], "→ fix: "+c.Fix, w, indent+"       ", bad)...)
			continue
		}
		lines = append(lines, wrapIndent(indent, "fix: "+c.Fix, w, indent+"     ", nil)...)
	}
	return lines
}

// doctorLiveLines are the links reported so far, one line each (cut to w
// cells: the full words come with the report), laid out like the report's
// rows; the link running now is marked "… now" and says "running…".
func (m *Model) doctorLiveLines(w int) []string {
	st := m.st
	lines := make([]string, 0, len(m.doc.live))
	for _, l := range m.doc.live {
		mark, text := doctorMark(st, l.status), l.text
		if l.status == "" {
			mark, text = st.warn.Render(symBusy+" now "), "running…"
		}
		row := mark + "  "
		if w >= 100 {
			row += padRight(l.name, 32) + " "
		} else {
			row += st.bold.Render(l.name) + ": "
		}
		lines = append(lines, ansi.Truncate(row+text, w, "…"))
	}
	return lines
}

// doctorMark is the CLI's verdict column: ✓ ok, ! warn, ✗ FAIL, - skip.
func doctorMark(st *styles, status string) string {
	switch status {
	case CheckOK:
		return st.ok.Render(symOK + " ok  ")
	case CheckWarn:
		return st.warn.Render(symWarn + " warn")
	case CheckFail:
		return st.bad.Render(symBad + " FAIL")
	}
	return st.dim.Render("- skip")
}

// doctorWindow renders the overlay's visible window of lines (room lines,
// scrolled to the offset, clamped).
func (m *Model) doctorWindow(w, room int) []string {
	lines := m.doctorLines(w)
	maxOff := max(len(lines)-room, 0)
	m.doc.offset = min(max(m.doc.offset, 0), maxOff)
	end := min(m.doc.offset+room, len(lines))
	return lines[m.doc.offset:end]
}

// doctorScroll says where the window is when the report does not fit.
func (m *Model) doctorScroll(w, room int) string {
	n := len(m.doctorLines(w))
	if n <= room {
		return ""
	}
	return fmt.Sprintf("lines %d-%d of %d", m.doc.offset+1, min(m.doc.offset+room, n), n)
}
