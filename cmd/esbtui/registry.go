package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/env"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
)

func printRegistry(a *app, s *env.RegistryStatus) {
	if s == nil {
		return
	}
	a.printf("\nRegistry (%s)\n", s.Address)
	if !s.Reachable {
		mark := "✗"
		if s.Stage == string(registryclient.StageTCP) {
			mark = "·"
		}
		if s.Stage != "" {
			a.printf("  %s unreachable (%s): %s\n", mark, s.Stage, s.Error)
		} else {
			a.printf("  %s unreachable: %s\n", mark, s.Error)
		}
		if s.Fix != "" {
			a.printf("      fix       %s\n", s.Fix)
		}
		return
	}
	a.printf("  ✓ reachable  API %s, %d ms\n", orDash(s.APIVersion), s.LatencyMS)
	if s.Repositories >= 0 {
		a.printf("      repos     %d\n", s.Repositories)
	}
	if s.StorageBytes >= 0 {
		a.printf("      storage   %s (%s)\n", progress.Bytes(s.StorageBytes), s.StorageSource)
	}
	if m := s.Metrics; m != nil {
		a.printf("      metrics   %s\n", windowText(m))
		for _, l := range metricLines(m) {
			a.printf("        %s\n", l)
		}
	}
	if s.Error != "" {
		a.printf("      ! %s\n", s.Error)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// regErr makes a malformed reference a usage error (exit 2).
func regErr(err error) error {
	var bad *registryclient.BadReferenceError
	if errors.As(err, &bad) {
		return &usageError{err}
	}
	return err
}

func init() {
	register(func(a *app) *cobra.Command {
		return &cobra.Command{
			Use:   "catalog",
			Short: "List the repositories of the registry (every page)",
			Args:  usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				res, err := a.env.Catalog(cmd.Context())
				if err != nil {
					return regErr(err)
				}
				if a.jsonOut {
					return a.printJSON(res)
				}
				for _, r := range res.Repositories {
					a.printf("%s\n", r)
				}
				return nil
			},
		}
	})
	register(func(a *app) *cobra.Command {
		return &cobra.Command{
			Use:   "tags REPO",
			Short: "List the tags of a repository (REPO without a registry is in the local one)",
			Args:  usageArgs(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				res, err := a.env.Tags(cmd.Context(), args[0])
				if err != nil {
					return regErr(err)
				}
				if a.jsonOut {
					return a.printJSON(res)
				}
				for _, t := range res.Tags {
					a.printf("%s\n", t)
				}
				return nil
			},
		}
	})
	register(func(a *app) *cobra.Command {
		return &cobra.Command{
			Use:   "inspect REF",
			Short: "Show a manifest or index: platforms, layers and sizes, created, entrypoint, labels",
			Args:  usageArgs(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				in, err := a.env.Inspect(cmd.Context(), args[0])
				if err != nil {
					return regErr(err)
				}
				if a.jsonOut {
					return a.printJSON(in)
				}
				printInspection(a, in)
				return nil
			},
		}
	})
	register(func(a *app) *cobra.Command {
		return &cobra.Command{
			Use:   "rm REF",
			Short: "Delete a tag (REPO:TAG) or a manifest (REPO@sha256:...) from the registry",
			Long: `rm deletes one tag, leaving other tags of the same manifest in place, or a
manifest by digest, which removes every tag pointing at it. The space comes
back after the registry's garbage collection.`,
			Args: usageArgs(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				d, err := a.env.Delete(cmd.Context(), args[0])
				if err != nil {
					return regErr(err)
				}
				if a.jsonOut {
					return a.printJSON(d)
				}
				what := "tag"
				if d.ByDigest {
					what = "manifest"
				}
				a.printf("deleted %s %s (%s)\n", what, d.Ref, d.Digest)
				if d.Note != "" {
					a.printf("  note: %s\n", d.Note)
				}
				return nil
			},
		}
	})
	register(func(a *app) *cobra.Command {
		var keep int
		var dryRun bool
		cmd := &cobra.Command{
			Use:   "prune --keep N [--dry-run] [REPO...]",
			Short: "Keep the N newest tags of each repository (by image creation time), delete the rest",
			Long: `prune keeps, in every repository (or only the REPOs named), the N tags whose
images were created last and deletes the others. Run it with --dry-run first:
the dry run lists exactly what the real run deletes.`,
			Args: usageArgs(cobra.ArbitraryArgs),
			RunE: func(cmd *cobra.Command, args []string) error {
				if !cmd.Flags().Changed("keep") || keep < 0 {
					return &usageError{fmt.Errorf("prune needs --keep N (N ≥ 0)")}
				}
				res, err := a.env.Prune(cmd.Context(), keep, dryRun, args, a.sink())
				if res != nil {
					if a.jsonOut {
						if perr := a.printJSON(res); perr != nil {
							return perr
						}
					} else {
						printPrune(a, res)
					}
				}
				return regErr(err)
			},
		}
		cmd.Flags().IntVar(&keep, "keep", 0, "number of newest tags to keep per repository")
		cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be deleted; delete nothing")
		return cmd
	})
	register(func(a *app) *cobra.Command {
		return &cobra.Command{
			Use:   "copy SRC DST",
			Short: "Copy an image or index between registries (mirror an image into the local registry)",
			Args:  usageArgs(cobra.ExactArgs(2)),
			RunE: func(cmd *cobra.Command, args []string) error {
				cp, err := a.env.Copy(cmd.Context(), args[0], args[1], a.sink())
				if err != nil {
					return regErr(err)
				}
				if a.jsonOut {
					return a.printJSON(cp)
				}
				a.printf("copied %s → %s (%s)\n", cp.Source, cp.Destination, cp.Digest)
				return nil
			},
		}
	})
	register(func(a *app) *cobra.Command {
		var to string
		cmd := &cobra.Command{
			Use:   "push IMAGE",
			Short: "Push an engine image to the registry: export once, compress each layer once, upload in parallel",
			Long: `push exports IMAGE from the engine (docker save), compresses each layer once
(parallel gzip at a fast level), skips layers the registry already has, and
uploads the rest concurrently over HTTP/1.1, with live per-layer progress.
IMAGE without a registry goes to the local registry under the same name
(app → localhost:5000/app:latest); --to chooses another destination.
$ESB_HOME/cache/layers.json remembers each layer's compressed digest, so an
unchanged layer is never compressed again.`,
			Args: usageArgs(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				res, err := a.env.Push(cmd.Context(), args[0], to, a.sink())
				if err != nil {
					return regErr(err)
				}
				if a.jsonOut {
					return a.printJSON(res)
				}
				printPush(a, res)
				return nil
			},
		}
		cmd.Flags().StringVar(&to, "to", "", "destination reference (default: the local registry, same name)")
		return cmd
	})
	register(func(a *app) *cobra.Command {
		return &cobra.Command{
			Use:   "pull REF",
			Short: "Pull an image from the registry into the engine (REF without a registry is in the local one)",
			Args:  usageArgs(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				p, err := a.env.Pull(cmd.Context(), args[0], a.sink())
				if err != nil {
					return regErr(err)
				}
				if a.jsonOut {
					return a.printJSON(p)
				}
				a.printf("pulled %s (%s) into the engine\n", p.Ref, p.Digest)
				return nil
			},
		}
	})
}

func printInspection(a *app, in *registryclient.Inspection) {
	kind := "image"
	if in.Index {
		kind = "index"
	}
	a.printf("%s  %s\n", in.Ref, kind)
	a.printf("  digest      %s\n", in.Digest)
	a.printf("  media type  %s (%s)\n", in.MediaType, progress.Bytes(in.Size))
	if len(in.Platforms) > 0 {
		a.printf("  platforms   %s\n", strings.Join(in.Platforms, ", "))
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

func printPrune(a *app, res *registryclient.PruneResult) {
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
		for _, e := range r.Errors {
			a.printf("  ✗ %s\n", e)
		}
	}
}

func printPush(a *app, res *registryclient.PushResult) {
	a.printf("pushed %s@%s in %s\n", res.Ref, res.Digest, res.Elapsed.Round(1e6))
	counts := map[string]int{}
	for _, l := range res.Layers {
		counts[l.Action]++
	}
	a.printf("  layers: %d uploaded, %d already there, %d mounted; compressed %d (%s), sent %s\n",
		counts[registryclient.ActionUploaded], counts[registryclient.ActionExists], counts[registryclient.ActionMounted],
		res.LayersCompressed, progress.Bytes(res.BytesCompressed), progress.Bytes(res.BytesSent))
}
