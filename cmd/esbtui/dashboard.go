package main

import (
	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/tui"
)

// runDashboard is `esbtui` with no command: the TUI on a terminal, the status
// printout otherwise (--no-tui, --json, or stdout not a terminal).
func (a *app) runDashboard(cmd *cobra.Command, args []string) error {
	if a.headless() {
		return a.printStatus(cmd)
	}
	// The dashboard runs `sudo -v` in the foreground before a privileged
	// trust install; later sudo calls must never prompt under the TUI.
	a.env.NonInteractiveSudo = true
	return tui.Run(cmd.Context(), tui.NewEnvBackend(a.env), tui.Options{})
}
