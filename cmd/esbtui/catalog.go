package main

import (
	"github.com/spf13/cobra"
)

// newCatalogCmd builds `esbtui catalog`.
func newCatalogCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "catalog",
		Short: "List the repositories of the registry (every page)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.env.Catalog(cmd.Context())
			if err != nil {
				return regErr(err)
			}
			return a.output(res, func() {
				for _, r := range res.Repositories {
					a.printf("%s\n", r)
				}
			})
		},
	}
}
