package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
)

// newTrustContainersCmd builds `esbtui trust containers`.
func newTrustContainersCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "containers",
		Short: "Print whether each running service trusts the CA, checked from inside its container (exit 1 when an opted-in one does not)",
		Long: `containers checks every running service of the stack from inside its container:
a TLS handshake to https://esb-registry:5000/v2/ with the container's own curl
or python3 where the image has one, otherwise the system CA bundle read out of
the container (it must hold esbtui's CA).

Services opt in to esbtui's CA with esb.yaml's trust.containers (all, or a list)
or the compose label esb.trust: "true"; ` + "`esbtui up`" + ` then mounts the bundle.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("store") {
				return &usageError{errString("--store names host trust stores: trust containers checks the stack's containers")}
			}
			rep, err := a.env.ContainerTrust(cmd.Context(), false)
			if err != nil {
				return err
			}
			if err := a.output(rep, func() { printContainerTrust(a, rep) }); err != nil {
				return err
			}
			if !rep.OK() {
				return &exitError{code: exitFailed}
			}
			return nil
		},
	}
}

func printContainerTrust(a *app, rep *flows.ContainerTrustReport) {
	if rep.Error != "" {
		a.printf("cannot read which services opt in: %s\n", rep.Error)
	}
	if len(rep.Services) == 0 {
		a.printf("no running service in project %s: `esbtui up` first\n", rep.Project)
		return
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tOPTED IN\tTRUSTS CA\tHOW")
	for _, s := range rep.Services {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Service, yesNo(s.OptedIn), yesNo(s.Trusted), s.Detail)
	}
	tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
