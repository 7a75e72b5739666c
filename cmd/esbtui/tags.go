package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
)

// newTagsCmd builds `esbtui tags`.
func newTagsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "tags REPO",
		Short: "List the tags of a repository: what each holds (image, chart, …) and which are signed",
		Long: `tags lists the tags of REPO (without a registry, in the local one): what each
holds (an image, an index, a Helm chart with its version, another artifact)
and "✓ signed" when a signature refers to it. Referrers tags (the OCI 1.1
tag-schema index sha256-<hex> and cosign's .sig/.att/.sbom tags) are not
listed as tags: they belong to the image of that digest (--json:
referrers_tags).`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := a.env.Tags(cmd.Context(), args[0])
			if err != nil {
				return regErr(err)
			}
			return a.output(res, func() { printTags(a, res) })
		},
	}
}

// printTags prints one line per tag: the tag, what it holds, signed.
func printTags(a *app, res *flows.TagsResult) {
	width := 0
	for _, t := range res.Tags {
		width = max(width, len(t))
	}
	for i, t := range res.Tags {
		if i >= len(res.Details) {
			a.printf("%s\n", t)
			continue
		}
		d := res.Details[i]
		line := fmt.Sprintf("%-*s  %s", width, t, d.Summary)
		if d.Signed {
			line += "  ✓ signed"
		}
		if d.Err != "" {
			line += "  (" + d.Err + ")"
		}
		a.printf("%s\n", line)
	}
}
