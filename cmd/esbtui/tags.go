package main

import (
	"github.com/spf13/cobra"
)

// newTagsCmd builds `esbtui tags`.
func newTagsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "tags REPO",
		Short: "List the tags of a repository (REPO without a registry is in the local one)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := a.env.Tags(cmd.Context(), args[0])
			if err != nil {
				return regErr(err)
			}
			return a.output(res, func() {
				for _, t := range res.Tags {
					a.printf("%s\n", t)
				}
			})
		},
	}
}
