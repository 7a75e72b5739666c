package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/termtext"
)

// warnDays is when the dashboard starts warning about a certificate.
const warnDays = 30

// certPane shows the CA and the server certificate.
type certPane struct {
	rep    flows.CertReport
	loaded bool
	rev    int
}

// set takes a new report. Its certificates are files in the certificate
// directory (outside input): their text is cleaned once, here.
func (p *certPane) set(r flows.CertReport) {
	r.CA, r.Server, r.Signing = cleanCertInfo(r.CA), cleanCertInfo(r.Server), cleanCertInfo(r.Signing)
	p.rep, p.loaded = r, true
	p.rev++
}

// cleanCertInfo is c with the text that comes from the certificate (and the
// messages quoting it) stripped of control sequences.
func cleanCertInfo(c flows.CertInfo) flows.CertInfo {
	c.Subject, c.ChainError = termtext.Clean(c.Subject), termtext.Clean(c.ChainError)
	c.SANs, c.Constraints = cleanAll(c.SANs), cleanAll(c.Constraints)
	c.Problems, c.Warnings = cleanAll(c.Problems), cleanAll(c.Warnings)
	return c
}

func cleanAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = termtext.Clean(s)
	}
	return out
}

func (p *certPane) title() string { return "Certificates" }

func (p *certPane) version() int { return p.rev }

// key: the pane has no keys of its own.
func (p *certPane) key(*keyMap, tea.KeyPressMsg) tea.Cmd { return nil }

func certLevel(c flows.CertInfo) int {
	switch {
	case !c.OK():
		return lvlBad
	case len(c.Warnings) > 0 || c.DaysLeft < warnDays:
		return lvlWarn
	}
	return lvlOK
}

func (p *certPane) level() int {
	if !p.loaded {
		return lvlNone
	}
	return max(certLevel(p.rep.CA), certLevel(p.rep.Server))
}

func (p *certPane) status(st *styles) string {
	switch p.level() {
	case lvlNone:
		return st.mark(lvlNone, "loading")
	case lvlOK:
		return st.mark(lvlOK, "valid")
	case lvlWarn:
		return st.mark(lvlWarn, "expiring")
	}
	if !p.rep.CA.Present {
		return st.mark(lvlBad, "no CA")
	}
	return st.mark(lvlBad, "broken")
}

// summary is the one-line form used when the terminal is too small.
func (p *certPane) summary(st *styles) string {
	if !p.loaded {
		return "loading"
	}
	return certSummary(p.rep.CA, "CA") + "  " + certSummary(p.rep.Server, "server")
}

func certSummary(c flows.CertInfo, name string) string {
	if !c.Present {
		return name + " missing"
	}
	return fmt.Sprintf("%s %dd", name, c.DaysLeft)
}

func (p *certPane) body(f paneFrame) []string {
	st, w := f.st, f.w
	if !p.loaded {
		return []string{st.dim.Render("reading " + p.rep.Dir)}
	}
	ca, srv, sig := p.rep.CA, p.rep.Server, p.rep.Signing
	lines := []string{certLine(st, "root CA", ca, w), certLine(st, "server ", srv, w)}
	shown := []flows.CertInfo{ca, srv}
	// The code-signing certificate, once there is one (image signatures).
	if sig.Present {
		lines = append(lines, certLine(st, "signing", sig, w))
		shown = append(shown, sig)
	}
	for _, c := range shown {
		for _, pr := range c.Problems {
			lines = append(lines, st.bad.Render(symBad+" "+pr))
		}
		for _, wn := range c.Warnings {
			lines = append(lines, st.warn.Render(symWarn+" "+wn))
		}
	}
	if srv.Present {
		lines = append(lines, "  key "+tick(st, srv.KeyMatch, "matches", "mismatch")+"  chain "+tick(st, srv.ChainValid, "verifies", "fails"))
		if len(srv.SANs) > 0 {
			lines = append(lines, st.dim.Render("  names ")+strings.Join(srv.SANs, ", "))
		}
	}
	if ca.Present {
		lines = append(lines, st.dim.Render("  CA sha256 ")+ca.Fingerprint)
	}
	if srv.Present {
		lines = append(lines, st.dim.Render("  server sha256 ")+srv.Fingerprint)
	}
	if len(ca.Constraints) > 0 {
		lines = append(lines, st.dim.Render("  CA permits ")+strings.Join(ca.Constraints, ", "))
	}
	lines = append(lines, st.dim.Render("  dir "+p.rep.Dir))
	return lines
}

func certLine(st *styles, name string, c flows.CertInfo, w int) string {
	lvl := certLevel(c)
	if !c.Present {
		return st.sym(lvl) + " " + name + " " + st.bad.Render("missing") + st.dim.Render(" (press i)")
	}
	days := fmt.Sprintf("%d days left", c.DaysLeft)
	switch {
	case c.DaysLeft < 0:
		days = st.bad.Render("expired")
	case c.DaysLeft < warnDays:
		days = st.warn.Render(days)
	}
	line := fmt.Sprintf("%s %s %s · %s", st.sym(lvl), name, c.KeyType, days)
	if w >= 60 {
		line += " · until " + c.NotAfter.Format("2006-01-02")
	}
	return line
}

func tick(st *styles, ok bool, yes, no string) string {
	if ok {
		return st.ok.Render(symOK + " " + yes)
	}
	return st.bad.Render(symBad + " " + no)
}
