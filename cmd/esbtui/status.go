package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/termtext"
)

// newStatusCmd builds `esbtui status`.
func newStatusCmd(a *app) *cobra.Command {
	var watch bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the state of certificates, trust, stack and registry once (or --watch the stack)",
		Long: `status prints one snapshot of the whole chain and exits 0 when everything is healthy, 1 otherwise
(an alert at fail included). The registry's alerts (storage filesystem use, push and pull
success, API p95) are ok, warn, fail or unknown, each with its fix; --json lists them under
"alerts".
--watch then follows the stack live (engine events, no polling): one line per change,
or one JSON object per line with --json, until Ctrl-C. When the engine goes away it says
so and reconnects by itself.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if watch {
				return a.watchStatus(cmd)
			}
			return a.printStatus(cmd)
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "follow the stack's state live until Ctrl-C")
	return cmd
}

func (a *app) printStatus(cmd *cobra.Command) error {
	snap := a.env.Snapshot(cmd.Context())
	if err := a.output(snap, func() { printSnapshot(a, snap) }); err != nil {
		return err
	}
	if !snap.OK() {
		return &exitError{code: exitFailed}
	}
	return nil
}

func printSnapshot(a *app, s flows.Snapshot) {
	a.printf("esbtui home: %s\n\n", s.Home)
	printCertReport(a, s.Certs)
	printTrust(a, s.Trust)
	printStack(a, s.Stack)
	printRegistry(a, s.Registry)
	printAlerts(a, s.Alerts, a.env.Cfg.Alerts)
	printMaintenance(a, s.Maintenance)
	if s.Mirrors != nil {
		a.printf("\nMirrors (pull-through caches)\n")
		printMirrors(a, s.Mirrors)
	}
}

func printCertReport(a *app, r flows.CertReport) {
	a.printf("Certificates (%s)\n", r.Dir)
	for _, c := range []flows.CertInfo{r.CA, r.Server, r.Signing} {
		printCert(a, c)
	}
}

func printCert(a *app, c flows.CertInfo) {
	name := map[string]string{"ca": "root CA", "server": "server", "signing": "signing"}[c.Role]
	mark := "✓"
	switch {
	case !c.Present && len(c.Problems) == 0:
		mark = "!"
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
		a.printf("      subject   %s\n", termtext.Clean(c.Subject))
		if len(c.SANs) > 0 {
			a.printf("      names     %s\n", termtext.Clean(strings.Join(c.SANs, ", ")))
		}
		if len(c.Constraints) > 0 {
			a.printf("      permits   %s\n", termtext.Clean(strings.Join(c.Constraints, ", ")))
		}
		a.printf("      sha256    %s\n", c.Fingerprint)
		a.printf("      key       %s\n", tick(c.KeyMatch, "matches "+c.KeyFile, "does not match"))
		chain := "self-signed"
		switch c.Role {
		case "server":
			chain = tick(c.ChainValid, "verifies against the CA (constraints cover every name)", "fails: "+termtext.Clean(c.ChainError))
		case "signing":
			chain = tick(c.ChainValid, "verifies against the CA for code signing", "fails: "+termtext.Clean(c.ChainError))
		}
		a.printf("      chain     %s\n", chain)
	}
	for _, p := range c.Problems {
		a.printf("      ✗ %s\n", termtext.Clean(p))
	}
	for _, w := range c.Warnings {
		a.printf("      ! %s\n", termtext.Clean(w))
	}
}

func tick(ok bool, yes, no string) string {
	if ok {
		return "✓ " + yes
	}
	return fmt.Sprintf("✗ %s", no)
}

func (a *app) watchStatus(cmd *cobra.Command) error {
	if !a.jsonOut {
		printSnapshot(a, a.env.Snapshot(cmd.Context()))
		a.printf("\nwatching stack %s (Ctrl-C to stop)\n", a.env.Cfg.Project)
	}
	return a.printWatch(a.env.WatchStatus(cmd.Context()))
}

// printWatch prints each update as a line (or a JSON object) until the
// channel closes. env sends only changes; a line also leaves out what it
// does not show (ports, exit codes, health output), so a line that would
// say the same as the one before is not printed again.
func (a *app) printWatch(updates <-chan flows.StackUpdate) error {
	last := ""
	for u := range updates {
		if a.jsonOut {
			if err := a.printJSONLine(u); err != nil {
				return fmt.Errorf("status --watch: encode the update as JSON: %w", err)
			}
			continue
		}
		line := watchLine(u)
		if line == last {
			continue
		}
		last = line
		a.printf("%s %s\n", u.Time.Format("15:04:05"), line)
	}
	return nil
}

// watchLine is what an update says, without its time.
func watchLine(u flows.StackUpdate) string {
	line := fmt.Sprintf("stack %s: %s", u.Project, u.State)
	if u.Error != "" {
		return line + " — engine unreachable: " + firstLine(u.Error) + " (reconnecting)"
	}
	var svcs []string
	for _, s := range u.Services {
		svcs = append(svcs, strings.TrimSpace(s.Name+" "+s.State+" "+s.Health))
	}
	if len(svcs) > 0 {
		line += " — " + strings.Join(svcs, ", ")
	}
	return line
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
