package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// servicesPane shows the engine and the compose services.
type servicesPane struct {
	st     *StackState
	loaded bool
	cursor int
	rev    int
	// engine is whether the last state said the engine answers
	// (engineUnknown until a state says either way).
	engine int
}

// What the Services pane knows of the engine.
const (
	engineUnknown = iota
	engineUp
	engineDown
)

func (p *servicesPane) set(s *StackState) {
	p.st, p.loaded = s, true
	if s != nil {
		p.engine = engineUp
		if s.EngineErr != "" {
			p.engine = engineDown
		}
	}
	if s != nil && p.cursor >= len(s.Services) {
		p.cursor = max(len(s.Services)-1, 0)
	}
	p.rev++
}

func (p *servicesPane) title() string { return "Services" }

func (p *servicesPane) version() int { return p.rev }

// key moves the selection (the service l follows, b and p build).
func (p *servicesPane) key(k *keyMap, msg tea.KeyPressMsg) tea.Cmd {
	if d := k.lineStep(msg); d != 0 {
		p.move(d)
	}
	return nil
}

func (p *servicesPane) selected() string {
	if p.st == nil || p.cursor >= len(p.st.Services) {
		return ""
	}
	return p.st.Services[p.cursor].Name
}

func (p *servicesPane) move(d int) {
	if p.st == nil || len(p.st.Services) == 0 {
		return
	}
	p.cursor = min(max(p.cursor+d, 0), len(p.st.Services)-1)
	p.rev++
}

func serviceLevel(s Service) int {
	switch {
	case s.Health == "unhealthy" || s.State == "exited" || s.State == "dead":
		return lvlBad
	case s.Health == "starting" || s.State == "restarting" || s.State == "created":
		return lvlBusy
	case s.State == "running":
		return lvlOK
	}
	return lvlWarn
}

func (p *servicesPane) level() int {
	switch {
	case p.st == nil:
		return lvlNone
	case p.st.Serving:
		return lvlOK
	case p.st.EngineErr != "":
		return lvlBad
	case len(p.st.Services) == 0:
		return lvlWarn
	}
	lvl := lvlNone
	for _, s := range p.st.Services {
		lvl = max(lvl, serviceLevel(s))
	}
	return lvl
}

func (p *servicesPane) status(st *styles) string {
	switch {
	case !p.loaded:
		return st.mark(lvlNone, "loading")
	case p.st == nil:
		return st.mark(lvlNone, "not available")
	case p.st.Serving:
		return st.mark(lvlOK, "in-process registry")
	case p.st.EngineErr != "":
		return st.mark(lvlBad, "engine down")
	case len(p.st.Services) == 0:
		return st.mark(lvlWarn, "stack down")
	}
	up := 0
	for _, s := range p.st.Services {
		if serviceLevel(s) == lvlOK {
			up++
		}
	}
	return st.mark(p.level(), fmt.Sprintf("%d/%d up", up, len(p.st.Services)))
}

func (p *servicesPane) summary(st *styles) string {
	switch {
	case p.st == nil:
		return "not available in this build"
	case p.st.EngineErr != "":
		return "engine unreachable (s: serve in-process)"
	case len(p.st.Services) == 0:
		return "no services running (u: up)"
	}
	names := make([]string, 0, len(p.st.Services))
	for _, s := range p.st.Services {
		names = append(names, s.Name+" "+serviceWords(s))
	}
	return strings.Join(names, ", ")
}

func serviceWords(s Service) string {
	if s.Health != "" {
		return s.State + " " + s.Health
	}
	return s.State
}

func (p *servicesPane) body(f paneFrame) []string {
	st, now, focused := f.st, f.now, f.focused
	switch {
	case !p.loaded:
		return nil
	case p.st == nil:
		return []string{st.dim.Render(symOff + " compose services: not available in this build")}
	}
	var lines []string
	if p.st.EngineErr != "" {
		lines = append(lines, st.bad.Render(symBad+" engine unreachable: ")+p.st.EngineErr)
		if p.st.Serving {
			lines = append(lines, st.ok.Render(symOK+" in-process registry serving (esbtui serve)"))
		} else {
			lines = append(lines, "press "+st.bold.Render("s")+" to serve the registry in-process")
		}
	} else {
		// The watch can answer before the first snapshot has named the
		// engine.
		engine := p.st.Engine
		if engine == "" {
			engine = "connecting…"
		}
		lines = append(lines, st.dim.Render("engine "+engine+"  project "+p.st.Project))
		if p.st.Serving {
			lines = append(lines, st.ok.Render(symOK+" in-process registry serving (esbtui serve)"))
		}
	}
	if len(p.st.Services) == 0 && p.st.EngineErr == "" {
		lines = append(lines, st.mark(lvlWarn, "no services running")+st.dim.Render("  press u to start the stack"))
	}
	nw := 8
	for _, s := range p.st.Services {
		nw = max(nw, len(s.Name))
	}
	nw = min(nw, 18)
	for i, s := range p.st.Services {
		cur := "  "
		if focused && i == p.cursor {
			cur = st.sel.Render("› ")
		}
		line := cur + st.mark(serviceLevel(s), fmt.Sprintf("%-*s %-8s %-9s", nw, s.Name, s.State, s.Health))
		if len(s.Ports) > 0 {
			line += " " + strings.Join(s.Ports, ",")
		}
		if s.TrustCA {
			line += " " + st.ok.Render("CA")
		}
		if !s.Started.IsZero() && s.State == "running" {
			line += st.dim.Render(" up " + humanDuration(now.Sub(s.Started)))
		}
		lines = append(lines, line)
		if s.Detail != "" && serviceLevel(s) != lvlOK {
			lines = append(lines, st.dim.Render("    "+s.Detail))
		}
		if s.Image != "" {
			lines = append(lines, st.dim.Render("    "+s.Image))
		}
	}
	return lines
}
