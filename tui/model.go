// Package tui is esbtui's dashboard: a Bubble Tea root model with one
// sub-model per pane (Certificates, Trust, Services, Registry, Jobs, Log).
// It reaches the machine only through a Backend (internal/env in the
// binary, a fake in tests), always from tea.Cmds.
package tui

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/progress"
)

// Panes in tab order.
const (
	paneCerts = iota
	paneTrust
	paneServices
	paneRegistry
	paneJobs
	paneLog
	numPanes
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
	b    Backend
	ctx  context.Context
	stop context.CancelFunc
	now  func() time.Time

	w, h     int
	st       *styles
	styleGen int
	keys     keyMap
	help     help.Model

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

// confirmation is a question the user answers with y or n.
type confirmation struct {
	title string
	lines []string
	yes   func(m *Model) tea.Cmd
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
		reg: &registryPane{}, jobs: &jobsPane{}, log: newLogPane(),
		met: metricsPoll{every: o.MetricsEvery},
	}
	m.help.Styles = m.st.help
	return m
}

// Messages from Cmds.
type (
	snapshotMsg struct {
		s   State
		gen int
	}
	tagsMsg struct {
		repo string
		tags []string
		err  error
	}
	inspectMsg struct {
		img Image
		err error
	}
	trustPlanMsg struct {
		plan TrustPlan
		err  error
	}
	// sudoMsg ends the foreground `sudo -v` run before installing trust.
	sudoMsg struct{ err error }
	tickMsg time.Time
)

// uptimeEvery re-renders uptimes; cheap, and keeps idle CPU near zero.
const uptimeEvery = 30 * time.Second

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

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	mm, cmd := m.update(msg)
	if poll := m.pollMetrics(); poll != nil {
		cmd = tea.Batch(cmd, poll)
	}
	if m.observe != nil {
		m.observe(m)
	}
	return mm, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		return m, nil
	case tea.BackgroundColorMsg:
		m.st = newStyles(msg.IsDark())
		m.help.Styles = m.st.help
		m.styleGen++
		return m, nil
	case tickMsg:
		m.svc.version++
		return m, uptimeTick()
	case snapshotMsg:
		if msg.gen < m.watchGen && m.watchedStack != nil {
			msg.s.Stack = m.watchedStack
		}
		m.setState(msg.s)
		m.refreshing = false
		if m.refreshAgain {
			m.refreshAgain = false
			return m, m.refresh()
		}
		return m, nil
	case stackMsg:
		if msg.w != m.watch {
			return m, nil
		}
		m.watchGen++
		m.watchedStack = msg.st
		m.state.Stack = msg.st
		m.setStack(msg.st)
		// The registry's answer follows its container's health.
		return m, tea.Batch(msg.w.next(), m.refresh())
	case watchEndedMsg:
		if msg.w == m.watch {
			m.watch = nil
		}
		return m, nil
	case metricsMsg:
		return m, m.onMetrics(msg)
	case metricsTickMsg:
		m.met.ticking = false
		return m, nil
	case eventsStartedMsg:
		return m, m.onEventsStarted(msg)
	case registryEventsMsg:
		return m, m.onRegistryEvents(msg)
	case jobEventsMsg:
		return m, m.onEvents(msg)
	case jobDoneMsg:
		return m, m.onDone(msg)
	case tagsMsg:
		if msg.err != nil {
			m.fail("tags "+msg.repo, msg.err)
			return m, nil
		}
		m.reg.openTags(msg.repo, msg.tags)
		return m, nil
	case inspectMsg:
		if msg.err != nil {
			m.fail("inspect", msg.err)
			return m, nil
		}
		m.reg.openImage(msg.img)
		return m, nil
	case trustPlanMsg:
		if msg.err != nil {
			m.fail("trust plan", msg.err)
			return m, nil
		}
		return m, m.askTrust(msg.plan)
	case sudoMsg:
		if msg.err != nil {
			m.fail("trust", fmt.Errorf("sudo: %w; nothing changed (run `esbtui trust install` in a shell, or run esbtui as root)", msg.err))
			return m, nil
		}
		return m, m.run("trust", false, m.b.InstallTrust, nil)
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	case tea.MouseWheelMsg:
		if m.doc.open {
			if msg.Button == tea.MouseWheelUp {
				m.doc.offset -= 3
			} else if msg.Button == tea.MouseWheelDown {
				m.doc.offset += 3
			}
			return m, nil
		}
		if m.focus == paneLog {
			return m, m.log.update(msg)
		}
	}
	return m, nil
}

