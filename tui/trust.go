package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// trustPane lists every trust store and whether it trusts the CA.
type trustPane struct {
	st     *TrustState
	loaded bool
	rev    int
}

func (p *trustPane) set(s *TrustState) { p.st, p.loaded = s, true; p.rev++ }

func (p *trustPane) title() string { return "Trust" }

func (p *trustPane) version() int { return p.rev }

// key: the pane has no keys of its own.
func (p *trustPane) key(*keyMap, tea.KeyPressMsg) tea.Cmd { return nil }

func trustLevel(state string) int {
	switch state {
	case Trusted:
		return lvlOK
	case Stale:
		return lvlWarn
	case Missing:
		return lvlBad
	case Unknown:
		return lvlWarn
	}
	return lvlNone
}

func (p *trustPane) level() int {
	if p.st == nil {
		return lvlNone
	}
	if p.st.Err != "" {
		return lvlBad
	}
	lvl := lvlNone
	for _, s := range p.st.Stores {
		lvl = max(lvl, trustLevel(s.State))
	}
	return lvl
}

func (p *trustPane) counts() (ok, total int) {
	for _, s := range p.st.Stores {
		if s.State == NA {
			continue
		}
		total++
		if s.State == Trusted {
			ok++
		}
	}
	return ok, total
}

func (p *trustPane) status(st *styles) string {
	switch {
	case !p.loaded:
		return st.mark(lvlNone, "loading")
	case p.st == nil:
		return st.mark(lvlNone, "not available")
	case p.st.Err != "":
		return st.mark(lvlBad, "not checked")
	}
	ok, total := p.counts()
	return st.mark(p.level(), fmt.Sprintf("%d/%d trusted", ok, total))
}

func (p *trustPane) summary(st *styles) string {
	if p.st == nil {
		return "not available in this build"
	}
	var s string
	for _, t := range p.st.Stores {
		if t.State != Trusted && t.State != NA {
			s += " " + t.Name + " " + t.State
		}
	}
	if s == "" {
		return "all stores trust the CA"
	}
	return s[1:]
}

func (p *trustPane) body(f paneFrame) []string {
	st := f.st
	switch {
	case !p.loaded:
		return nil
	case p.st == nil:
		return []string{st.dim.Render(symOff + " trust stores: not available in this build")}
	case p.st.Err != "":
		return []string{st.bad.Render(symBad + " " + p.st.Err)}
	}
	nw := 8
	for _, s := range p.st.Stores {
		nw = max(nw, len(s.Name))
	}
	nw = min(nw, 20)
	lines := make([]string, 0, len(p.st.Stores)+1)
	for _, s := range p.st.Stores {
		lvl := trustLevel(s.State)
		if lvl == lvlOK && s.Warning != "" {
			lvl = lvlWarn
		}
		line := st.mark(lvl, fmt.Sprintf("%-*s %s", nw, s.Name, s.State))
		if s.Reason != "" {
			line += st.dim.Render("  " + s.Reason)
		}
		lines = append(lines, line)
		if s.Warning != "" {
			lines = append(lines, st.warn.Render("  "+symWarn+" "+s.Warning))
		}
	}
	for _, n := range p.st.Notes {
		lines = append(lines, st.dim.Render(symWarn+" "+n))
	}
	if ok, total := p.counts(); ok < total {
		lines = append(lines, st.dim.Render("press t to install the CA where it is missing"))
	}
	return lines
}
