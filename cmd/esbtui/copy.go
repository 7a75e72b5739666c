package main

import (
	"github.com/spf13/cobra"
)

// newCopyCmd builds `esbtui copy`.
func newCopyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "copy SRC DST",
		Short: "Copy an image or index between registries (mirror an image into the local registry)",
		Args:  usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			cp, err := a.env.Copy(cmd.Context(), args[0], args[1], a.sink())
			if err != nil {
				return regErr(err)
			}
			return a.output(cp, func() {
				a.printf("copied %s → %s (%s)\n", cp.Source, cp.Destination, cp.Digest)
			})
		},
	}
}
