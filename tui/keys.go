package tui

import "charm.land/bubbles/v2/key"

// keyMap is every binding of the dashboard; the help bar and `?` show them.
type keyMap struct {
	Init, Trust, Up, Down, Build, Push, Refresh, Serve key.Binding
	Filter, Open, Delete, GC, Logs, Back, Doctor       key.Binding
	Next, Prev, Nav, Help, Quit, Cancel                key.Binding
}

func newKeys() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Init:    b([]string{"i"}, "i", "init certs"),
		Trust:   b([]string{"t"}, "t", "install trust"),
		Up:      b([]string{"u"}, "u", "stack up"),
		Down:    b([]string{"d"}, "d", "stack down"),
		Build:   b([]string{"b"}, "b", "build+push"),
		Push:    b([]string{"p"}, "p", "push"),
		Refresh: b([]string{"r"}, "r", "refresh"),
		Serve:   b([]string{"s"}, "s", "serve in-process"),
		Filter:  b([]string{"/"}, "/", "filter repos"),
		Open:    b([]string{"enter"}, "enter", "open"),
		Delete:  b([]string{"x"}, "x", "delete tag"),
		GC:      b([]string{"g"}, "g", "registry GC"),
		Logs:    b([]string{"l"}, "l", "service logs"),
		Doctor:  b([]string{"c"}, "c", "doctor"),
		Back:    b([]string{"esc"}, "esc", "back"),
		Next:    b([]string{"tab"}, "tab", "next pane"),
		Prev:    b([]string{"shift+tab"}, "shift+tab", "prev pane"),
		Nav:     b([]string{"up", "down", "k", "j", "pgup", "pgdown"}, "↑/↓", "move/scroll"),
		Help:    b([]string{"?"}, "?", "help"),
		Quit:    b([]string{"q"}, "q", "quit"),
		Cancel:  b([]string{"ctrl+c"}, "ctrl+c", "cancel jobs/quit"),
	}
}

// ShortHelp is the help bar.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Init, k.Trust, k.Up, k.Build, k.Push, k.Doctor, k.Next, k.Help, k.Quit}
}

// FullHelp is the `?` screen.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Init, k.Trust, k.Up, k.Down, k.Build, k.Push, k.Refresh},
		{k.Doctor, k.Serve, k.Logs, k.GC, k.Filter, k.Open, k.Delete, k.Back},
		{k.Next, k.Prev, k.Nav, k.Help, k.Quit, k.Cancel},
	}
}
