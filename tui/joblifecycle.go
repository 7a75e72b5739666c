package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/progress"
)

// run starts a job. Foreground jobs run one at a time; bg ones (logs,
// serve) run beside them. after runs when the job ends successfully.
func (m *Model) run(spec jobSpec, fn jobFunc, after func(*Model) tea.Cmd) tea.Cmd {
	return m.runJob(spec, fn, after, nil)
}

// runJob is run with end, which runs when the job ends however it ends.
func (m *Model) runJob(spec jobSpec, fn jobFunc, after func(*Model) tea.Cmd, end func(*Model)) tea.Cmd {
	bg, name := spec.kind.background(), spec.name()
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
	j := &job{id: id, spec: spec, name: name, s: s, state: jobRunning, items: map[string]*itemProgress{}, bg: bg, after: after, end: end}
	m.jobs.add(j)
	m.logLine(m.now(), m.st.mark(lvlBusy, name+" started"))
	m.note(progress.Event{Op: name, Status: progress.Start})
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
		m.jobs.rev++
		if j.spec.kind == jobServe {
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
	m.jobs.rev++
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
	m.note(ev)
	cmds := []tea.Cmd{m.refresh(), m.startWatch()}
	if j.end != nil {
		j.end(m)
	}
	if j.state == jobDone && j.after != nil {
		cmds = append(cmds, j.after(m))
	}
	if j.state == jobDone && j.spec.kind == jobUp {
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

// toggleBg starts a background job, or cancels it when it already runs.
func (m *Model) toggleBg(spec jobSpec, fn jobFunc) tea.Cmd {
	for _, j := range m.jobs.running() {
		if j.spec == spec {
			j.s.cancel()
			return nil
		}
	}
	return m.run(spec, fn, nil)
}
