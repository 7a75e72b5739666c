package tui

import (
	"strings"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// setStack shows a new state of the stack (from a snapshot or the engine's
// events) and logs the engine going away or coming back: one Log line per
// transition, however many states (retries, snapshots) repeat it. The
// state the dashboard starts with is shown, not logged.
func (m *Model) setStack(s *StackState) {
	was := m.svc.engine
	m.svc.set(s)
	m.reg.setStackRegistry(hasRegistryContainer(s))
	if was == engineUnknown || was == m.svc.engine {
		return
	}
	if m.svc.engine == engineDown {
		retry := "reconnecting"
		if m.watch == nil {
			retry = "r retries"
		}
		line := "engine unreachable: " + shortReason(s.EngineErr) + " (" + retry + ")"
		m.logLine(m.now(), m.st.mark(lvlBad, line))
		m.note(progress.Event{Op: "engine", Status: progress.Warning, Message: "engine unreachable", Err: s.EngineErr})
		return
	}
	line := "engine back"
	if s.Engine != "" {
		line += ": " + s.Engine
	}
	m.logLine(m.now(), m.st.mark(lvlOK, line))
	m.note(progress.Event{Op: "engine", Status: progress.Info, Message: line})
}

// maxReason bounds the reason in an "engine unreachable" Log line; the
// Services pane and esbtui.log keep the whole error.
const maxReason = 80

// shortReason is an error's first line without its package prefix, cut to
// maxReason characters.
func shortReason(err string) string {
	err, _, _ = strings.Cut(err, "\n")
	err = strings.TrimPrefix(strings.TrimSpace(err), "stack: ")
	if r := []rune(err); len(r) > maxReason {
		err = strings.TrimSpace(string(r[:maxReason-1])) + "…"
	}
	return err
}

// hasRegistryContainer: the stack runs a registry container, whose
// notifications the events listener receives (the in-process registry
// sends none).
func hasRegistryContainer(s *StackState) bool {
	if s == nil || s.EngineErr != "" {
		return false
	}
	for _, svc := range s.Services {
		if svc.Name == flows.RegistryService {
			return true
		}
	}
	return false
}
