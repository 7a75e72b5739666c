package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
)

// keyMap is every binding of the dashboard, defined once: every key is
// matched with key.Matches against these (so remapping one here remaps it
// everywhere), and the help bar, the `?` screen and the overlays' footers
// are generated from them.
type keyMap struct {
	// Actions, from the panes.
	Init, Trust, StackUp, StackDown, Build, Push, Refresh, Serve, Logs, Doctor key.Binding
	// The registry pane.
	Filter, Open, Back, Delete, GC key.Binding
	// Focus, help, leaving.
	Next, Prev, Help, Quit, Cancel key.Binding
	// Moving and scrolling in the focused pane and the doctor report.
	LineUp, LineDown, PageUp, PageDown, HalfPageUp, HalfPageDown key.Binding
	ScrollLeft, ScrollRight, Top, Bottom                         key.Binding
	// The yes/no prompt.
	Yes, No key.Binding
	// Typing a registry filter: every other key with text is typed.
	FilterKeep, FilterClear, FilterErase, FilterUp, FilterDown key.Binding
}

func newKeys() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Init:      b([]string{"i"}, "i", "init certs"),
		Trust:     b([]string{"t"}, "t", "install trust"),
		StackUp:   b([]string{"u"}, "u", "stack up"),
		StackDown: b([]string{"d"}, "d", "stack down"),
		Build:     b([]string{"b"}, "b", "build+push"),
		Push:      b([]string{"p"}, "p", "push"),
		Refresh:   b([]string{"r"}, "r", "refresh"),
		Serve:     b([]string{"s"}, "s", "serve in-process"),
		Logs:      b([]string{"l"}, "l", "service logs"),
		Doctor:    b([]string{"c"}, "c", "doctor"),

		Filter: b([]string{"/"}, "/", "filter repos"),
		Open:   b([]string{"enter"}, "enter", "open"),
		Back:   b([]string{"esc"}, "esc", "back"),
		Delete: b([]string{"x"}, "x", "delete tag"),
		GC:     b([]string{"g"}, "g", "registry GC"),

		Next:   b([]string{"tab"}, "tab", "next pane"),
		Prev:   b([]string{"shift+tab"}, "shift+tab", "prev pane"),
		Help:   b([]string{"?"}, "?", "help"),
		Quit:   b([]string{"q"}, "q", "quit"),
		Cancel: b([]string{"ctrl+c"}, "ctrl+c", "cancel jobs/quit"),

		LineUp:       b([]string{"up", "k"}, "↑", "up"),
		LineDown:     b([]string{"down", "j"}, "↓", "down"),
		PageUp:       b([]string{"pgup", "b"}, "pgup", "page up"),
		PageDown:     b([]string{"pgdown", "f", "space"}, "pgdn", "page down"),
		HalfPageUp:   b([]string{"ctrl+u"}, "ctrl+u", "half page up"),
		HalfPageDown: b([]string{"ctrl+d"}, "ctrl+d", "half page down"),
		ScrollLeft:   b([]string{"left", "h"}, "←", "scroll left"),
		ScrollRight:  b([]string{"right"}, "→", "scroll right"),
		Top:          b([]string{"home"}, "home", "top"),
		Bottom:       b([]string{"end"}, "end", "bottom"),

		Yes: b([]string{"y", "Y", "enter"}, "y", "yes"),
		No:  b([]string{"n", "N", "esc", "q"}, "n", "no"),

		FilterKeep:  b([]string{"enter"}, "enter", "keep"),
		FilterClear: b([]string{"esc"}, "esc", "clear"),
		FilterErase: b([]string{"backspace"}, "backspace", "erase"),
		FilterUp:    b([]string{"up"}, "↑", "previous match"),
		FilterDown:  b([]string{"down"}, "↓", "next match"),
	}
}

// ShortHelp is the help bar.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Init, k.Trust, k.StackUp, k.Build, k.Push, k.Doctor, k.Next, k.Help, k.Quit}
}

// FullHelp is the `?` screen, one group per line, under fullHelpTitles.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Init, k.Trust, k.StackUp, k.StackDown, k.Build, k.Push, k.Refresh, k.Serve, k.Logs, k.Doctor},
		{k.Filter, k.Open, k.Back, k.Delete, k.GC},
		{k.Next, k.Prev, k.Help, k.Quit, k.Cancel},
		{k.LineUp, k.LineDown, k.PageUp, k.PageDown, k.HalfPageUp, k.HalfPageDown, k.ScrollLeft, k.ScrollRight, k.Top, k.Bottom},
		{k.Yes, k.No},
		{k.FilterKeep, k.FilterClear, k.FilterErase, k.FilterUp, k.FilterDown},
	}
}

// fullHelpTitles name FullHelp's groups on the `?` screen.
func (k keyMap) fullHelpTitles() []string {
	return []string{"Actions", "Registry", "Panes", "Move and scroll", "Questions", "Typing a filter"}
}

// lineStep is -1 for LineUp, 1 for LineDown, 0 for any other key: a
// list pane's cursor move.
func (k *keyMap) lineStep(msg tea.KeyPressMsg) int {
	switch {
	case key.Matches(msg, k.LineUp):
		return -1
	case key.Matches(msg, k.LineDown):
		return 1
	}
	return 0
}

// viewport is the Log's scroll keys, for its viewport.
func (k keyMap) viewport() viewport.KeyMap {
	return viewport.KeyMap{
		Up: k.LineUp, Down: k.LineDown, PageUp: k.PageUp, PageDown: k.PageDown,
		HalfPageUp: k.HalfPageUp, HalfPageDown: k.HalfPageDown, Left: k.ScrollLeft, Right: k.ScrollRight,
	}
}

// helpKeys is the bindings' keys as their help shows them, joined by "/"
// ("↑/↓"): several bindings under one word in a footer.
func helpKeys(bs ...key.Binding) string {
	ks := make([]string, 0, len(bs))
	for _, b := range bs {
		if b.Enabled() {
			ks = append(ks, b.Help().Key)
		}
	}
	return strings.Join(ks, "/")
}

// hint is one "key words" entry of a footer: the binding's key with the
// words this context gives it ("esc close"); "" when it is disabled.
func hint(b key.Binding, words string) string {
	if !b.Enabled() {
		return ""
	}
	return b.Help().Key + " " + words
}

// hints joins a footer's entries, skipping empty ones.
func hints(items ...string) string {
	out := items[:0:0]
	for _, it := range items {
		if it != "" {
			out = append(out, it)
		}
	}
	return strings.Join(out, " · ")
}
