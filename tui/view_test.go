package tui

import (
	"context"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// newStatic is a model fed a state directly: pure Update/View, no program.
func newStatic(s State, w, h int) *Model {
	m := New(context.Background(), &fake{state: s}, Options{Now: fixedNow, Width: w, Height: h})
	m.Update(snapshotMsg{s: s})
	return m
}

func TestViewSizeIsExact(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {100, 30}, {160, 48}, {200, 50}, {60, 20}, {40, 5}} {
		m := newStatic(healthyState(), sz[0], sz[1])
		lines := strings.Split(m.View().Content, "\n")
		if len(lines) != sz[1] {
			t.Errorf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w != sz[0] {
				t.Errorf("%dx%d: line %d is %d cells wide: %q", sz[0], sz[1], i, w, ansi.Strip(l))
			}
		}
	}
}

func TestCompactBelow80x24(t *testing.T) {
	m := newStatic(engineDownState(), 79, 24)
	v := plainView(m)
	for _, want := range []string{"✗ Services", "engine unreachable (s: serve in-process)", "✓ Certificates", "✗ Registry"} {
		if !strings.Contains(v, want) {
			t.Errorf("compact frame lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "╭") {
		t.Errorf("compact frame still draws boxes:\n%s", v)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if !strings.Contains(plainView(m), "╭─ Trust") {
		t.Error("80x24 does not draw the full layout")
	}
}

// Every state must read in words and symbols, whatever the colours.
func TestStatesInWords(t *testing.T) {
	cases := map[string][]string{
		"fresh":    {"✗ root CA missing", "✗ not checked", "✗ trust: no CA at", "! no services running", "✗ localhost:5000 unreachable", "✗ broken"},
		"expiring": {"! server", "12 days left", "! docker   stale", "! expiring", "! needs attention"},
		"down":     {"✗ engine unreachable", "press s to serve", "✗ engine down"},
		"healthy":  {"✓ root CA", "✓ system   trusted", "· java     n/a", "✓ registry running  healthy", "✓ healthy"},
	}
	states := map[string]State{"fresh": freshState(), "expiring": expiringState(), "down": engineDownState(), "healthy": healthyState()}
	for name, wants := range cases {
		v := plainView(newStatic(states[name], 160, 48))
		for _, w := range wants {
			if !strings.Contains(v, w) {
				t.Errorf("%s: frame lacks %q:\n%s", name, w, v)
			}
		}
	}
}

func TestFocusAndHelp(t *testing.T) {
	m := newStatic(healthyState(), 80, 24)
	m.Update(keyMsg("tab"))
	if m.focus != paneTrust || !strings.Contains(plainView(m), "▸ Trust") {
		t.Fatalf("tab: focus %d", m.focus)
	}
	m.Update(keyMsg("shift+tab"))
	m.Update(keyMsg("shift+tab"))
	if m.focus != paneLog {
		t.Fatalf("shift+tab twice from Trust: focus %d, want Log", m.focus)
	}
	m.Update(keyMsg("?"))
	v := plainView(m)
	for _, want := range []string{"install trust", "registry GC", "service logs", "delete tag", "cancel jobs/quit"} {
		if !strings.Contains(v, want) {
			t.Errorf("full help lacks %q:\n%s", want, v)
		}
	}
	m.Update(keyMsg("esc"))
	if m.showHelp {
		t.Error("esc did not close the help")
	}
}

var sgr = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// colourSGR reports whether s sets a foreground or background colour.
func colourSGR(s string) bool {
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			switch {
			case p == "38" || p == "48",
				len(p) == 2 && (p[0] == '3' || p[0] == '4') && p[1] <= '7',
				len(p) == 2 && p[0] == '9', len(p) == 3 && p[:2] == "10":
				return true
			}
		}
	}
	return false
}

func TestNoColourTerminals(t *testing.T) {
	for _, env := range []string{"NO_COLOR=1", "TERM=dumb"} {
		t.Run(env, func(t *testing.T) {
			f := &fake{state: expiringState()}
			h := newHarness(t, f, 80, 24, env)
			h.keys("tab")
			h.until("focus moved", func(m *Model) bool { return m.focus == paneTrust })
			h.final()
			out := readAll(t, h)
			if colourSGR(out) {
				t.Errorf("%s: colour escapes in the output: %q", env, firstSGR(out))
			}
			if !strings.Contains(out, "stale") || !strings.Contains(out, "expiring") {
				t.Errorf("%s: states not in words in the output", env)
			}
		})
	}
	if !colourSGR(newStatic(healthyState(), 80, 24).View().Content) {
		t.Fatal("colourSGR finds nothing in a coloured frame: the check is broken")
	}
}

func firstSGR(s string) string {
	for _, m := range sgr.FindAllString(s, -1) {
		if colourSGR(m) {
			return m
		}
	}
	return ""
}