// fail logs an error of a quick (non-job) call.
func (m *Model) fail(op string, err error) {
	m.logLine(m.now(), m.st.mark(lvlBad, op+": "+err.Error()))
	m.b.Note(progress.Event{Op: op, Status: progress.Failed, Err: err.Error()})
	if op == "inspect" || strings.HasPrefix(op, "tags ") {
		m.reg.err = op + ": " + err.Error()
		m.reg.version++
	}
}

func (m *Model) logLine(t time.Time, s string) {
	m.log.add(t, s)
}

// run starts a job. Foreground jobs run one at a time; bg ones (logs,
// serve) run beside them. after runs when the job ends successfully.
func (m *Model) run(name string, bg bool, fn jobFunc, after func(*Model) tea.Cmd) tea.Cmd {
	return m.runJob(name, bg, fn, after, nil)
}

// runJob is run with end, which runs when the job ends however it ends.
func (m *Model) runJob(name string, bg bool, fn jobFunc, after func(*Model) tea.Cmd, end func(*Model)) tea.Cmd {
	if !bg {
		for _, j := range m.jobs.running() {
			if !j.bg {
				m.logLine(m.now(), m.st.mark(lvlWarn, "busy: "+j.name+" is running (ctrl+c cancels it)"))
				return nil
			}
		}
	}
	id := m.id()
	s, cmd := start(m.ctx, id, fn)
	j := &job{id: id, name: name, s: s, state: jobRunning, items: map[string]*itemProgress{}, bg: bg, after: after, end: end}
	m.jobs.add(j)
	m.logLine(m.now(), m.st.mark(lvlBusy, name+" started"))
	m.b.Note(progress.Event{Op: name, Status: progress.Start})
	return cmd
}

func (m *Model) onEvents(msg jobEventsMsg) tea.Cmd {
	j := m.jobs.byID(msg.id)
	if j == nil {
		return nil
	}
	for _, e := range msg.events {
		j.apply(e)
		m.doctorEvent(j, e)
		if e.Status == progress.Update {
			continue
		}
		t := e.Time
		if t.IsZero() {
			t = m.now()
		}
		m.logLine(t, eventLine(m.st, j.name, e))
	}
	if len(msg.events) > 0 {
		m.jobs.version++
		if j.name == "serve" {
			return tea.Batch(j.s.next(), m.refresh())
		}
	}
	return j.s.next()
}

func eventLine(st *styles, name string, e progress.Event) string {
	text := name
	if s := stepText(e); s != "" {
		text += ": " + s
	}
	switch e.Status {
	case progress.Failed:
		if e.Err != "" {
			text += ": " + e.Err
		}
		return st.mark(lvlBad, text)
	case progress.Warning:
		return st.mark(lvlWarn, text)
	case progress.Done:
		return st.mark(lvlOK, text)
	case progress.Info:
		return "  " + text
	case progress.Skipped:
		return st.mark(lvlNone, text+" (skipped)")
	}
	return st.mark(lvlBusy, text)
}

func (m *Model) onDone(msg jobDoneMsg) tea.Cmd {
	j := m.jobs.byID(msg.id)
	if j == nil {
		return nil
	}
	j.finish(msg.result, msg.err)
	m.jobs.version++
	ev := progress.Event{Op: j.name, Status: progress.Done, Message: msg.result}
	switch j.state {
	case jobDone:
		text := j.name + " done"
		if msg.result != "" {
			text += ": " + msg.result
		}
		m.logLine(m.now(), m.st.mark(lvlOK, text))
	case jobCancelled:
		ev.Status = progress.Warning
		ev.Message = "cancelled"
		m.logLine(m.now(), m.st.mark(lvlWarn, j.name+" cancelled"))
	default:
		ev.Status, ev.Err = progress.Failed, msg.err.Error()
		m.logLine(m.now(), m.st.mark(lvlBad, j.name+" failed: "+msg.err.Error()))
	}
	m.b.Note(ev)
	cmds := []tea.Cmd{m.refresh(), m.startWatch()}
	if j.end != nil {
		j.end(m)
	}
	if j.state == jobDone && j.after != nil {
		cmds = append(cmds, j.after(m))
	}
	if j.state == jobDone && j.name == "up" {
		cmds = append(cmds, m.startEvents())
	}
	return tea.Batch(cmds...)
}

// cancelJobs cancels every running job; it reports whether there was one.
func (m *Model) cancelJobs() bool {
	r := m.jobs.running()
	for _, j := range r {
		j.s.cancel()
		m.logLine(m.now(), m.st.mark(lvlWarn, "cancelling "+j.name))
	}
	return len(r) > 0
}

