package main

import (
	"github.com/spf13/cobra"
)

// newPullCmd builds `esbtui pull`.
func newPullCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "pull REF",
		Short: "Pull an image from the registry into the engine (REF without a registry is in the local one)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.env.Pull(cmd.Context(), args[0], a.sink())
			if err != nil {
				return regErr(err)
			}
			return a.output(p, func() {
				a.printf("pulled %s (%s) into the engine\n", p.Ref, p.Digest)
			})
		},
	}
}
