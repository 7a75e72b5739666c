// Package tui is esbtui's dashboard: a Bubble Tea root model with one
// sub-model per pane (Certificates, Trust, Services, Registry, Jobs, Log).
// It reaches the machine only through a Backend (internal/flows in the
// binary, a fake in tests), always from tea.Cmds.
//
// Where things are:
//   - the root model: model.go (state, Init), update.go (message
//     dispatch), keyroute.go (which key goes where), view.go (layout,
//     the frame cache), helpview.go (the ? screen), keys.go (every
//     binding, defined once);
//   - the panes (pane.go, the interface): certs.go, trust.go,
//     services.go, registry.go, jobspane.go, logpane.go;
//   - overlays and flows: confirm.go (the yes/no prompt), sudotrust.go
//     (trust plan, foreground sudo, install), doctor.go (the report
//     overlay) and doctorrun.go (the doctor as a job);
//   - jobs: job.go (one job's record), joblifecycle.go (start, events,
//     end, cancel), stream.go (a job's events to Update);
//   - live feeds: watch.go (engine events), enginestate.go (the engine
//     going and coming back), events.go (registry notifications),
//     metrics.go (registry rates), alerts.go (the registry's alerts:
//     header badge, Registry pane lines), mailbox.go (the producer → Update
//     hand-off), notes.go (records for esbtui.log, written from Cmds);
//   - the Backend: backend.go and state.go (the interface and what it
//     returns), env*.go and convert.go (over internal/flows).
package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/flows"
)

// Options configure a Model.
type Options struct {
	// Now is the clock (uptimes, log timestamps); tests fix it.
	Now func() time.Time
	// Width and Height are the size drawn before the first WindowSizeMsg.
	Width, Height int
	// MetricsEvery is how often the registry's metrics are scraped while
	// the stack is up and the Registry pane is on screen (default 3 s).
	MetricsEvery time.Duration
}

// Model is the root model. Use it as a pointer (*Model implements tea.Model).
type Model struct {
	// registryRunsSeen is the newest registry run the Log shows
	// (registryruns.go).
	registryRunsSeen time.Time

	b    Backend
	ctx  context.Context
	stop context.CancelFunc
	now  func() time.Time

	w, h     int
	st       *styles
	styleGen int
	keys     keyMap
	help     help.Model

	// panes are the boxes in tab order; the typed fields below are the
	// same panes, for the flows that feed one (a snapshot, a job's events).
	panes [numPanes]pane
	certs *certPane
	trust *trustPane
	svc   *servicesPane
	reg   *registryPane
	jobs  *jobsPane
	log   *logPane
	focus int

	state        State
	refreshing   bool
	refreshAgain bool
	showHelp     bool
	confirm      *confirmation
	doc          doctorView
	met          metricsPoll
	events       registryEvents
	notes        notes
	nextID       int
	// watch follows the engine's events; nil when the backend cannot
	// (no engine): it is retried after each job and on `r`.
	watch *watcher
	// watchGen counts watched states; a snapshot started before the
	// newest one keeps the watched stack (it is fresher).
	watchGen     int
	watchedStack *StackState
	cache        [numPanes]cached
	// observe, when set (tests), sees the model after every Update.
	observe func(*Model)
}

type cached struct {
	w, h, ver, gen int
	focused        bool
	s              string
}

// New builds the dashboard over b. Cancelling ctx stops every job.
func New(ctx context.Context, b Backend, o Options) *Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Width == 0 {
		o.Width, o.Height = 80, 24
	}
	if o.MetricsEvery <= 0 {
		o.MetricsEvery = defaultMetricsEvery
	}
	ctx, stop := context.WithCancel(ctx)
	m := &Model{
		b: b, ctx: ctx, stop: stop, now: o.Now,
		w: o.Width, h: o.Height,
		st:    newStyles(true),
		keys:  newKeys(),
		help:  help.New(),
		certs: &certPane{}, trust: &trustPane{}, svc: &servicesPane{},
		reg: &registryPane{load: registryLoader{b, ctx}}, jobs: &jobsPane{}, log: newLogPane(),
		met: metricsPoll{every: o.MetricsEvery, win: flows.MetricsWindow{Span: flows.DashboardAlertWindow}},
	}
	m.panes = [numPanes]pane{paneCerts: m.certs, paneTrust: m.trust, paneServices: m.svc, paneRegistry: m.reg, paneJobs: m.jobs, paneLog: m.log}
	m.help.Styles = m.st.help
	return m
}

// Init asks for the background colour, takes the first snapshot, starts
// watching the engine and listening for the registry's events.
func (m *Model) Init() tea.Cmd {
	m.refreshing = true
	return tea.Batch(tea.RequestBackgroundColor, m.snapshot(), m.startWatch(), m.startEvents(), uptimeTick())
}

// startWatch follows the engine's events unless that already runs.
func (m *Model) startWatch() tea.Cmd {
	if m.watch != nil || m.ctx.Err() != nil {
		return nil
	}
	w, cmd := startWatch(m.ctx, m.b)
	m.watch = w
	return cmd
}

func uptimeTick() tea.Cmd {
	return tea.Tick(uptimeEvery, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m *Model) id() int { m.nextID++; return m.nextID }

func (m *Model) snapshot() tea.Cmd {
	b, ctx, gen := m.b, m.ctx, m.watchGen
	return func() tea.Msg { return snapshotMsg{b.Snapshot(ctx), gen} }
}

// refresh takes a new snapshot unless one is under way (then one more after).
func (m *Model) refresh() tea.Cmd {
	if m.refreshing {
		m.refreshAgain = true
		return nil
	}
	m.refreshing = true
	return m.snapshot()
}

func (m *Model) setState(s State) {
	m.state = s
	m.certs.set(s.Certs)
	m.trust.set(s.Trust)
	m.setStack(s.Stack)
	m.reg.set(s.Registry)
	m.jobs.setFunctions(s.Functions)
}
