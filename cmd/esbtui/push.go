package main

import (
	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// newPushCmd builds `esbtui push`.
func newPushCmd(a *app) *cobra.Command {
	var to string
	var sign bool
	cmd := &cobra.Command{
		Use:   "push IMAGE",
		Short: "Push an engine image to the registry: export once, compress each layer once, upload in parallel",
		Long: `push exports IMAGE from the engine (docker save), compresses each layer once
(parallel gzip at a fast level), skips layers the registry already has, and
uploads the rest concurrently over HTTP/1.1, with live per-layer progress.
IMAGE without a registry goes to the local registry under the same name
(app → localhost:5000/app:latest); --to chooses another destination.
$ESB_HOME/cache/layers.json remembers each layer's compressed digest, so an
unchanged layer is never compressed again. --sign signs the pushed image (see
esbtui sign).`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := a.env.Push(cmd.Context(), args[0], to, a.sink())
			if err != nil {
				return regErr(err)
			}
			if !sign {
				return a.output(res, func() { printPush(a, res) })
			}
			sr, err := a.env.SignPushed(cmd.Context(), res, a.sink())
			if err != nil {
				return regErr(err)
			}
			out := struct {
				*flows.PushResult
				Signature *flows.Signed `json:"signature"`
			}{res, sr}
			return a.output(out, func() {
				printPush(a, res)
				printSigned(a, sr)
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "destination reference (default: the local registry, same name)")
	cmd.Flags().BoolVar(&sign, "sign", false, "sign the pushed image with esbtui's code-signing certificate")
	return cmd
}

func printPush(a *app, res *flows.PushResult) {
	a.printf("pushed %s@%s in %s\n", res.Ref, res.Digest, res.Elapsed.Round(1e6))
	counts := map[string]int{}
	for _, l := range res.Layers {
		counts[l.Action]++
	}
	a.printf("  layers: %d uploaded, %d already there, %d mounted; compressed %d (%s), sent %s\n",
		counts[flows.LayerUploaded], counts[flows.LayerExists], counts[flows.LayerMounted],
		res.LayersCompressed, progress.Bytes(res.BytesCompressed), progress.Bytes(res.BytesSent))
}
