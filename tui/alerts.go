package tui

import (
	"fmt"
	"strings"

	"github.com/esbtui/esbtui/internal/flows"
)

// alertRoom is the pane height (body lines) from which every alert gets its
// own line; below it the ok and unknown ones share one, and below
// alertRoomSome they are left out (the firing ones always show).
const (
	alertRoom     = 12
	alertRoomSome = 8
)

// setLiveAlerts replaces the snapshot's metrics alerts with the ones the
// dashboard judged over its own window; nil goes back to the snapshot's.
func (p *registryPane) setLiveAlerts(a []flows.Alert) {
	p.liveAlerts = a
	p.rev++
}

// alerts are the snapshot's alerts with the metrics ones the dashboard
// judged itself, when it has.
func (p *registryPane) alerts() []flows.Alert {
	if p.st == nil {
		return nil
	}
	if len(p.liveAlerts) == 0 {
		return p.st.Alerts
	}
	live := map[string]flows.Alert{}
	for _, a := range p.liveAlerts {
		live[a.Name] = a
	}
	out := make([]flows.Alert, 0, len(p.st.Alerts))
	for _, a := range p.st.Alerts {
		if l, ok := live[a.Name]; ok {
			a = l
		}
		out = append(out, a)
	}
	return out
}

// alertLevel is the pane level the alerts call for.
func alertLevel(alerts []flows.Alert) int {
	switch flows.WorstAlert(alerts) {
	case flows.AlertFail:
		return lvlBad
	case flows.AlertWarn:
		return lvlWarn
	}
	return lvlOK
}

func alertSym(st *styles, a flows.Alert) string {
	switch a.Level {
	case flows.AlertOK:
		return st.ok.Render(symOK)
	case flows.AlertWarn:
		return st.warn.Render(symWarn)
	case flows.AlertFail:
		return st.bad.Render(symBad)
	}
	return st.dim.Render("?")
}

// alertLines are the Registry pane's alert lines: one per alert when the
// pane has room (h lines), else one per warn or fail and, room allowing,
// one for the rest.
// A warn or fail line carries its fix.
func alertLines(st *styles, alerts []flows.Alert, w, h int) []string {
	var lines, rest []string
	for _, a := range alerts {
		switch {
		case a.Firing():
			line := alertSym(st, a) + " " + a.Name + " " + a.Short
			if a.Fix != "" {
				line += st.dim.Render(" — " + a.Fix)
			}
			lines = append(lines, fit(line, w))
		case h >= alertRoom:
			lines = append(lines, fit(alertSym(st, a)+" "+a.Name+" "+st.dim.Render(a.Short), w))
		default:
			rest = append(rest, alertSym(st, a)+" "+a.Name+" "+st.dim.Render(a.Short))
		}
	}
	if len(rest) > 0 && h >= alertRoomSome {
		lines = append(lines, fit(strings.Join(rest, st.dim.Render(" · ")), w))
	}
	return lines
}

// alertBadge is the header's word on the alerts that fire: "✗ storage
// 96.0 % of 64.0 MiB", "! 2 alerts"; empty when none does.
func (m *Model) alertBadge() string {
	firing := firingAlerts(m.reg.alerts())
	switch len(firing) {
	case 0:
		return ""
	case 1:
		a := firing[0]
		return m.st.mark(alertLevel(firing), a.Name+" "+a.Short)
	}
	return m.st.mark(alertLevel(firing), fmt.Sprintf("%d alerts", len(firing)))
}

// firingNames names the alerts at warn or fail with their values
// ("storage 88.0 % of 64.0 MiB, push success 83.3 % of 30").
func firingNames(alerts []flows.Alert) string {
	var parts []string
	for _, a := range firingAlerts(alerts) {
		parts = append(parts, a.Name+" "+a.Short)
	}
	return strings.Join(parts, ", ")
}

// firingAlerts are the alerts at warn or fail, in order.
func firingAlerts(alerts []flows.Alert) []flows.Alert {
	var firing []flows.Alert
	for _, a := range alerts {
		if a.Firing() {
			firing = append(firing, a)
		}
	}
	return firing
}
