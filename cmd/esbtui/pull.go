package main

import (
	"github.com/spf13/cobra"
)

// newPullCmd builds `esbtui pull`.
func newPullCmd(a *app) *cobra.Command {
	var verify bool
	cmd := &cobra.Command{
		Use:   "pull REF",
		Short: "Pull an image from the registry into the engine (REF without a registry is in the local one)",
		Long: `pull fetches REF from the registry and loads it into the engine, tagged REF.
With --verify (or esb.yaml verify: required) REF's Notary Project signature is
verified against esbtui's CA first (see esbtui verify): an unsigned or tampered
image is refused and nothing is loaded; a verified one is fetched by the
verified digest.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.env.PullChecked(cmd.Context(), args[0], verify, a.sink())
			if err != nil {
				return regErr(err)
			}
			return a.output(p, func() {
				if p.Verified != nil {
					printVerified(a, p.Verified)
				}
				a.printf("pulled %s (%s) into the engine\n", p.Ref, p.Digest)
			})
		},
	}
	cmd.Flags().BoolVar(&verify, "verify", false, "verify the image's signature first; refuse unsigned or tampered images")
	return cmd
}
