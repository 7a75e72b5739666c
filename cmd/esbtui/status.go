package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/env"
	"github.com/esbtui/esbtui/pki"
)

func init() {
	register(func(a *app) *cobra.Command {
		return &cobra.Command{
			Use:   "status",
			Short: "Print the state of certificates, trust, stack and registry once",
			Long:  "status prints one snapshot of the whole chain and exits 0 when everything is healthy, 1 otherwise.",
			Args:  usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				return a.printStatus(cmd)
			},
		}
	})
}

func (a *app) printStatus(cmd *cobra.Command) error {
	snap := a.env.Snapshot(cmd.Context())
	if a.jsonOut {
		if err := a.printJSON(snap); err != nil {
			return err
		}
	} else {
		printSnapshot(a, snap)
	}
	if !snap.OK() {
		return &exitError{code: exitFailed}
	}
	return nil
}

func printSnapshot(a *app, s env.Snapshot) {
	a.printf("esbtui home: %s\n\n", s.Home)
	printCertReport(a, s.Certs)
	printTrust(a, s.Trust)
	printStack(a, s.Stack)
	printRegistry(a, s.Registry)
}

func printCertReport(a *app, r pki.Report) {
	a.printf("Certificates (%s)\n", r.Dir)
	for _, c := range []pki.CertInfo{r.CA, r.Server} {
		printCert(a, c)
	}
}

func printCert(a *app, c pki.CertInfo) {
	name := map[string]string{"ca": "root CA", "server": "server"}[c.Role]
	mark := "✓"
	switch {
	case !c.OK():
		mark = "✗"
	case len(c.Warnings) > 0:
		mark = "!"
	}
	if !c.Present {
		a.printf("  %s %-8s missing (%s)\n", mark, name, c.File)
	} else {
		a.printf("  %s %-8s %s, %d days left (until %s)\n", mark, name, c.KeyType, c.DaysLeft, c.NotAfter.Format("2006-01-02"))
		a.printf("      file      %s\n", c.File)
		a.printf("      subject   %s\n", c.Subject)
		if len(c.SANs) > 0 {
			a.printf("      names     %s\n", strings.Join(c.SANs, ", "))
		}
		if len(c.Constraints) > 0 {
			a.printf("      permits   %s\n", strings.Join(c.Constraints, ", "))
		}
		a.printf("      sha256    %s\n", c.Fingerprint)
		a.printf("      key       %s\n", tick(c.KeyMatch, "matches "+c.KeyFile, "does not match"))
		chain := "self-signed"
		if c.Role == "server" {
			chain = tick(c.ChainValid, "verifies against the CA (constraints cover every name)", "fails: "+c.ChainError)
		}
		a.printf("      chain     %s\n", chain)
	}
	for _, p := range c.Problems {
		a.printf("      ✗ %s\n", p)
	}
	for _, w := range c.Warnings {
		a.printf("      ! %s\n", w)
	}
}

func tick(ok bool, yes, no string) string {
	if ok {
		return "✓ " + yes
	}
	return fmt.Sprintf("✗ %s", no)
}
