package main

import (
	"github.com/spf13/cobra"
)

// newCatalogCmd builds `esbtui catalog`.
func newCatalogCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "catalog",
		Short: "List the repositories of the registry (every page) and what they hold (image, chart, …)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.env.CatalogKinds(cmd.Context())
			if err != nil {
				return regErr(err)
			}
			return a.output(res, func() {
				width := 0
				for _, r := range res.Repositories {
					width = max(width, len(r))
				}
				for _, r := range res.Repositories {
					if k, ok := res.Kinds[r]; ok {
						a.printf("%-*s  %s\n", width, r, k)
					} else {
						a.printf("%s\n", r)
					}
				}
			})
		},
	}
}
