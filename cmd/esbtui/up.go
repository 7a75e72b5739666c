package main

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
)

// newUpCmd builds `esbtui up`.
func newUpCmd(a *app) *cobra.Command {
	var sf stackFlags
	var wait time.Duration
	var auth bool
	var bind string
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the HTTPS registry stack and wait until it is healthy",
		Long: `up starts the compose project "esb" (the registry on https://localhost:5000,
plus the services of any -f files) on the Docker engine and returns once every
service is healthy and https://localhost:5000/v2/ answers with a certificate
that verifies against esbtui's CA. It needs the certificates (` + "`esbtui init`" + `).

The default compose file is written to ~/.esb/stack/compose.yaml; -f FILE is
merged over it with ESB_CERT_DIR, ESB_REGISTRY and ESB_REGISTRY_PORT set for
interpolation. Ctrl-C stops waiting; ` + "`esbtui down`" + ` removes what was created.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := sf.options()
			o.WaitTimeout = wait
			o.Bind = bind
			if cmd.Flags().Changed("auth") {
				o.Auth = &auth
			}
			services, err := a.env.Up(cmd.Context(), o, a.sink())
			if errors.As(err, new(*flows.BindNeedsAuthError)) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			return a.output(map[string]any{"project": a.env.Cfg.Project, "registry": a.env.RegistryAddr(), "services": services}, func() {
				a.printf("stack %s is up: https://%s\n", a.env.Cfg.Project, a.env.RegistryAddr())
			})
		},
	}
	sf.add(cmd)
	cmd.Flags().DurationVar(&wait, "wait-timeout", 2*time.Minute, "how long to wait for every service to be healthy")
	cmd.Flags().BoolVar(&auth, "auth", false, "basic auth on the registry (user esbtui, random password in ~/.esb/auth/password; kept for later ups; --auth=false turns it off)")
	cmd.Flags().StringVar(&bind, "bind", "", "publish the registry port on this address instead of 127.0.0.1 (a non-loopback address needs --auth)")
	return cmd
}
