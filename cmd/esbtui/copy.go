package main

import (
	"github.com/spf13/cobra"
)

// newCopyCmd builds `esbtui copy`.
func newCopyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "copy SRC DST",
		Short: "Copy an image or index with its signatures and SBOMs between registries (mirror into the local one)",
		Args:  usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			cp, err := a.env.Copy(cmd.Context(), args[0], args[1], a.sink())
			if cp == nil {
				return regErr(err)
			}
			if perr := a.output(cp, func() {
				a.printf("copied %s → %s (%s)\n", cp.Source, cp.Destination, cp.Digest)
				if len(cp.Referrers) > 0 {
					a.printf("  with %d referrer(s) (signatures, SBOMs)\n", len(cp.Referrers))
				}
			}); perr != nil {
				return perr
			}
			return regErr(err)
		},
	}
}
