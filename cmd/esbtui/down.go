package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newDownCmd builds `esbtui down`.
func newDownCmd(a *app) *cobra.Command {
	var sf stackFlags
	var volumes bool
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop and remove the stack's containers (keeps the registry's data)",
		Long: `down stops and removes the containers and networks of the compose project.
The registry's data (volume registry-data) is kept unless --volumes is given,
which asks first (headless: needs --yes).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if volumes {
				q := fmt.Sprintf("Delete the volumes of project %s, with every image pushed to the registry?", a.env.Cfg.Project)
				if err := a.confirm(q, "down --volumes"); err != nil {
					return err
				}
			}
			if err := a.env.Down(cmd.Context(), sf.options(), volumes, a.sink()); err != nil {
				return err
			}
			return a.output(map[string]any{"project": a.env.Cfg.Project, "volumes_removed": volumes}, func() {
				a.printf("stack %s is down\n", a.env.Cfg.Project)
			})
		},
	}
	sf.add(cmd)
	cmd.Flags().BoolVar(&volumes, "volumes", false, "also delete the named volumes (the registry's data); asks first")
	return cmd
}
