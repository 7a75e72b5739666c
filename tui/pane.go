package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// pane is one box of the dashboard, a component in the soft-serve sense:
// it says what it shows (title, status, summary, level), draws its body,
// says when that changed (version) and handles the keys the root model
// routes to it while it has the focus. The root model keeps them in tab
// order in Model.panes and knows nothing of what is inside.
type pane interface {
	title() string
	// status is the word(s) in the box's top border.
	status(st *styles) string
	// summary is the one-line form drawn below 80x24.
	summary(st *styles) string
	// level is the worst state the pane shows (lvlOK… lvlBad).
	level() int
	// body is the lines inside the box; it may move its own scroll offset.
	body(f paneFrame) []string
	// version changes whenever the pane would draw differently: the
	// frame cache redraws a pane only then (or on a resize, a focus or
	// a style change).
	version() int
	// key handles a key the root model did not take, while focused.
	key(k *keyMap, msg tea.KeyPressMsg) tea.Cmd
}

// paneFrame is what a pane draws into: the inner size of its box, whether
// it has the focus, the styles and the clock.
type paneFrame struct {
	st      *styles
	w, h    int
	focused bool
	now     time.Time
}

// Panes in tab order: the index of each in Model.panes.
const (
	paneCerts = iota
	paneTrust
	paneServices
	paneRegistry
	paneJobs
	paneLog
	numPanes
)
