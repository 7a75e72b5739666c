package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
)

// newTrustCmd builds `esbtui trust`.
func newTrustCmd(a *app) *cobra.Command {
	var stores []string
	status := func(cmd *cobra.Command, _ []string) error {
		if err := checkStoreNames(stores); err != nil {
			return err
		}
		st, err := a.env.TrustStatus(cmd.Context(), stores)
		if err != nil {
			return err
		}
		if err := a.output(st, func() { printTrust(a, st) }); err != nil {
			return err
		}
		if !st.OK() {
			return &exitError{code: exitFailed}
		}
		return nil
	}
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "Check, install or remove the CA in the trust stores (system, docker, containerd, podman, nss, java)",
		Long: `trust manages the CA in every store a developer's tools read: the system store
(Debian/Ubuntu, RHEL/Fedora, Arch, SUSE, macOS keychain, Windows ROOT), the
container engines' certs.d (docker, containerd, podman), NSS databases
(Chromium, Firefox) and Java's cacerts. Without a subcommand it prints the status.

Install and uninstall show the exact files and commands first. Steps that need
root run directly as root, otherwise through sudo. Headless runs need --yes.
ESB_TRUST_ROOT=DIR prefixes every store path (a sandbox for tests and CI).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: status,
	}
	cmd.PersistentFlags().StringArrayVar(&stores, "store", nil, "only this store (repeatable): "+strings.Join(flows.TrustStoreNames(), ", "))
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Print whether each store trusts the CA (exit 1 when an applicable one does not)",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  status,
	})
	cmd.AddCommand(newTrustContainersCmd(a))
	for _, op := range []flows.TrustOp{flows.TrustInstall, flows.TrustUninstall} {
		var dryRun bool
		short := map[flows.TrustOp]string{
			flows.TrustInstall:   "Trust the CA in every applicable store (or --store NAME)",
			flows.TrustUninstall: "Remove every trace of the CA (current and older ones) from the stores",
		}[op]
		sub := &cobra.Command{
			Use:   string(op),
			Short: short,
			Args:  usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				if err := checkStoreNames(stores); err != nil {
					return err
				}
				out, err := a.trustFlow(cmd, op, stores, dryRun)
				return outputOutcome(a, out, err)
			},
		}
		sub.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (files and commands) and change nothing")
		cmd.AddCommand(sub)
	}
	return cmd
}

func checkStoreNames(names []string) error {
	for _, n := range names {
		if !slices.Contains(flows.TrustStoreNames(), n) {
			return &usageError{fmt.Errorf("unknown store %q: choose from %s", n, strings.Join(flows.TrustStoreNames(), ", "))}
		}
	}
	return nil
}

// trustOutcome is the JSON document of trust install or uninstall.
type trustOutcome = planOutcome[*flows.TrustPlan]

// trustFlow plans op, prints the plan, gets consent (root or sudo, --yes
// headless, a prompt on a terminal), applies it and prints what each store
// did. It returns the outcome for JSON output.
func (a *app) trustFlow(cmd *cobra.Command, op flows.TrustOp, stores []string, dryRun bool) (*trustOutcome, error) {
	ctx := cmd.Context()
	plan, err := a.env.PlanTrust(ctx, op, stores)
	if err != nil {
		return nil, err
	}
	out := &trustOutcome{Plan: plan}
	if !a.jsonOut {
		printTrustPlan(a, plan)
	}
	flow := planFlow{verb: "trust", title: "Trust", changes: "trust stores", word: trustWord,
		execute: func(ctx context.Context) ([]flows.TrustResult, error) { return a.env.ExecuteTrust(ctx, plan, a.sink()) }}
	out.Applied, out.Results, err = flow.run(ctx, a, plan, stores, dryRun)
	return out, err
}

func printTrustPlan(a *app, p *flows.TrustPlan) { printPlan(a, "Trust", p, trustWord) }

// trustWord is a store's state as trust prints it.
func trustWord(s flows.TrustState) string { return string(s) }

// printPlan prints a plan per store (trust) or engine (mirror).
func printPlan(a *app, title string, p *flows.TrustPlan, word func(flows.TrustState) string) {
	a.printf("%s %s plan\n", title, p.Op)
	sudo := []string(nil)
	if p.NeedsRoot() {
		sudo = p.Sudo
	}
	for _, it := range p.Items {
		switch {
		case it.Skip != "":
			a.printf("  - %-10s not applicable: %s\n", it.Store, it.Skip)
		case it.Error != "":
			a.printf("  ✗ %-10s cannot plan: %s\n", it.Store, it.Error)
		case it.Plan.Empty():
			a.printf("  = %-10s nothing to do (%s)\n", it.Store, word(it.Status.State))
		default:
			a.printf("  → %-10s %s\n", it.Store, word(it.Status.State))
			for _, l := range it.Plan.Lines(sudo) {
				a.printf("      %s\n", l)
			}
			for _, n := range it.Plan.Notes {
				a.printf("      ! %s\n", n)
			}
		}
	}
}

func printResults(a *app, title string, rs []flows.TrustResult, word func(flows.TrustState) string) {
	a.printf("%s results\n", title)
	for _, r := range rs {
		mark := map[string]string{flows.TrustDone: "✓", flows.TrustNothingToDo: "=", flows.TrustFailed: "✗", flows.TrustNotApplicable: "-"}[r.Outcome]
		a.printf("  %s %-10s %s (now %s)\n", mark, r.Store, r.Outcome, word(r.After.State))
		if r.Error != "" {
			a.printf("      %s\n", r.Error)
		}
	}
}

func printTrust(a *app, s *flows.TrustStatus) {
	if s == nil {
		return
	}
	title := "Trust"
	if s.CA != "" {
		title += " (CA sha256 " + s.CA[:23] + "…)"
	}
	if s.Root != "" {
		title += " [sandbox root " + s.Root + "]"
	}
	a.printf("\n%s\n", title)
	if s.Problem != "" {
		a.printf("  ✗ %s\n", s.Problem)
	}
	for _, st := range s.Stores {
		mark := map[flows.TrustState]string{flows.StoreTrusted: "✓", flows.StoreMissing: "✗", flows.StoreStale: "✗", flows.StoreNotApplicable: "-", flows.StoreUnknown: "?"}[st.State]
		if st.State == flows.StoreTrusted && len(st.Warnings) > 0 {
			mark = "!"
		}
		line := string(st.State)
		if st.Reason != "" {
			line += ": " + st.Reason
		}
		a.printf("  %s %-10s %s\n", mark, st.Store, line)
		for _, d := range st.Detail {
			a.printf("      %s\n", d)
		}
		for _, w := range st.Warnings {
			a.printf("      ! %s\n", w)
		}
	}
	for _, r := range s.Runtimes {
		mark := "-"
		switch {
		case r.Trusted:
			mark = "✓"
		case r.Set:
			mark = "✗"
		}
		a.printf("  %s %-10s %s\n", mark, r.Runtime, r.Why)
	}
	for _, n := range s.Notes {
		a.printf("  ! %s\n", n)
	}
}
