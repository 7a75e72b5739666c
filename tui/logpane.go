package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
)

// maxLogLines bounds the Log pane's memory.
const maxLogLines = 2000

// logPane is a scrollable record of everything that happened.
type logPane struct {
	lines  []string
	vp     viewport.Model
	follow bool // stick to the bottom while new lines arrive
	w, h   int
	rev    int
}

func newLogPane() *logPane {
	return &logPane{vp: viewport.New(viewport.WithWidth(40), viewport.WithHeight(5)), follow: true}
}

func (p *logPane) title() string { return "Log" }

// level: the Log records, it has no state of its own.
func (p *logPane) level() int { return lvlNone }

// status: the Log's border carries no status.
func (p *logPane) status(*styles) string { return "" }

func (p *logPane) version() int { return p.rev }

// key scrolls (keyMap's scroll bindings drive the viewport).
func (p *logPane) key(k *keyMap, msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, k.Top):
		p.vp.GotoTop()
	case key.Matches(msg, k.Bottom):
		p.vp.GotoBottom()
	default:
		p.vp.KeyMap = k.viewport()
		return p.update(msg)
	}
	p.follow = p.vp.AtBottom()
	p.rev++
	return nil
}

func (p *logPane) add(t time.Time, line string) {
	p.lines = append(p.lines, t.Format("15:04:05")+" "+line)
	if len(p.lines) > maxLogLines {
		p.lines = p.lines[len(p.lines)-maxLogLines:]
	}
	p.vp.SetContentLines(p.lines)
	if p.follow {
		p.vp.GotoBottom()
	}
	p.rev++
}

func (p *logPane) resize(w, h int) {
	if w == p.w && h == p.h {
		return
	}
	p.w, p.h = w, h
	p.vp.SetWidth(max(w, 1))
	p.vp.SetHeight(max(h, 1))
	if p.follow {
		p.vp.GotoBottom()
	}
	p.rev++
}

func (p *logPane) update(msg tea.Msg) tea.Cmd {
	vp, cmd := p.vp.Update(msg)
	p.vp = vp
	p.follow = p.vp.AtBottom()
	p.rev++
	return cmd
}

func (p *logPane) summary(*styles) string {
	if len(p.lines) == 0 {
		return "empty"
	}
	return p.lines[len(p.lines)-1]
}

func (p *logPane) body(f paneFrame) []string {
	p.resize(f.w, f.h)
	if len(p.lines) == 0 {
		return nil
	}
	return strings.Split(p.vp.View(), "\n")
}
