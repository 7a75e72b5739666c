package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/flows"
)

// newRegistryServerCmd builds the hidden command esbtui's registry image
// runs (flows.RunRegistryInContainer): the registry, its healthcheck and
// du, in an image with no shell.
func newRegistryServerCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:                flows.RegistryServerCommand + " (serve CONFIG | garbage-collect [--delete-untagged] [--dry-run] CONFIG | healthcheck URL | du PATH... | gc-online [--dry-run] | maintenance)",
		Short:              "Run the registry inside esbtui's registry image (used by the stack)",
		Hidden:             true,
		DisableFlagParsing: true,
		// In the container there is no ESB_HOME to load: skip the root's setup.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{errors.New(flows.RegistryServerCommand + ": name a subcommand: serve, garbage-collect, healthcheck, du, gc-online or maintenance")}
			}
			var sched config.Schedules
			mirrorDir := ""
			if args[0] == "serve" {
				mirrorDir = config.RegistrydMirrorDir()
				s, err := config.LoadRegistryd()
				if err != nil {
					return err
				}
				sched = s
			}
			return flows.RunRegistryInContainer(cmd.Context(), args, a.stdout, a.stderr, sched, mirrorDir)
		},
	}
}
