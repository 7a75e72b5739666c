package tui

import (
	"context"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/progress"
)

// onKey routes a key, first taker wins: ctrl+c (cancel, else quit), an
// open question, the doctor overlay, the ? screen, a filter being typed,
// the dashboard's actions, and last the focused pane.
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
	if m.confirm != nil {
		return m.confirmKey(msg)
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
		return m.reg.filterKey(&m.keys, msg)
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
		return m.run(jobSpec{kind: jobInit}, m.b.InitCerts, nil)
	case key.Matches(msg, k.Trust):
		return m.requestTrustPlan()
	case key.Matches(msg, k.StackUp):
		return m.run(jobSpec{kind: jobUp}, m.b.Up, nil)
	case key.Matches(msg, k.StackDown):
		return m.run(jobSpec{kind: jobDown}, m.b.Down, nil)
	case key.Matches(msg, k.Build), key.Matches(msg, k.Push):
		return m.buildOrPush(key.Matches(msg, k.Push))
	case key.Matches(msg, k.Refresh):
		m.logLine(m.now(), m.st.mark(lvlNone, "refresh"))
		return tea.Batch(m.refresh(), m.startWatch(), m.startEvents())
	case key.Matches(msg, k.Doctor):
		return m.runDoctor()
	case key.Matches(msg, k.Serve):
		return m.toggleBg(jobSpec{kind: jobServe}, func(ctx context.Context, sink progress.Sink) (string, error) {
			return "", m.b.Serve(ctx, sink)
		})
	case key.Matches(msg, k.Logs):
		svc := m.svc.selected()
		if svc == "" {
			m.logLine(m.now(), m.st.mark(lvlWarn, "logs: select a service in the Services pane first"))
			return nil
		}
		return m.toggleBg(jobSpec{kind: jobLogs, target: svc}, func(ctx context.Context, sink progress.Sink) (string, error) {
			if err := m.b.Logs(ctx, svc, sink); err != nil || ctx.Err() != nil {
				return "", err
			}
			return "the engine ended the log stream (l follows it again)", nil
		})
	case key.Matches(msg, k.GC):
		m.confirm = &confirmation{
			title: "Garbage-collect the registry?",
			lines: []string{"Removes the blobs no manifest references. esbtui's registry keeps", "serving (pushes wait for the sweep); another image is stopped and restarted."},
			yes:   func(m *Model) tea.Cmd { return m.run(jobSpec{kind: jobGC}, m.b.GC, nil) },
		}
	case key.Matches(msg, k.Filter):
		m.focus = paneRegistry
		m.reg.startFilter()
	case key.Matches(msg, k.Delete):
		return m.askDelete()
	default:
		return m.panes[m.focus].key(&m.keys, msg)
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
	kind, fn := jobBuild, m.b.Build
	if push {
		kind, fn = jobPush, m.b.Push
	}
	return m.run(jobSpec{kind: kind, target: what}, func(ctx context.Context, sink progress.Sink) (string, error) {
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
			return m.run(jobSpec{kind: jobDelete, target: ref}, func(ctx context.Context, sink progress.Sink) (string, error) {
				return m.b.Delete(ctx, ref, sink)
			}, func(m *Model) tea.Cmd { return m.reg.load.tags(repo) })
		},
	}
	return nil
}