func (m *Model) quit() tea.Cmd {
	m.cancelJobs()
	m.stop()
	return tea.Quit
}

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if key.Matches(msg, k.Cancel) {
		if m.confirm != nil {
			m.confirm = nil
			return nil
		}
		if m.cancelJobs() {
			return nil
		}
		return m.quit()
	}
	if c := m.confirm; c != nil {
		switch msg.String() {
		case "y", "Y", "enter":
			m.confirm = nil
			return c.yes(m)
		case "n", "N", "esc", "q":
			m.confirm = nil
			m.logLine(m.now(), m.st.mark(lvlNone, "not confirmed: "+c.title))
		}
		return nil
	}
	if m.doc.open {
		return m.doctorKey(msg)
	}
	if m.showHelp {
		switch {
		case key.Matches(msg, k.Help, k.Back):
			m.showHelp = false
		case key.Matches(msg, k.Quit):
			return m.askQuit()
		}
		return nil
	}
	if m.reg.filtering {
		return m.filterKey(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.askQuit()
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.Next):
		m.focus = (m.focus + 1) % numPanes
	case key.Matches(msg, k.Prev):
		m.focus = (m.focus + numPanes - 1) % numPanes
	case key.Matches(msg, k.Init):
		return m.run("init", false, m.b.InitCerts, nil)
	case key.Matches(msg, k.Trust):
		b, ctx := m.b, m.ctx
		return func() tea.Msg {
			plan, err := b.TrustPlan(ctx)
			return trustPlanMsg{plan, err}
		}
	case key.Matches(msg, k.Up):
		return m.run("up", false, m.b.Up, nil)
	case key.Matches(msg, k.Down):
		return m.run("down", false, m.b.Down, nil)
	case key.Matches(msg, k.Build), key.Matches(msg, k.Push):
		return m.buildOrPush(key.Matches(msg, k.Push))
	case key.Matches(msg, k.Refresh):
		m.logLine(m.now(), m.st.mark(lvlNone, "refresh"))
		return tea.Batch(m.refresh(), m.startWatch(), m.startEvents())
	case key.Matches(msg, k.Doctor):
		return m.runDoctor()
	case key.Matches(msg, k.Serve):
		return m.toggleBg("serve", func(ctx context.Context, sink progress.Sink) (string, error) {
			return "", m.b.Serve(ctx, sink)
		})
	case key.Matches(msg, k.Logs):
		svc := m.svc.selected()
		if svc == "" {
			m.logLine(m.now(), m.st.mark(lvlWarn, "logs: select a service in the Services pane first"))
			return nil
		}
		return m.toggleBg("logs "+svc, func(ctx context.Context, sink progress.Sink) (string, error) {
			if err := m.b.Logs(ctx, svc, sink); err != nil || ctx.Err() != nil {
				return "", err
			}
			return "the engine ended the log stream (l follows it again)", nil
		})
	case key.Matches(msg, k.GC):
		m.confirm = &confirmation{
			title: "Garbage-collect the registry?",
			lines: []string{"Stops the registry, removes the blobs no manifest references,", "then starts it again and waits until it is healthy."},
			yes:   func(m *Model) tea.Cmd { return m.run("gc", false, m.b.GC, nil) },
		}
	case key.Matches(msg, k.Filter):
		m.focus = paneRegistry
		if m.reg.mode == regImage {
			m.reg.back()
		}
		m.reg.filtering = true
		m.reg.version++
	case key.Matches(msg, k.Delete):
		return m.askDelete()
	default:
		return m.paneKey(msg)
	}
	return nil
}

func (m *Model) askQuit() tea.Cmd {
	var names []string
	for _, j := range m.jobs.running() {
		names = append(names, j.name)
	}
	if len(names) == 0 {
		return m.quit()
	}
	m.confirm = &confirmation{
		title: "Quit? This cancels " + strings.Join(names, ", "),
		lines: []string{"Running: " + strings.Join(names, ", ")},
		yes:   func(m *Model) tea.Cmd { return m.quit() },
	}
	return nil
}

// toggleBg starts a background job, or cancels it when it already runs.
func (m *Model) toggleBg(name string, fn jobFunc) tea.Cmd {
	for _, j := range m.jobs.running() {
		if j.name == name {
			j.s.cancel()
			return nil
		}
	}
	return m.run(name, true, fn, nil)
}

