package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// newGCCmd builds `esbtui gc`.
func newGCCmd(a *app) *cobra.Command {
	var dryRun, offline bool
	cmd := &cobra.Command{
		Use:   "gc [--dry-run] [--offline]",
		Short: "Reclaim the space of deleted images (registry garbage-collect --delete-untagged)",
		Long: `gc runs the registry's garbage collection on the stack's registry: manifests
without a tag and blobs no manifest references are deleted. esbtui's own
registry image collects while it serves: pulls go on, pushes wait until the
sweep ends (it reports how many of each). Another image (registry:3) is
stopped during the sweep (a few seconds) and started again, healthy, with an
empty blob cache. Either way pushing the same image right after gc is safe.
--dry-run lists what would be deleted and how many bytes it holds, and leaves
the registry running. ` + "`esbtui prune --keep N`" + ` then ` + "`esbtui gc`" + ` is the
retention policy.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.env.GCWith(cmd.Context(), flows.GCOptions{DryRun: dryRun, Offline: offline}, a.sink())
			if err != nil {
				return err
			}
			return a.output(res, func() {
				printGC(a, res)
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be deleted; delete nothing, keep the registry running")
	cmd.Flags().BoolVar(&offline, "offline", false, "stop esbtui's registry for the sweep as other images are (distribution's own garbage-collect)")
	return cmd
}

func printGC(a *app, res *flows.GCResult) {
	if res.DryRun {
		a.printf("gc --dry-run: would delete %d manifest(s) and %d blob(s), reclaiming %s\n",
			len(res.Manifests), len(res.Blobs), progress.Bytes(res.BytesReclaimed))
		return
	}
	a.printf("gc: deleted %d manifest(s) and %d blob(s), reclaimed %s", len(res.Manifests), len(res.Blobs), progress.Bytes(res.BytesReclaimed))
	if res.BytesAfter >= 0 {
		a.printf(" (storage now %s)", progress.Bytes(res.BytesAfter))
	}
	if res.Online {
		a.printf("\n  online: sweep %s, registry kept serving (%d read(s) served, %d write(s) held during the sweep)\n",
			res.Sweep.Round(time.Millisecond), res.ReadsServed, res.WritesHeld)
		return
	}
	a.printf("\n  sweep %s, registry down %s\n", res.GC.Round(time.Millisecond), res.Downtime.Round(time.Millisecond))
}
