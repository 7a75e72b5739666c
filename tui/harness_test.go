package tui

import (
	"context"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// harness runs the root model in a teatest program over a fake backend.
type harness struct {
	t  *testing.T
	f  *fake
	m  *Model
	tm *teatest.TestModel

	mu   sync.Mutex
	cond func(*Model) bool
	hit  chan struct{}
}

func newHarness(t *testing.T, f *fake, w, h int, env ...string) *harness {
	t.Helper()
	return newHarnessWith(t, f, Options{Width: w, Height: h}, env...)
}

// newHarnessWith is newHarness with options; the clock is fixed, and
// metrics are scraped once unless o.MetricsEvery says otherwise (so that
// frames do not depend on timing).
func newHarnessWith(t *testing.T, f *fake, o Options, env ...string) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w, h := o.Width, o.Height
	o.Now = fixedNow
	if o.MetricsEvery == 0 {
		o.MetricsEvery = time.Hour
	}
	m := New(ctx, f, o)
	hs := &harness{t: t, f: f, m: m}
	m.observe = hs.check
	opts := []tea.ProgramOption{tea.WithEnvironment(append([]string{"TERM=xterm-256color"}, env...))}
	if len(env) == 0 {
		opts = append(opts, tea.WithColorProfile(colorprofile.ANSI256))
	}
	hs.tm = teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h), teatest.WithProgramOptions(opts...))
	hs.until("first snapshot", func(m *Model) bool { return m.certs.loaded })
	return hs
}

// check runs on the program's goroutine after every Update.
func (h *harness) check(m *Model) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cond != nil && h.cond(m) {
		h.cond = nil
		close(h.hit)
	}
}

// until waits until cond holds for the model (checked after each Update).
// Conditions already true are only seen after the next message, so callers
// wait for changes they caused.
func (h *harness) until(what string, cond func(*Model) bool) {
	h.t.Helper()
	hit := make(chan struct{})
	h.mu.Lock()
	h.cond, h.hit = cond, hit
	h.mu.Unlock()
	h.tm.Send(nudgeMsg{}) // makes Update run once even if nothing else comes
	select {
	case <-hit:
	case <-time.After(5 * time.Second):
		h.t.Fatalf("timed out waiting for %s; calls %v", what, h.f.Calls())
	}
}

type nudgeMsg struct{}

func (h *harness) keys(keys ...string) {
	for _, k := range keys {
		h.tm.Send(keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// final quits the program and returns the final model.
func (h *harness) final() *Model {
	h.t.Helper()
	if err := h.tm.Quit(); err != nil {
		h.t.Fatal(err)
	}
	m := h.tm.FinalModel(h.t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	m.closeNotes() // as Run does once the program ends
	return m
}

func jobIs(name string, state jobState) func(*Model) bool {
	return func(m *Model) bool {
		for _, j := range m.jobs.jobs {
			if j.name == name && j.state == state {
				return true
			}
		}
		return false
	}
}

func (h *harness) called(want string) {
	h.t.Helper()
	if !slices.Contains(h.f.Calls(), want) {
		h.t.Fatalf("backend calls %v, want %q among them", h.f.Calls(), want)
	}
}

// readAll returns what the program wrote to the terminal (call after final).
func readAll(t *testing.T, h *harness) string {
	t.Helper()
	b, err := io.ReadAll(h.tm.FinalOutput(t, teatest.WithFinalTimeout(5*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
