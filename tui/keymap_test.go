package tui

import (
	"reflect"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// rebind is b on other keys, its help unchanged.
func rebind(b key.Binding, keys ...string) key.Binding {
	b.SetKeys(keys...)
	return b
}

var ctrlX = tea.KeyPressMsg{Code: 'x', Mod: tea.ModCtrl}

// Every key is matched against the keyMap with key.Matches: a binding
// moved to another key acts on the new key and no longer on the old one,
// in every place keys are handled (the root, a pane, the yes/no prompt,
// the filter, the doctor overlay, the Log's viewport).
func TestRemappedBindingsAreHonoured(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(m *Model)
		remap    func(k *keyMap)
		old, new tea.KeyPressMsg
		did      func(m *Model) bool
	}{
		{
			name:  "action: init",
			remap: func(k *keyMap) { k.Init = rebind(k.Init, "I") },
			old:   keyMsg("i"), new: keyMsg("I"),
			did: func(m *Model) bool { return len(m.jobs.jobs) == 1 && m.jobs.jobs[0].spec.kind == jobInit },
		},
		{
			name:  "focus: next pane",
			remap: func(k *keyMap) { k.Next = rebind(k.Next, "n") },
			old:   keyMsg("tab"), new: keyMsg("n"),
			did: func(m *Model) bool { return m.focus == paneTrust },
		},
		{
			name:  "help",
			remap: func(k *keyMap) { k.Help = rebind(k.Help, "H") },
			old:   keyMsg("?"), new: keyMsg("H"),
			did: func(m *Model) bool { return m.showHelp },
		},
		{
			name:  "services pane: line down",
			setup: func(m *Model) { m.focus = paneServices },
			remap: func(k *keyMap) { k.LineDown = rebind(k.LineDown, "J") },
			old:   keyMsg("down"), new: keyMsg("J"),
			did: func(m *Model) bool { return m.svc.cursor == 1 },
		},
		{
			name:  "registry pane: back",
			setup: func(m *Model) { m.focus = paneRegistry; m.reg.openTags("worker", []string{"latest"}) },
			remap: func(k *keyMap) { k.Back = rebind(k.Back, "backspace") },
			old:   keyMsg("esc"), new: tea.KeyPressMsg{Code: tea.KeyBackspace},
			did: func(m *Model) bool { return m.reg.mode == regRepos },
		},
		{
			name: "prompt: yes",
			setup: func(m *Model) {
				m.confirm = &confirmation{title: "go?", yes: func(m *Model) tea.Cmd { m.state.Home = "said yes"; return nil }}
			},
			remap: func(k *keyMap) { k.Yes = rebind(k.Yes, "o") },
			old:   keyMsg("y"), new: keyMsg("o"),
			did: func(m *Model) bool { return m.state.Home == "said yes" },
		},
		{
			name:  "filter: keep",
			setup: func(m *Model) { m.reg.startFilter() },
			remap: func(k *keyMap) { k.FilterKeep = rebind(k.FilterKeep, "ctrl+x") },
			old:   keyMsg("enter"), new: ctrlX,
			did: func(m *Model) bool { return !m.reg.filtering },
		},
		{
			name:  "doctor overlay: close",
			setup: func(m *Model) { m.doc.open, m.doc.report = true, &DoctorReport{} },
			remap: func(k *keyMap) { k.Back = rebind(k.Back, "ctrl+x") },
			old:   keyMsg("esc"), new: ctrlX,
			did: func(m *Model) bool { return !m.doc.open },
		},
		{
			name: "log viewport: line up",
			setup: func(m *Model) {
				m.focus = paneLog
				for range 100 {
					m.log.add(fixedNow(), "line")
				}
				m.View() // sizes the Log's viewport
			},
			remap: func(k *keyMap) { k.LineUp = rebind(k.LineUp, "K") },
			old:   keyMsg("up"), new: keyMsg("K"),
			did: func(m *Model) bool { return !m.log.vp.AtBottom() },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newStatic(healthyState(), 80, 24)
			t.Cleanup(m.stop)
			tc.remap(&m.keys)
			if tc.setup != nil {
				tc.setup(m)
			}
			if tc.did(m) {
				t.Fatal("already done before any key")
			}
			m.Update(tc.old)
			if tc.did(m) {
				t.Fatalf("the old key %q still acts after the remap", tc.old.String())
			}
			m.Update(tc.new)
			if !tc.did(m) {
				t.Fatalf("the new key %q does nothing", tc.new.String())
			}
		})
	}
}

// bindings are every key.Binding field of keyMap, by field name.
func bindings(k keyMap) map[string]key.Binding {
	out := map[string]key.Binding{}
	v := reflect.ValueOf(k)
	for i := range v.NumField() {
		if b, ok := v.Field(i).Interface().(key.Binding); ok {
			out[v.Type().Field(i).Name] = b
		}
	}
	return out
}

// The `?` screen lists every binding of the keyMap, its key and its words,
// and follows a remap; even at 80x24 nothing of it is cut.
func TestHelpListsEveryBinding(t *testing.T) {
	k := newKeys()
	all := bindings(k)
	if len(all) < 30 {
		t.Fatalf("found %d bindings; is keyMap still a struct of key.Binding?", len(all))
	}
	inFull := map[string]bool{}
	for _, g := range k.FullHelp() {
		for _, b := range g {
			inFull[b.Help().Key+" "+b.Help().Desc] = true
		}
	}
	m := newStatic(healthyState(), 80, 24)
	m.keys.Refresh = key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "reload everything"))
	m.Update(keyMsg("?"))
	v := plainView(m)
	for name, b := range bindings(m.keys) {
		h := b.Help()
		if h.Key == "" || h.Desc == "" {
			t.Errorf("%s has no help text", name)
			continue
		}
		if name != "Refresh" && !inFull[h.Key+" "+h.Desc] {
			t.Errorf("%s (%s %s) is not in FullHelp", name, h.Key, h.Desc)
		}
		if !strings.Contains(v, h.Key+" "+h.Desc) {
			t.Errorf("the help screen lacks %s: %q", name, h.Key+" "+h.Desc)
		}
	}
	for _, l := range strings.Split(v, "\n") {
		if strings.HasSuffix(strings.TrimRight(l, " ┃"), "…") {
			t.Errorf("help line cut: %q", ansi.Strip(l))
		}
	}
}

// home and end (keyMap.Top, Bottom) jump in the Log as in the doctor
// report; new lines follow again once at the end.
func TestLogHomeEnd(t *testing.T) {
	m := newStatic(healthyState(), 80, 24)
	t.Cleanup(m.stop)
	m.focus = paneLog
	for range 100 {
		m.log.add(fixedNow(), "line")
	}
	m.View()
	m.Update(tea.KeyPressMsg{Code: tea.KeyHome})
	if !m.log.vp.AtTop() || m.log.follow {
		t.Fatalf("home: at top %v, following %v", m.log.vp.AtTop(), m.log.follow)
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnd})
	if !m.log.vp.AtBottom() || !m.log.follow {
		t.Fatalf("end: at bottom %v, following %v", m.log.vp.AtBottom(), m.log.follow)
	}
}
