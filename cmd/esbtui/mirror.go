package main

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/termtext"
)

// newMirrorCmd builds `esbtui mirror`: esb.yaml's pull-through caches and
// the engines' configuration to use them.
func newMirrorCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mirror",
		Short: "Pull-through caches: add, remove and list upstreams; make the engines use them",
		Long: `mirror manages esb.yaml's pull-through caches (served by ` + "`esbtui up`" + ` over esbtui's TLS)
and the engine configuration that sends pulls through them without any image name changing:
Docker's registry-mirrors (Docker Hub only; reloaded with SIGHUP, no restart),
containerd's certs.d/<upstream>/hosts.toml, and podman/buildah's registries.conf.d.

install and uninstall show the exact files and commands first (--dry-run prints only that);
headless runs need --yes. uninstall gives daemon.json back the exact bytes it had.
ESB_TRUST_ROOT=DIR prefixes every engine path (a sandbox); ESB_DOCKER_DAEMON_CONFIG and
ESB_DOCKERD_PIDFILE name another daemon.json and the dockerd to reload.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.mirrorList(cmd) },
	}
	cmd.AddCommand(newMirrorAddCmd(a), newMirrorRmCmd(a), &cobra.Command{
		Use:   "ls",
		Short: "List the mirrors with what they saved (hits, misses, bytes), the engines using them and Docker Hub's pull quota",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.mirrorList(cmd) },
	})
	var engines []string
	for _, op := range []flows.TrustOp{flows.TrustInstall, flows.TrustUninstall} {
		var dryRun bool
		short := map[flows.TrustOp]string{
			flows.TrustInstall:   "Make the engines pull through the mirrors (daemon.json, hosts.toml, registries.conf.d)",
			flows.TrustUninstall: "Undo mirror install exactly (daemon.json gets back its original bytes)",
		}[op]
		sub := &cobra.Command{
			Use:   string(op),
			Short: short,
			Args:  usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				out, err := a.mirrorFlow(cmd, op, engines, dryRun)
				return outputOutcome(a, out, err)
			},
		}
		sub.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (files and commands) and change nothing")
		sub.Flags().StringArrayVar(&engines, "engine", nil, "only this engine (repeatable): "+strings.Join(flows.MirrorEngineNames(), ", "))
		cmd.AddCommand(sub)
	}
	return cmd
}

func newMirrorAddCmd(a *app) *cobra.Command {
	var m config.Mirror
	var ttl, maxSize string
	cmd := &cobra.Command{
		Use:   "add UPSTREAM",
		Short: "Add a pull-through cache of UPSTREAM (docker.io, ghcr.io, quay.io, registry.k8s.io, https://host[:port]) to esb.yaml",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			m.Upstream = args[0]
			if ttl != "" {
				d, err := config.ParseTTL(ttl)
				if err != nil {
					return &usageError{fmt.Errorf("--ttl %q: give a duration such as 168h or 30m (0s: never expire)", ttl)}
				}
				m.TTL, m.TTLSet = d, true
			}
			if maxSize != "" {
				b, err := config.ParseSize(maxSize)
				if err != nil {
					return &usageError{fmt.Errorf("--max-size %q: %w", maxSize, err)}
				}
				m.MaxSize = b
			}
			ed, err := a.env.AddMirror(m)
			if err != nil {
				return err
			}
			return a.output(ed, func() {
				verb := "updated"
				if ed.Created {
					verb = "created"
				}
				a.printf("✓ mirror of %s at https://%s (%s %s)\n", termtext.Clean(ed.Upstream), ed.Address, verb, ed.File)
				a.printf("  credentials for %s: %s\n", termtext.Clean(ed.Upstream), ed.Credentials)
				for _, n := range ed.Next {
					a.printf("  next: %s\n", n)
				}
			})
		},
	}
	cmd.Flags().StringVar(&m.URL, "url", "", "where the cache fetches from (https://host[:port]; default: the upstream)")
	cmd.Flags().IntVar(&m.Port, "port", 0, "loopback port of the cache (default: 5001, 5002, ... in list order)")
	cmd.Flags().StringVar(&ttl, "ttl", "", "how long cached content is served (default 168h; 0s: never expire)")
	cmd.Flags().StringVar(&maxSize, "max-size", "", "size cap of the cache, e.g. 10GiB (default: none)")
	return cmd
}

func newMirrorRmCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rm UPSTREAM",
		Short: "Remove UPSTREAM's cache from esb.yaml (run `mirror uninstall` first if engines use it)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ed, err := a.env.RemoveMirror(args[0])
			if err != nil {
				return err
			}
			return a.output(ed, func() {
				a.printf("✓ removed the mirror of %s (%s) from %s\n", termtext.Clean(ed.Upstream), ed.Address, ed.File)
				for _, n := range ed.Next {
					a.printf("  next: %s\n", n)
				}
			})
		},
	}
}

func (a *app) mirrorList(cmd *cobra.Command) error {
	sec := a.env.Mirrors(cmd.Context())
	if sec == nil {
		sec = &flows.MirrorsSection{Mirrors: []flows.MirrorStatus{}, Engines: []flows.StoreStatus{}}
	}
	return a.output(sec, func() { printMirrors(a, sec) })
}

func printMirrors(a *app, sec *flows.MirrorsSection) {
	ms, engines, q, problem := sec.Mirrors, sec.Engines, sec.DockerHubQuota, sec.Error
	if len(ms) == 0 {
		a.printf("No mirrors in esb.yaml: `esbtui mirror add docker.io` adds a cache of Docker Hub.\n")
		return
	}
	a.printf("%-22s %-16s %-8s %6s %6s %10s %10s %-9s %s\n", "UPSTREAM", "ADDRESS", "STATE", "HITS", "MISSES", "CACHE", "UPSTREAM", "REACHES", "LAST ERROR")
	for _, m := range ms {
		state := "down"
		if m.Running {
			state = "running"
		}
		reach := "-"
		if m.UpstreamChecked {
			reach = map[bool]string{true: "yes", false: "NO"}[m.UpstreamReachable]
		}
		a.printf("%-22s %-16s %-8s %6d %6d %10s %10s %-9s %s\n", clip(termtext.Clean(m.Upstream), 22), m.Address, state, m.Hits, m.Misses,
			counterBytes(m.BytesFromCache), counterBytes(m.BytesFromUpstream), reach, clip(termtext.Clean(m.Problem()), 60))
	}
	if len(engines) > 0 {
		a.printf("Engines:")
		for _, s := range engines {
			a.printf("  %s %s", s.Store, engineMark(s))
		}
		a.printf("\n")
	}
	if q != nil {
		switch {
		case q.Error != "":
			a.printf("Docker Hub pull quota: unknown (%s)\n", q.Error)
		case q.Quota != nil:
			mark := ""
			if q.Low {
				mark = "! "
			}
			a.printf("%sDocker Hub pull quota: %s\n", mark, q.Quota.String())
		}
	}
	if problem != "" {
		a.printf("! %s\n", problem)
	}
}

// mirrorWord is an engine's state as mirror prints it (the JSON keeps
// trust's words: trusted = configured, missing = not configured).
func mirrorWord(s flows.TrustState) string {
	switch s {
	case flows.StoreTrusted:
		return "configured"
	case flows.StoreMissing:
		return "not configured"
	}
	return string(s)
}

func engineMark(s flows.StoreStatus) string {
	switch s.State {
	case flows.StoreTrusted:
		return "✓ uses the mirrors"
	case flows.StoreNotApplicable:
		return "- n/a"
	case flows.StoreMissing:
		return "✗ not configured (esbtui mirror install)"
	}
	return "? " + termtext.Clean(s.Reason)
}

// counterBytes prints a byte counter the mirror reported (outside input: a
// count past int64 prints as the largest size, never as a negative one).
func counterBytes(n uint64) string { return progress.Bytes(int64(min(n, math.MaxInt64))) }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// mirrorOutcome is the JSON document of mirror install/uninstall.
type mirrorOutcome = planOutcome[*flows.MirrorPlan]

// mirrorFlow is trustFlow for the engines' mirror configuration: plan,
// print, consent (--yes headless, a prompt on a terminal), apply exactly
// that plan, print what each engine did.
func (a *app) mirrorFlow(cmd *cobra.Command, op flows.TrustOp, engines []string, dryRun bool) (*mirrorOutcome, error) {
	ctx := cmd.Context()
	plan, err := a.env.PlanMirrors(ctx, op, engines)
	if err != nil {
		return nil, err
	}
	out := &mirrorOutcome{Plan: plan}
	tp := plan.AsTrustPlan()
	if !a.jsonOut {
		printPlan(a, "Mirror", tp, mirrorWord)
		if plan.DaemonConfig != "" {
			a.printf("  (Docker's daemon configuration: %s)\n", plan.DaemonConfig)
		}
	}
	flow := planFlow{verb: "mirror", title: "Mirror", changes: "engine configuration", word: mirrorWord,
		execute: func(ctx context.Context) ([]flows.TrustResult, error) {
			return a.env.ExecuteMirrors(ctx, plan, a.sink())
		}}
	out.Applied, out.Results, err = flow.run(ctx, a, tp, engines, dryRun)
	return out, err
}
