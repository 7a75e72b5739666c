package main

import (
	"github.com/spf13/cobra"
)

// newLogsCmd builds `esbtui logs`.
func newLogsCmd(a *app) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs SERVICE",
		Short: "Print a stack service's engine logs (-f to follow)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.env.Logs(cmd.Context(), args[0], follow, a.stdout)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep streaming new lines until Ctrl-C")
	return cmd
}
