package main

import (
	"github.com/spf13/cobra"
)

// newRmCmd builds `esbtui rm`.
func newRmCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rm REF",
		Short: "Delete a tag (REPO:TAG) or a manifest (REPO@sha256:...) from the registry",
		Long: `rm deletes one tag, leaving other tags of the same manifest in place, or a
manifest by digest, which removes every tag pointing at it. The image's
signatures, SBOMs and their tag-schema index go with it (when no other tag
still names the same manifest). The space comes back after the registry's
garbage collection.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := a.env.Delete(cmd.Context(), args[0])
			if d == nil {
				return regErr(err)
			}
			if perr := a.output(d, func() {
				what := "tag"
				if d.ByDigest {
					what = "manifest"
				}
				a.printf("deleted %s %s (%s)\n", what, d.Ref, d.Digest)
				if d.Note != "" {
					a.printf("  note: %s\n", d.Note)
				}
				for _, r := range d.Referrers {
					a.printf("  with it %s\n", r)
				}
			}); perr != nil {
				return perr
			}
			return regErr(err)
		},
	}
}
