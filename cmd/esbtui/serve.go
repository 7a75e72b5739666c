package main

import (
	"time"

	"github.com/spf13/cobra"
)

// newServeCmd builds `esbtui serve`.
func newServeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTPS registry in this process (no Docker engine needed)",
		Long: `serve runs the registry (distribution v3) inside esbtui on
https://localhost:5000 with esbtui's server certificate, storing images under
~/.esb/registry, until Ctrl-C. Use it on machines without a Docker engine; it
cannot run at the same time as the stack's registry (same port).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			err := a.env.Serve(cmd.Context(), a.sink(), func(addr string) {
				doc := map[string]any{"serving": "https://" + a.env.RegistryAddr(), "listen": addr, "data": a.env.Cfg.RegistryDataDir(), "ready_ms": time.Since(start).Milliseconds()}
				a.output(doc, func() {
					a.printf("serving https://%s (listening on %s, data in %s); Ctrl-C to stop\n", a.env.RegistryAddr(), addr, a.env.Cfg.RegistryDataDir())
				})
			})
			if err != nil {
				return err
			}
			if !a.jsonOut {
				a.printf("registry stopped\n")
			}
			return nil
		},
	}
}
