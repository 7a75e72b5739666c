package main

import (
	"fmt"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/spf13/cobra"
)

// newPruneCmd builds `esbtui prune`.
func newPruneCmd(a *app) *cobra.Command {
	var keep int
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "prune --keep N [--dry-run] [REPO...]",
		Short: "Keep the N newest tags of each repository (by image creation time), delete the rest",
		Long: `prune keeps, in every repository (or only the REPOs named), the N tags whose
images were created last and deletes the others. Run it with --dry-run first:
the dry run lists exactly what the real run deletes. Signatures, SBOMs and
their tag-schema index (sha256-<hex>, cosign's .sig/.att/.sbom tags) are
not tags to count: they stay with a kept image and go with a deleted one;
referrers whose image is already gone are deleted too.`,
		Args: usageArgs(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("keep") || keep < 0 {
				return &usageError{fmt.Errorf("prune needs --keep N (N ≥ 0)")}
			}
			res, err := a.env.Prune(cmd.Context(), keep, dryRun, args, a.sink())
			if res != nil {
				if perr := a.output(res, func() { printPrune(a, res) }); perr != nil {
					return perr
				}
			}
			return regErr(err)
		},
	}
	cmd.Flags().IntVar(&keep, "keep", 0, "number of newest tags to keep per repository")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be deleted; delete nothing")
	return cmd
}

func printPrune(a *app, res *flows.PruneResult) {
	verb := "deleted"
	if res.DryRun {
		verb = "would delete"
	}
	for _, r := range res.Repos {
		a.printf("%s: keep %d, %s %d\n", r.Repository, len(r.Keep), verb, len(r.Delete))
		for _, k := range r.Keep {
			a.printf("  keep    %-20s %s\n", k.Tag, k.Created.UTC().Format("2006-01-02 15:04"))
		}
		for _, d := range r.Delete {
			a.printf("  %-7s %-20s %s\n", map[bool]string{true: "would", false: "delete"}[res.DryRun], d.Tag, d.Created.UTC().Format("2006-01-02 15:04"))
		}
		for _, d := range r.ReferrersOf {
			a.printf("  %-7s referrers of %s\n", map[bool]string{true: "would", false: "delete"}[res.DryRun], d)
		}
		for _, t := range r.Orphans {
			a.printf("  %-7s orphaned %s\n", map[bool]string{true: "would", false: "delete"}[res.DryRun], t)
		}
		for _, e := range r.Errors {
			a.printf("  ✗ %s\n", e)
		}
	}
}
