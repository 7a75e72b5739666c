package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// newInspectCmd builds `esbtui inspect`.
func newInspectCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect REF",
		Short: "Show a manifest or index: its kind (image, chart, signature, …), platforms, layers, config, referrers",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := a.env.Inspect(cmd.Context(), args[0])
			if err != nil {
				return regErr(err)
			}
			return a.output(in, func() {
				printInspection(a, in)
			})
		},
	}
}

func printInspection(a *app, in *flows.Inspection) {
	kind := in.Artifact.Summary()
	if in.Signed {
		kind += "  ✓ signed"
	}
	a.printf("%s  %s\n", in.Ref, kind)
	a.printf("  digest      %s\n", in.Digest)
	a.printf("  media type  %s (%s)\n", in.MediaType, progress.Bytes(in.Size))
	if len(in.Platforms) > 0 {
		a.printf("  platforms   %s\n", strings.Join(in.Platforms, ", "))
	}
	// Signatures, SBOMs, attestations: through the referrers API, or the
	// fallback tag on registries without it.
	if len(in.Referrers) > 0 {
		a.printf("  referrers   %d\n", len(in.Referrers))
		for _, r := range in.Referrers {
			a.printf("    %s  %-20s %s  %s\n", r.Digest, r.Summary(), orDash(r.ArtifactType), progress.Bytes(r.Size))
		}
	}
	if in.ReferrersError != "" {
		a.printf("  referrers   not listed: %s\n", in.ReferrersError)
	}
	for _, im := range in.Images {
		a.printf("\n  %s  %s\n", orDash(im.Platform), im.Digest)
		a.printf("    created     %s\n", im.Created.UTC().Format("2006-01-02 15:04:05 MST"))
		if len(im.Entrypoint) > 0 {
			a.printf("    entrypoint  %s\n", strings.Join(im.Entrypoint, " "))
		}
		if len(im.Cmd) > 0 {
			a.printf("    cmd         %s\n", strings.Join(im.Cmd, " "))
		}
		for k, v := range im.Labels {
			a.printf("    label       %s=%s\n", k, v)
		}
		a.printf("    config      %s\n", im.Config)
		a.printf("    layers      %d, %s\n", len(im.Layers), progress.Bytes(im.Size))
		for _, l := range im.Layers {
			a.printf("      %s  %10s\n", l.Digest, progress.Bytes(l.Size))
		}
	}
}
