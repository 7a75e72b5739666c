package main

import "github.com/spf13/cobra"

// runDashboard is `esbtui` with no command: the TUI on a terminal, the status
// printout otherwise.
func (a *app) runDashboard(cmd *cobra.Command, args []string) error {
	return a.printStatus(cmd)
}
