package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/progress"
)

// Messages from Cmds.
type (
	snapshotMsg struct {
		s   State
		gen int
	}
	tickMsg time.Time
)

// uptimeEvery re-renders uptimes; cheap, and keeps idle CPU near zero.
const uptimeEvery = 30 * time.Second

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	mm, cmd := m.update(msg)
	if poll := m.pollMetrics(); poll != nil {
		cmd = tea.Batch(cmd, poll)
	}
	if write := m.writeNotes(); write != nil {
		cmd = tea.Batch(cmd, write)
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
		m.svc.rev++
		return m, uptimeTick()
	case snapshotMsg:
		if msg.gen < m.watchGen && m.watchedStack != nil {
			msg.s.Stack = m.watchedStack
		}
		m.setState(msg.s)
		m.logRegistryRuns(msg.s.RegistryRuns)
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
	case notesWrittenMsg:
		m.notes.inflight = nil
		return m, nil
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
		}
		m.reg.onTags(msg)
		return m, nil
	case inspectMsg:
		if msg.err != nil {
			m.fail("inspect", msg.err)
		}
		m.reg.onInspect(msg)
		return m, nil
	case trustPlanMsg:
		return m, m.onTrustPlan(msg)
	case sudoMsg:
		return m, m.onSudo(msg)
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
	m.note(progress.Event{Op: op, Status: progress.Failed, Err: err.Error()})
}

func (m *Model) logLine(t time.Time, s string) {
	m.log.add(t, s)
}
