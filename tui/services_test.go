package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/esbtui/esbtui/internal/progress"
)

// Before the first snapshot names the engine, the watch may already have
// sent the services: the pane says the engine is being reached, not an
// empty name.
func TestServicesEngineConnecting(t *testing.T) {
	st := newStyles(true)
	p := &servicesPane{}
	p.set(&StackState{Project: "esb", Services: healthyState().Stack.Services})
	body := ansi.Strip(strings.Join(p.body(paneFrame{st: st, w: 60, h: 10, now: t0}), "\n"))
	if !strings.Contains(body, "engine connecting…  project esb") {
		t.Errorf("no placeholder for the engine's name:\n%s", body)
	}
	p.set(healthyState().Stack)
	body = ansi.Strip(strings.Join(p.body(paneFrame{st: st, w: 60, h: 10, now: t0}), "\n"))
	if !strings.Contains(body, "engine docker 20.10.24 (API 1.41)  project esb") || strings.Contains(body, "connecting") {
		t.Errorf("the engine's name once known:\n%s", body)
	}
}

// setSnapshot changes what the fake's Snapshot answers (the engine is the
// same one the watch sees).
func (f *fake) setSnapshot(s State) {
	f.mu.Lock()
	f.state = s
	f.mu.Unlock()
}

// A dockerd restart under the dashboard: the watch says the engine is
// gone, retries fail with another error, then it is back. The Log says so
// once each way, however many states and snapshots repeat it.
func TestEngineDownUpLoggedOncePerTransition(t *testing.T) {
	f := &fake{state: healthyState(), watch: make(chan *StackState)}
	h := newHarness(t, f, 160, 48)
	services := healthyState().Stack.Services
	gone := []string{
		"stack: list containers of project esb: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\nmore detail",
		"stack: the Docker engine at unix:///var/run/docker.sock is not running or not reachable (dial unix /var/run/docker.sock: connect: no such file or directory): start it (`sudo systemctl start docker`, or start Docker Desktop), check DOCKER_HOST / `docker context ls`, or run the registry without an engine: `esbtui serve`",
	}
	f.setSnapshot(engineDownState())
	for i, e := range gone {
		f.watch <- &StackState{Project: "esb", EngineErr: e, Services: services}
		h.until("engine down "+string(rune('1'+i)), func(m *Model) bool {
			return m.svc.engine == engineDown && m.watchGen == i+1 && !m.refreshing
		})
	}
	f.setSnapshot(healthyState())
	f.watch <- healthyState().Stack
	h.until("engine back", func(m *Model) bool {
		return m.svc.engine == engineUp && m.watchGen == 3 && !m.refreshing
	})
	m := h.final()
	var down, back []string
	for _, l := range m.log.lines {
		l = ansi.Strip(l)
		switch {
		case strings.Contains(l, "engine unreachable"):
			down = append(down, l)
		case strings.Contains(l, "engine back"):
			back = append(back, l)
		}
	}
	want := "10:30:00 ✗ engine unreachable: list containers of project esb: Cannot connect to the Docker daemon at unix:///… (reconnecting)"
	if len(down) != 1 || down[0] != want {
		t.Errorf("engine-gone lines %q, want one: %q\nlog:\n%s", down, want, strings.Join(m.log.lines, "\n"))
	}
	if want := "10:30:00 ✓ engine back: docker 20.10.24 (API 1.41)"; len(back) != 1 || back[0] != want {
		t.Errorf("engine-back lines %q, want one: %q", back, want)
	}
	var notes []string
	for _, e := range f.noted {
		if e.Op == "engine" {
			notes = append(notes, string(e.Status)+" "+e.Message)
		}
	}
	if strings.Join(notes, "; ") != string(progress.Warning)+" engine unreachable; "+string(progress.Info)+" engine back: docker 20.10.24 (API 1.41)" {
		t.Errorf("esbtui.log notes %q", notes)
	}
}

// The state the dashboard opens on is shown, not logged as a change.
func TestEngineDownAtStartNotLogged(t *testing.T) {
	f := &fake{state: engineDownState()}
	h := newHarness(t, f, 80, 24)
	m := h.final()
	for _, l := range m.log.lines {
		if strings.Contains(l, "engine") {
			t.Errorf("logged %q for the first state", ansi.Strip(l))
		}
	}
}