func (m *Model) buildOrPush(push bool) tea.Cmd {
	var names []string
	if m.focus == paneServices {
		if s := m.svc.selected(); s != "" && slices.Contains(m.state.Functions, s) {
			names = []string{s}
		}
	}
	what := "all"
	if len(names) > 0 {
		what = names[0]
	}
	op, fn := "build", m.b.Build
	if push {
		op, fn = "push", m.b.Push
	}
	return m.run(op+" "+what, false, func(ctx context.Context, sink progress.Sink) (string, error) {
		return fn(ctx, names, sink)
	}, nil)
}

func (m *Model) askDelete() tea.Cmd {
	ref := ""
	if m.focus == paneRegistry {
		ref = m.reg.selectedRef()
	}
	if ref == "" {
		m.logLine(m.now(), m.st.mark(lvlWarn, "delete: open a repository in the Registry pane (enter) and select a tag"))
		return nil
	}
	repo := m.reg.repo
	m.confirm = &confirmation{
		title: "Delete " + ref + "?",
		lines: []string{"Deletes the manifest " + ref + " from the registry.", "Run g (GC) afterwards to free the space."},
		yes: func(m *Model) tea.Cmd {
			return m.run("delete "+ref, false, func(ctx context.Context, sink progress.Sink) (string, error) {
				return m.b.Delete(ctx, ref, sink)
			}, func(m *Model) tea.Cmd { return m.loadTags(repo) })
		},
	}
	return nil
}

func (m *Model) loadTags(repo string) tea.Cmd {
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		tags, err := b.Tags(ctx, repo)
		return tagsMsg{repo, tags, err}
	}
}

func (m *Model) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	r := m.reg
	switch {
	case msg.Code == tea.KeyEscape:
		r.filtering, r.filter = false, ""
	case msg.Code == tea.KeyEnter:
		r.filtering = false
	case msg.Code == tea.KeyBackspace:
		if n := len([]rune(r.filter)); n > 0 {
			r.filter = string([]rune(r.filter)[:n-1])
		}
	case msg.Code == tea.KeyUp:
		r.move(-1)
	case msg.Code == tea.KeyDown:
		r.move(1)
	case len(msg.Text) > 0:
		r.filter += msg.Text
	}
	r.cursor = 0
	r.clamp()
	r.version++
	return nil
}

// paneKey handles navigation inside the focused pane.
func (m *Model) paneKey(msg tea.KeyPressMsg) tea.Cmd {
	s := msg.String()
	d := 0
	switch s {
	case "up", "k":
		d = -1
	case "down", "j":
		d = 1
	}
	switch m.focus {
	case paneServices:
		m.svc.move(d)
	case paneRegistry:
		switch {
		case d != 0:
			m.reg.move(d)
		case s == "esc":
			m.reg.back()
		case s == "enter":
			return m.openSelected()
		}
	case paneLog:
		return m.log.update(msg)
	}
	return nil
}

func (m *Model) openSelected() tea.Cmd {
	r := m.reg
	sel := r.selected()
	if sel == "" {
		return nil
	}
	b, ctx := m.b, m.ctx
	switch r.mode {
	case regRepos:
		return m.loadTags(sel)
	case regTags:
		ref := r.repo + ":" + sel
		return func() tea.Msg {
			img, err := b.Inspect(ctx, ref)
			return inspectMsg{img, err}
		}
	}
	return nil
}

// askTrust shows the trust plan and, on yes, installs: through a foreground
// `sudo -v` first when the plan needs root, so that sudo can ask for a
// password on the terminal while the dashboard steps aside.
func (m *Model) askTrust(p TrustPlan) tea.Cmd {
	if p.Empty {
		m.logLine(m.now(), m.st.mark(lvlOK, "trust: nothing to do: every applicable store trusts the CA"))
		for _, l := range p.Lines {
			m.logLine(m.now(), "  "+l)
		}
		return m.refresh()
	}
	lines := p.Lines
	if len(p.Sudo) > 0 {
		lines = append(append([]string(nil), lines...), "", "This needs root: "+strings.Join(p.Sudo, " ")+" runs first and may ask for your password.")
	}
	m.confirm = &confirmation{
		title: "Install the CA into these trust stores?",
		lines: lines,
		yes: func(m *Model) tea.Cmd {
			if len(p.Sudo) == 0 {
				return m.run("trust", false, m.b.InstallTrust, nil)
			}
			m.logLine(m.now(), m.st.mark(lvlBusy, "trust: "+strings.Join(p.Sudo, " ")))
			c := exec.Command(p.Sudo[0], p.Sudo[1:]...)
			return tea.ExecProcess(c, func(err error) tea.Msg { return sudoMsg{err} })
		},
	}
	return nil
}
