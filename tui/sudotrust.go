package tui

import (
	"fmt"
	"os/exec"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// Messages of the trust flow.
type (
	trustPlanMsg struct {
		plan TrustPlan
		err  error
	}
	// sudoMsg ends the foreground `sudo -v` run before installing trust.
	sudoMsg struct{ err error }
)

// requestTrustPlan asks the backend what installing trust would change;
// the answer (trustPlanMsg) is shown for a yes or no.
func (m *Model) requestTrustPlan() tea.Cmd {
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		plan, err := b.TrustPlan(ctx)
		return trustPlanMsg{plan, err}
	}
}

func (m *Model) onTrustPlan(msg trustPlanMsg) tea.Cmd {
	if msg.err != nil {
		m.fail("trust plan", msg.err)
		return nil
	}
	return m.askTrust(msg.plan)
}

// onSudo installs once the foreground sudo run succeeded.
func (m *Model) onSudo(msg sudoMsg) tea.Cmd {
	if msg.err != nil {
		m.fail("trust", fmt.Errorf("sudo: %w; nothing changed (run `esbtui trust install` in a shell, or run esbtui as root)", msg.err))
		return nil
	}
	return m.run(jobSpec{kind: jobTrust}, m.b.InstallTrust, nil)
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
				return m.run(jobSpec{kind: jobTrust}, m.b.InstallTrust, nil)
			}
			m.logLine(m.now(), m.st.mark(lvlBusy, "trust: "+strings.Join(p.Sudo, " ")))
			c := exec.Command(p.Sudo[0], p.Sudo[1:]...)
			return tea.ExecProcess(c, func(err error) tea.Msg { return sudoMsg{err} })
		},
	}
	return nil
}
